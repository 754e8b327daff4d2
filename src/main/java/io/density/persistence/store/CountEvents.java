package io.density.persistence.store;

import io.density.bus.Addresses;
import io.density.time.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;

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
 *
 * <p>An event is published only once the rows it describes are flushed to PostgreSQL's WAL, so no
 * consumer hears of a count that a crash could erase; events keep the order they were given in.
 *
 * <p>With egress on, the same changes are also written to the egress outbox, in the transaction
 * that makes them ({@link #record}, and {@code counting/Statements.INSERT_COUNTS_OUTBOX} for the
 * effects of a part): brokers hear of them from there (docs/egress.md), not from these events.
 */
public final class CountEvents {
  private final Vertx vertx;
  private final WalFlush flush;
  private final boolean egress;

  /**
   * Events wait for the WAL flush of the rows they describe (see {@link WalFlush}); with {@code
   * egress}, changes are written to the outbox too.
   */
  public CountEvents(Vertx vertx, WalFlush flush, boolean egress) {
    this.vertx = vertx;
    this.flush = flush;
    this.egress = egress;
  }

  /** Whether changes go to the egress outbox too. */
  public boolean egress() {
    return egress;
  }

  /**
   * Writes one outbox change per head ([space, count, ts, ...], as {@code rederive/Recounts.heads})
   * in the transaction of {@code conn}, with egress on; nothing otherwise. Completes with the
   * heads.
   */
  public Future<JsonArray> record(SqlClient conn, JsonArray heads, String cause) {
    if (!egress || heads.isEmpty()) {
      return Future.succeededFuture(heads);
    }
    int n = heads.size();
    String[] space = new String[n];
    Integer[] count = new Integer[n];
    OffsetDateTime[] ts = new OffsetDateTime[n];
    String[] causes = new String[n];
    for (int i = 0; i < n; i++) {
      JsonArray head = heads.getJsonArray(i);
      space[i] = head.getString(0);
      count[i] = head.getInteger(1);
      Long micros = head.getLong(2);
      ts[i] = micros == null ? null : Timestamps.toOffsetDateTime(micros);
      causes[i] = cause;
    }
    return conn.preparedQuery(Statements.OUTBOX_COUNTS)
        .execute(Tuple.of(space, count, ts, causes))
        .map(heads);
  }

  public void datapoint(String space, long tsMicros, int delta, int count) {
    publish(space, tsMicros, delta, count, "datapoint");
  }

  /**
   * One event per head of {@code rederive/Recounts.heads}: [space, count, ts, delta, datapoint].
   */
  public void heads(JsonArray heads, String cause) {
    for (Object o : heads) {
      JsonArray head = (JsonArray) o;
      Long ts = head.getLong(2);
      publish(head.getString(0), ts, 0, head.getInteger(1), cause);
    }
  }

  private void publish(String space, Long tsMicros, int delta, int count, String cause) {
    JsonObject event =
        new JsonObject()
            .put("space_id", space)
            .put("count", count)
            .put("delta", delta)
            .put("timestamp", tsMicros == null ? null : Timestamps.format(tsMicros))
            .put("cause", cause);
    flush.then(() -> vertx.eventBus().publish(Addresses.COUNT_EVENTS, event));
  }
}
