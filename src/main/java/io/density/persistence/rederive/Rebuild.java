package io.density.persistence.rederive;

import static io.density.persistence.store.Statements.INSTANCE_ID;
import static io.density.persistence.store.Statements.UNCOUNTED_BATCHES;

import io.density.bus.Addresses;
import io.density.bus.Nearest;
import io.density.db.Sql;
import io.density.persistence.store.CountEvents;
import io.density.time.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.logging.Logger;

/**
 * Rebuilds the realtime state from PostgreSQL alone: batches left uncounted get their effects and a
 * recount of every space they touch; then the latest change of every space and the totals of every
 * DPU replace everything Redis holds. Runs alone, the ingest pipeline drained.
 */
public final class Rebuild {
  private static final Logger LOG = Logger.getLogger(Rebuild.class.getName());
  private static final DeliveryOptions LONG = new DeliveryOptions().setSendTimeout(600_000);

  private final Vertx vertx;
  private final Pool pool;

  /** Only records the counts of batches counted in SQL in the egress outbox; publishes nothing. */
  private final CountEvents events;

  public Rebuild(Vertx vertx, Pool pool, CountEvents events) {
    this.vertx = vertx;
    this.pool = pool;
    this.events = events;
  }

  public Future<JsonObject> run() {
    LOG.info("rebuilding the realtime state from PostgreSQL");
    return pool.preparedQuery(UNCOUNTED_BATCHES)
        .execute(Tuple.of(0.0))
        .compose(
            ids -> {
              Future<Void> chain = Future.succeededFuture();
              for (Row row : ids) {
                long id = row.getLong("id");
                chain = chain.compose(v -> countInSql(id));
              }
              return chain.map(ids.size());
            })
        .compose(
            batches ->
                Future.all(
                        pool.preparedQuery(Sql.SPACE_HEADS).execute(Tuple.of((Object) null)),
                        pool.query(Statements.DPU_TOTALS).execute(),
                        pool.query(INSTANCE_ID).execute())
                    .compose(
                        all -> {
                          JsonArray spaces = Recounts.heads(all.resultAt(0));
                          JsonArray dpus = dpuTotals(all.resultAt(1));
                          RowSet<Row> instance = all.resultAt(2);
                          JsonObject snapshot =
                              new JsonObject()
                                  .put("instance", instance.iterator().next().getString("id"))
                                  .put("spaces", spaces)
                                  .put("dpus", dpus);
                          return Nearest.request(vertx, Addresses.COUNTER_LOAD, snapshot, LONG)
                              .map(
                                  v ->
                                      new JsonObject()
                                          .put("result", "rebuilt")
                                          .put("spaces", spaces.size())
                                          .put("dpus", dpus.size())
                                          .put("recovered_batches", batches));
                        }));
  }

  /** Stores a batch's effects and recounts the spaces it touched, in one transaction. */
  private Future<Void> countInSql(long batchId) {
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(Statements.INSERT_UNCOUNTED_EFFECTS)
                    .execute(Tuple.of(batchId))
                    .compose(touched -> new Recounts().addAll(touched).run(conn))
                    .compose(heads -> events.record(conn, heads, "reconciliation")))
        .mapEmpty();
  }

  private static JsonArray dpuTotals(RowSet<Row> rows) {
    JsonArray dpus = new JsonArray();
    for (Row r : rows) {
      OffsetDateTime lastTs = r.getOffsetDateTime("last_ts");
      OffsetDateTime lastRx = r.getOffsetDateTime("last_received_at");
      dpus.add(
          new JsonArray()
              .add(r.getString("dpu_id"))
              .add(lastTs == null ? null : Timestamps.toMicros(lastTs))
              .add(lastRx == null ? null : Timestamps.toMicros(lastRx))
              .add(r.getLong("entries"))
              .add(r.getLong("exits"))
              .add(r.getLong("total")));
    }
    return dpus;
  }
}
