package io.density.persistence.rederive;

import io.density.persistence.store.CountEvents;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;

/**
 * After a DPU's links changed from an instant on (a move, a back-dated link), its datapoints since
 * then are attributed again: effects no link produces any more go, missing ones come, and every
 * space involved is recounted. Runs alone, the ingest pipeline drained.
 */
public final class Reattribution {
  private final Vertx vertx;
  private final Pool pool;
  private final CountEvents events;

  public Reattribution(Vertx vertx, Pool pool, CountEvents events) {
    this.vertx = vertx;
    this.pool = pool;
    this.events = events;
  }

  /**
   * One DPU's datapoints from an instant on (nothing to do for a DPU that sent none since then,
   * such as a new one). Returns how many spaces were recounted.
   */
  public Future<Integer> dpu(String dpuId, OffsetDateTime since) {
    return pool.preparedQuery(Statements.DPU_HAS_DATAPOINTS_SINCE)
        .execute(Tuple.of(dpuId, since))
        .compose(
            rows ->
                rows.size() == 0
                    ? Future.succeededFuture(0)
                    : run(Tuple.of(dpuId, since, null), false, Recounts.Progress.NONE));
  }

  /**
   * Every datapoint with from ≤ ts < to (to null: no end), then every space recounted from {@code
   * from}, the recount followed by the progress. Returns how many spaces were recounted.
   */
  Future<Integer> window(OffsetDateTime from, OffsetDateTime to, Recounts.Progress progress) {
    // History before the retention boundary is gone: a replay starts at it at the earliest.
    return pool.query(Statements.RETENTION_BOUNDARY)
        .execute()
        .compose(
            rows -> {
              OffsetDateTime boundary = rows.iterator().next().getOffsetDateTime("boundary");
              OffsetDateTime start = boundary != null && boundary.isAfter(from) ? boundary : from;
              return run(Tuple.of(null, start, to), true, progress);
            });
  }

  private Future<Integer> run(Tuple params, boolean recountAll, Recounts.Progress progress) {
    Recounts recounts = new Recounts();
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(Statements.REMOVE_STALE_EFFECTS)
                    .execute(params)
                    .map(recounts::addAll)
                    .compose(
                        r -> conn.preparedQuery(Statements.ADD_MISSING_EFFECTS).execute(params))
                    .map(recounts::addAll)
                    .compose(
                        r ->
                            recountAll
                                ? conn.preparedQuery(Statements.SPACES_WITH_EFFECTS_SINCE)
                                    .execute(Tuple.of(params.getValue(1)))
                                    .map(recounts::addAll)
                                : Future.succeededFuture(recounts))
                    .compose(r -> recounts.run(conn, progress))
                    .compose(heads -> events.record(conn, heads, "reconciliation")))
        .compose(
            heads -> Recounts.publish(vertx, events, heads, "reconciliation").map(heads.size()));
  }
}
