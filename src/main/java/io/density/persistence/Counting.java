package io.density.persistence;

import io.density.Addresses;
import io.density.db.Sql;
import io.density.ingest.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Counts a committed batch: the counter applies it to Redis (at most once per batch id), then its
 * counts go to {@code space_count} and the batch is closed, in one statement. Spaces that got
 * effects out of contract order are recounted from their earliest late effect in the same
 * transaction, and their reconciled heads replace the provisional ones in Redis. Runs in the lane,
 * so no other batch changes those spaces in between.
 */
final class Counting {
  private final Vertx vertx;
  private final Pool pool;
  private final Rebuild rebuild;

  /** Batches whose counts are stored: the counter may drop their answers with the next batch. */
  private JsonArray forget = new JsonArray();

  Counting(Vertx vertx, Pool pool, Rebuild rebuild) {
    this.vertx = vertx;
    this.pool = pool;
    this.rebuild = rebuild;
  }

  Future<Void> count(CountingBatch batch) {
    if (batch.isEmpty()) {
      return store(batch, List.of(), new JsonArray());
    }
    JsonArray forgetNow = forget;
    forget = new JsonArray();
    return vertx
        .eventBus()
        .<JsonObject>request(Addresses.COUNTER_APPLY, batch.counterRequest(forgetNow))
        .onFailure(err -> forget.addAll(forgetNow))
        .compose(
            reply ->
                store(
                    batch,
                    reply.body().getJsonArray("counts").getList(),
                    reply.body().getJsonArray("late")))
        .onSuccess(v -> forget.add(batch.batchId))
        .recover(
            err ->
                // Redis lost its state: rebuild it now, still inside the lane, so the batch is
                // answered only once it is counted (the rebuild counts uncounted batches).
                err instanceof ReplyException re && re.getMessage().contains("NOTBUILT")
                    ? rebuild().mapEmpty()
                    : Future.failedFuture(err));
  }

  /** A rebuild replaces everything in Redis, the answers of earlier batches with it. */
  Future<JsonObject> rebuild() {
    return rebuild.run().onSuccess(v -> forget = new JsonArray());
  }

  private Future<Void> store(CountingBatch batch, List<?> counts, JsonArray late) {
    int m = batch.effects.size();
    String[] space = new String[m];
    OffsetDateTime[] ts = new OffsetDateTime[m];
    Short[] delta = new Short[m];
    Long[] datapoint = new Long[m];
    Integer[] count = new Integer[m];
    for (int i = 0; i < m; i++) {
      CountingBatch.Effect e = batch.effects.get(i);
      space[i] = e.spaceId();
      ts[i] = Timestamps.toOffsetDateTime(e.ts());
      delta[i] = (short) e.delta();
      datapoint[i] = e.datapointId();
      count[i] = ((Number) counts.get(i)).intValue();
    }
    Tuple insert = Tuple.of(batch.batchId, space, ts, delta, datapoint, count);
    if (late.isEmpty()) {
      return pool.preparedQuery(Sql.INSERT_COUNTS)
          .execute(insert)
          .onSuccess(v -> publishInOrder(batch, counts, Set.of()))
          .mapEmpty();
    }
    // A late space is recounted from its earliest late effect through the batch's latest effect
    // on it, whose count followed the provisional one.
    Map<String, Long> latest = new HashMap<>();
    batch.effects.forEach(e -> latest.put(e.spaceId(), e.ts())); // in contract order
    Recounts recounts = new Recounts();
    Set<String> lateSpaces = new HashSet<>();
    for (Object o : late) {
      JsonArray l = (JsonArray) o;
      String lateSpace = l.getString(0);
      lateSpaces.add(lateSpace);
      recounts.add(
          lateSpace,
          Timestamps.toOffsetDateTime(Long.parseLong(l.getString(1))),
          Timestamps.toOffsetDateTime(latest.get(lateSpace)));
    }
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(Sql.INSERT_COUNTS)
                    .execute(insert)
                    .compose(v -> recounts.run(conn)))
        .onSuccess(heads -> publishInOrder(batch, counts, lateSpaces))
        .compose(heads -> Recounts.publish(vertx, heads, "reconciliation"));
  }

  /** The events of the effects applied in order; late spaces get a reconciliation event instead. */
  private void publishInOrder(CountingBatch batch, List<?> counts, Set<String> lateSpaces) {
    for (int i = 0; i < batch.effects.size(); i++) {
      CountingBatch.Effect e = batch.effects.get(i);
      if (!lateSpaces.contains(e.spaceId())) {
        CountEvents.datapoint(
            vertx, e.spaceId(), e.ts(), e.delta(), ((Number) counts.get(i)).intValue());
      }
    }
  }
}
