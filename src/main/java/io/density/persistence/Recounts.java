package io.density.persistence;

import io.density.Addresses;
import io.density.db.Sql;
import io.density.ingest.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;

/**
 * Spaces to recount in SQL, each from its earliest changed instant, and the heads they end with
 * (latest effect and count) for the counter to put in Redis. Used from the persistence lane only,
 * so no batch changes those spaces between the recount and the update of Redis.
 */
final class Recounts {
  private final Map<String, OffsetDateTime> since = new HashMap<>();

  boolean isEmpty() {
    return since.isEmpty();
  }

  /** Adds a space to recount from an instant (keeps the earliest per space). */
  Recounts add(String spaceId, OffsetDateTime from) {
    since.merge(spaceId, from, (a, b) -> a.isBefore(b) ? a : b);
    return this;
  }

  /** Adds rows of (space_id, since), as the effect-changing statements of {@link Sql} return. */
  Recounts addAll(RowSet<Row> rows) {
    rows.forEach(r -> add(r.getString("space_id"), r.getOffsetDateTime("since")));
    return this;
  }

  /** Recounts every space in the connection's transaction and reads their heads. */
  Future<JsonArray> run(SqlConnection conn) {
    Future<?> chain = Future.succeededFuture();
    for (Map.Entry<String, OffsetDateTime> e : since.entrySet()) {
      Tuple recount = Tuple.of(e.getKey(), e.getValue());
      chain = chain.compose(v -> conn.preparedQuery(Sql.RECOUNT_SPACE).execute(recount));
    }
    String[] ids = since.keySet().toArray(String[]::new);
    return chain.compose(
        v ->
            conn.preparedQuery(Sql.SPACE_HEADS)
                .execute(Tuple.of((Object) ids))
                .map(Recounts::heads));
  }

  /**
   * Hands the recounted heads to the counter, which replaces them in Redis, and publishes the new
   * counts ({@code cause}: reconciliation or reset).
   */
  static Future<Void> publish(Vertx vertx, JsonArray heads, String cause) {
    return heads.isEmpty()
        ? Future.succeededFuture()
        : vertx
            .eventBus()
            .request(Addresses.COUNTER_SET, new JsonObject().put("spaces", heads))
            .onSuccess(v -> CountEvents.heads(vertx, heads, cause))
            .mapEmpty();
  }

  /**
   * Rows of {@link Sql#SPACE_HEADS} as the counter takes them: [id, count, ts, delta, datapoint].
   */
  static JsonArray heads(RowSet<Row> rows) {
    JsonArray heads = new JsonArray();
    for (Row r : rows) {
      OffsetDateTime ts = r.getOffsetDateTime("ts");
      JsonArray head = new JsonArray().add(r.getString("id")).add(r.getInteger("count"));
      if (ts == null) {
        head.addNull().addNull().addNull();
      } else {
        head.add(Timestamps.toMicros(ts))
            .add((int) r.getShort("delta"))
            .add(r.getLong("datapoint_id"));
      }
      heads.add(head);
    }
    return heads;
  }
}
