package io.density.persistence.rederive;

import io.density.persistence.store.Partitions;
import io.density.time.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.logging.Logger;

/**
 * Drops history older than the retention period, by whole partitions (months) or chunks. First
 * every space whose count changed before the boundary gets a 'carry' reset at it, holding the count
 * in force there, so every answer from the boundary on is unchanged; datapoints older than the
 * period are refused at ingest, so nothing is ever counted across the boundary again. The stored
 * utilization days that start before the boundary go too (dropping partitions fires no trigger).
 * Runs alone, the ingest pipeline drained.
 */
public final class Retention {
  private static final Logger LOG = Logger.getLogger(Retention.class.getName());

  private final Pool pool;
  private final Partitions partitions;
  private final int days;

  public Retention(Pool pool, Partitions partitions, int days) {
    this.pool = pool;
    this.partitions = partitions;
    this.days = days;
  }

  public boolean enabled() {
    return days > 0;
  }

  /** The instant before which history goes: the start of the UTC month of now minus the period. */
  OffsetDateTime boundary() {
    OffsetDateTime cutoff = OffsetDateTime.now(ZoneOffset.UTC).minusDays(days);
    return cutoff.truncatedTo(ChronoUnit.DAYS).withDayOfMonth(1);
  }

  public Future<JsonObject> run() {
    if (!enabled()) {
      return Future.succeededFuture(new JsonObject().put("dropped", 0));
    }
    OffsetDateTime boundary = boundary();
    Tuple at = Tuple.of(boundary);
    return pool.preparedQuery(Statements.ANY_DATAPOINT_BEFORE)
        .execute(at)
        .compose(
            old ->
                old.size() == 0
                    ? Future.succeededFuture(0)
                    : pool.withTransaction(
                            conn ->
                                conn.preparedQuery(Statements.CARRY_COUNTS)
                                    .execute(at)
                                    .compose(
                                        v ->
                                            conn.preparedQuery(Statements.DELETE_RESETS_BEFORE)
                                                .execute(at))
                                    .compose(
                                        v ->
                                            conn.preparedQuery(
                                                    Statements.FORGET_UTILIZATION_DAYS_BEFORE)
                                                .execute(at))
                                    .compose(
                                        v ->
                                            conn.preparedQuery(Statements.DELETE_ID_KEYS_BEFORE)
                                                .execute(at))
                                    .compose(
                                        v ->
                                            conn.preparedQuery(Statements.DROP_BEFORE).execute(at)))
                        .map(rows -> rows.iterator().next().getInteger("dropped")))
        .onSuccess(
            dropped -> {
              if (dropped > 0) {
                partitions.forget();
                LOG.info("retention dropped " + dropped + " parts older than " + boundary);
              }
            })
        .map(
            dropped ->
                new JsonObject()
                    .put("boundary", Timestamps.format(boundary))
                    .put("dropped", dropped));
  }
}
