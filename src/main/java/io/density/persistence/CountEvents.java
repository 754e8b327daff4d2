package io.density.persistence;

import io.density.bus.Addresses;
import io.density.time.Timestamps;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Publishes every change of a space's count on {@link Addresses#COUNT_EVENTS}, from the one writer
 * of counts, so each space's events arrive in order at every consumer:
 *
 * <pre>{"space_id": "A", "count": 3, "delta": 1, "timestamp": "2018-02-24T08:45:21.893Z",
 *  "cause": "datapoint" | "reconciliation" | "reset"}</pre>
 *
 * A datapoint event is one effect applied in timestamp order ({@code delta} ±1, as sensed; the
 * count may not move when clamping absorbs it). When late data, a moved DPU, a replay, or a reset
 * changes a space's count, one event gives the space's new count as of its latest change ({@code
 * delta} 0).
 */
final class CountEvents {
  private CountEvents() {}

  static void datapoint(Vertx vertx, String space, long tsMicros, int delta, int count) {
    publish(vertx, space, tsMicros, delta, count, "datapoint");
  }

  /** One event per head of {@link Recounts#heads}: [space, count, ts, delta, datapoint]. */
  static void heads(Vertx vertx, JsonArray heads, String cause) {
    for (Object o : heads) {
      JsonArray head = (JsonArray) o;
      Long ts = head.getLong(2);
      publish(vertx, head.getString(0), ts, 0, head.getInteger(1), cause);
    }
  }

  private static void publish(
      Vertx vertx, String space, Long tsMicros, int delta, int count, String cause) {
    vertx
        .eventBus()
        .publish(
            Addresses.COUNT_EVENTS,
            new JsonObject()
                .put("space_id", space)
                .put("count", count)
                .put("delta", delta)
                .put("timestamp", tsMicros == null ? null : Timestamps.format(tsMicros))
                .put("cause", cause));
  }
}
