package io.density.history;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.bus.Replies;
import io.density.config.DensityConfig;
import io.density.db.Connections;
import io.density.db.Sql;
import io.density.history.Buckets.Bucket;
import io.density.history.Buckets.Change;
import io.density.time.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/**
 * A space's history from PostgreSQL: counts in time buckets, the effects with their datapoints
 * (all, or those reconciled after arrival), and resets. Requests are validated by the HTTP
 * verticle; bounds are enforced here.
 *
 * <p>Config: the {@code postgres} slice.
 */
public final class HistoryVerticle extends VerticleBase {
  /** Changes read for one series at most; a wider request must be split. */
  public static final int MAX_CHANGES = 2_000_000;

  public static final int MAX_BUCKETS = 10_000;

  private Pool pool;
  private DoorwayTraffic doorways;

  @Override
  public Future<?> start() {
    pool = Connections.postgres(vertx, config().mapTo(DensityConfig.Postgres.class));
    doorways = new DoorwayTraffic(pool);
    var bus = vertx.eventBus();
    return Future.join(
        bus.consumer(
                Addresses.HISTORY_DOORWAY_SERIES, Replies.answering("history", doorways::series))
            .completion(),
        bus.consumer(Addresses.HISTORY_SERIES, Replies.answering("history", this::series))
            .completion(),
        bus.consumer(Addresses.HISTORY_EVENTS, Replies.answering("history", this::events))
            .completion(),
        bus.consumer(Addresses.HISTORY_RESETS, Replies.answering("history", this::resets))
            .completion(),
        bus.consumer(
                Addresses.HISTORY_UTILIZATION,
                Replies.answering("history", new Utilization(pool, Clock.systemUTC())::report))
            .completion());
  }

  @Override
  public Future<?> stop() {
    return pool.close();
  }

  /**
   * {@code {space, start, end (µs), interval, tz, by?}} → {@code {space_id, interval, time_zone,
   * buckets: [{start, end, count, entries, exits, min, max}]}}; with {@code by: doorway} each
   * bucket also has its traffic by doorway ({@link DoorwayTraffic#byDoorway}).
   */
  private Future<JsonObject> series(JsonObject q) {
    String space = q.getString("space");
    Instant start = Timestamps.fromMicros(q.getLong("start"));
    Instant end = Timestamps.fromMicros(q.getLong("end"));
    String interval = q.getString("interval");
    ZoneId zone = ZoneId.of(q.getString("tz"));
    List<Instant> boundaries = Buckets.boundaries(start, end, interval, zone, MAX_BUCKETS);
    if (boundaries.size() - 1 > MAX_BUCKETS) {
      return Future.failedFuture(
          Failure.invalid(
              "interval",
              "more than " + MAX_BUCKETS + " buckets: narrow the range or widen the interval"));
    }
    OffsetDateTime first = boundaries.get(0).atOffset(java.time.ZoneOffset.UTC);
    OffsetDateTime last = boundaries.get(boundaries.size() - 1).atOffset(java.time.ZoneOffset.UTC);
    return pool.preparedQuery(Statements.SPACE_COUNT_OPENING)
        .execute(Tuple.of(space, first))
        .compose(
            opening -> {
              if (opening.size() == 0) {
                return Future.failedFuture(Failure.notFound("unknown space " + space));
              }
              Integer before = opening.iterator().next().getInteger("count");
              return pool.preparedQuery(Statements.SPACE_CHANGES)
                  .execute(Tuple.of(space, first, last, MAX_CHANGES + 1))
                  .compose(
                      rows -> {
                        if (rows.size() > MAX_CHANGES) {
                          return Future.failedFuture(
                              Failure.of(
                                  Failure.TOO_LARGE,
                                  "start",
                                  "more than " + MAX_CHANGES + " changes in range: narrow it"));
                        }
                        List<Change> changes = new ArrayList<>(rows.size());
                        for (Row r : rows) {
                          changes.add(
                              new Change(
                                  r.getOffsetDateTime("ts").toInstant(),
                                  r.getBoolean("reset"),
                                  r.getShort("delta"),
                                  r.getInteger("count")));
                        }
                        JsonArray buckets = new JsonArray();
                        for (Bucket b :
                            Buckets.fold(boundaries, before == null ? 0 : before, changes)) {
                          buckets.add(
                              new JsonObject()
                                  .put("start", b.start().toString())
                                  .put("end", b.end().toString())
                                  .put("count", b.count())
                                  .put("entries", b.entries())
                                  .put("exits", b.exits())
                                  .put("min", b.min())
                                  .put("max", b.max()));
                        }
                        JsonObject answer =
                            new JsonObject()
                                .put("space_id", space)
                                .put("interval", interval)
                                .put("time_zone", zone.getId())
                                .put("buckets", buckets);
                        return "doorway".equals(q.getString("by"))
                            ? doorways.byDoorway(space, boundaries, answer)
                            : Future.succeededFuture(answer);
                      });
            });
  }

  /**
   * {@code {space, start, end (µs), limit, after?, reconciled}} → {@code {space_id, items, next}}:
   * effects in contract order with their datapoints; {@code next} is the cursor of the following
   * page, or null.
   */
  private Future<JsonObject> events(JsonObject q) {
    String space = q.getString("space");
    int limit = q.getInteger("limit");
    JsonArray after = q.getJsonArray("after");
    Tuple params =
        Tuple.of(
            space,
            Timestamps.toOffsetDateTime(q.getLong("start")),
            Timestamps.toOffsetDateTime(q.getLong("end")),
            after == null ? null : Timestamps.toOffsetDateTime(after.getLong(0)),
            after == null ? null : after.getInteger(1).shortValue(),
            after == null ? null : after.getLong(2),
            limit + 1,
            q.getBoolean("reconciled"));
    return pool.preparedQuery(Sql.SPACE_EXISTS)
        .execute(Tuple.of(space))
        .compose(
            exists ->
                exists.size() == 0
                    ? Future.failedFuture(Failure.notFound("unknown space " + space))
                    : pool.preparedQuery(Statements.SPACE_EVENTS).execute(params))
        .map(
            rows -> {
              JsonArray items = new JsonArray();
              JsonArray next = null;
              for (Row r : rows) {
                if (items.size() == limit) {
                  JsonObject lastItem = items.getJsonObject(items.size() - 1);
                  next = lastItem.getJsonArray("cursor");
                  break;
                }
                long ts = Timestamps.toMicros(r.getOffsetDateTime("ts"));
                OffsetDateTime reconciled = r.getOffsetDateTime("reconciled_at");
                items.add(
                    new JsonObject()
                        .put("timestamp", Timestamps.format(ts))
                        .put("delta", (int) r.getShort("delta"))
                        .put("count", r.getInteger("count"))
                        .put("arrival_count", r.getInteger("arrival_count"))
                        .put(
                            "reconciled_at",
                            reconciled == null ? null : Timestamps.format(reconciled))
                        .put(
                            "datapoint",
                            new JsonObject()
                                .put("id", r.getLong("id"))
                                .put("dpu_id", r.getString("dpu_id"))
                                .put("direction", (int) r.getShort("direction"))
                                .put(
                                    "received_at",
                                    Timestamps.format(r.getOffsetDateTime("received_at"))))
                        .put(
                            "cursor",
                            new JsonArray()
                                .add(ts)
                                .add((int) r.getShort("delta"))
                                .add(r.getLong("id"))));
              }
              items.forEach(i -> ((JsonObject) i).remove("cursor"));
              return new JsonObject().put("space_id", space).put("items", items).put("next", next);
            });
  }

  /** {@code {space, start, end (µs)}} → {@code {space_id, items: [{timestamp, count, kind}]}}. */
  private Future<JsonObject> resets(JsonObject q) {
    String space = q.getString("space");
    Tuple range =
        Tuple.of(
            space,
            Timestamps.toOffsetDateTime(q.getLong("start")),
            Timestamps.toOffsetDateTime(q.getLong("end")));
    return pool.preparedQuery(Statements.LIST_RESETS)
        .execute(range)
        .map(
            rows -> {
              JsonArray items = new JsonArray();
              rows.forEach(
                  r ->
                      items.add(
                          new JsonObject()
                              .put("timestamp", Timestamps.format(r.getOffsetDateTime("ts")))
                              .put("count", r.getInteger("count"))
                              .put("kind", r.getString("kind"))));
              return new JsonObject().put("space_id", space).put("items", items);
            });
  }
}
