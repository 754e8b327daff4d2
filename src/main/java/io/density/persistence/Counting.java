package io.density.persistence;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.telemetry.Metrics;
import io.density.time.Timestamps;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Counts the parts of committed batches that belong to one counting shard: the counter applies a
 * part to Redis (at most once), then its counts go to {@code space_count}. Spaces that got effects
 * out of contract order are recounted from their earliest late effect in the same transaction, and
 * their reconciled heads replace the provisional ones in Redis. Runs in the shard's lane, so no
 * other part changes those spaces in between.
 */
final class Counting {
  private final Vertx vertx;
  private final Pool pool;
  private final DeliveryOptions toCounter;
  private final Counter reconciled;
  private final Timer reconciliation;

  /** Parts of closed batches: the counter may drop their answers with the next part. */
  private List<String> forget = new ArrayList<>();

  Counting(Vertx vertx, Pool pool, DeliveryOptions toCounter) {
    this.vertx = vertx;
    this.pool = pool;
    this.toCounter = toCounter;
    this.reconciled =
        Counter.builder("density_reconciled_spaces")
            .description("spaces recounted after effects arrived out of order")
            .register(Metrics.of(vertx));
    this.reconciliation =
        Timer.builder("density_reconciliation")
            .description(
                "from a part with late effects reaching its shard's owner to its reconciled"
                    + " counts being in Redis")
            .register(Metrics.of(vertx));
  }

  /**
   * Applies and stores one part. Fails with the counter's failure when Redis is unreachable, or has
   * lost its state ({@link #lostRealtimeState}): the batch then stays uncounted.
   */
  Future<Void> count(CountingBatch.Part part) {
    List<String> forgetNow = forget;
    forget = new ArrayList<>();
    JsonObject request =
        new JsonObject().put("batch", part.key()).put("input", part.scriptInput(forgetNow));
    Timer.Sample started = Timer.start();
    return vertx
        .eventBus()
        .<JsonObject>request(Addresses.COUNTER_APPLY, request, toCounter)
        .onFailure(err -> forget.addAll(forgetNow))
        .compose(
            reply -> {
              JsonObject answer = new JsonObject(reply.body().getString("answer"));
              JsonArray late =
                  answer.getBoolean("again", false) ? everySpace(part) : answer.getJsonArray("l");
              return store(part, answer.getJsonArray("c").getList(), late)
                  .onSuccess(
                      v -> {
                        if (!late.isEmpty()) {
                          started.stop(reconciliation);
                        }
                      });
            });
  }

  /** The part's batch is closed: its answer in Redis may go with the next part. */
  void closed(String partKey) {
    forget.add(partKey);
  }

  /**
   * A part counted before and counted again (a retry, or the sweep after its writer died): its
   * counts may have reached Redis but not PostgreSQL, where a recount since then missed them. Each
   * of its spaces is recounted from its earliest effect in the part, which mends that.
   */
  private static JsonArray everySpace(CountingBatch.Part part) {
    Map<String, Long> earliest = new HashMap<>();
    part.effects().forEach(e -> earliest.putIfAbsent(e.spaceId(), e.ts())); // in contract order
    JsonArray late = new JsonArray();
    earliest.forEach((space, ts) -> late.add(new JsonArray().add(space).add(String.valueOf(ts))));
    return late;
  }

  /** Whether counting failed because Redis holds no realtime state: it must be rebuilt. */
  static boolean lostRealtimeState(Throwable err) {
    return err instanceof ReplyException re && re.failureCode() == Failure.NOT_BUILT;
  }

  private Future<Void> store(CountingBatch.Part part, List<?> counts, JsonArray late) {
    int m = part.effects().size();
    String[] space = new String[m];
    OffsetDateTime[] ts = new OffsetDateTime[m];
    Short[] delta = new Short[m];
    Long[] datapoint = new Long[m];
    Integer[] count = new Integer[m];
    for (int i = 0; i < m; i++) {
      CountingBatch.Effect e = part.effects().get(i);
      space[i] = e.spaceId();
      ts[i] = Timestamps.toOffsetDateTime(e.ts());
      delta[i] = (short) e.delta();
      datapoint[i] = e.datapointId();
      count[i] = ((Number) counts.get(i)).intValue();
    }
    Tuple insert = Tuple.of(space, ts, delta, datapoint, count);
    if (late.isEmpty()) {
      return m == 0
          ? Future.succeededFuture()
          : pool.preparedQuery(Statements.INSERT_COUNTS)
              .execute(insert)
              .onSuccess(v -> publishInOrder(part, counts, Set.of()))
              .mapEmpty();
    }
    // A late space is recounted from its earliest late effect through the part's latest effect
    // on it, whose count followed the provisional one.
    Map<String, Long> latest = new HashMap<>();
    part.effects().forEach(e -> latest.put(e.spaceId(), e.ts())); // in contract order
    reconciled.increment(late.size());
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
                conn.preparedQuery(Statements.INSERT_COUNTS)
                    .execute(insert)
                    .compose(v -> recounts.run(conn)))
        .onSuccess(heads -> publishInOrder(part, counts, lateSpaces))
        .compose(heads -> Recounts.publish(vertx, heads, "reconciliation"));
  }

  /** The events of the effects applied in order; late spaces get a reconciliation event instead. */
  private void publishInOrder(CountingBatch.Part part, List<?> counts, Set<String> lateSpaces) {
    for (int i = 0; i < part.effects().size(); i++) {
      CountingBatch.Effect e = part.effects().get(i);
      if (!lateSpaces.contains(e.spaceId())) {
        CountEvents.datapoint(
            vertx, e.spaceId(), e.ts(), e.delta(), ((Number) counts.get(i)).intValue());
      }
    }
  }
}
