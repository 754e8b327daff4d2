package io.density.history;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.bus.Replies;
import io.density.bus.Service;
import io.density.cluster.Leadership;
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
 * <p>One history verticle in a deployment (the holder of an advisory lock) also stores the complete
 * utilization days not stored yet, periodically ({@link UtilizationSummaries}).
 *
 * <p>Config: the {@code postgres} and {@code history} slices.
 */
public final class HistoryVerticle extends VerticleBase implements HistoryRequest.Answers {
  /** Changes read for one series at most; a wider request must be split. */
  public static final int MAX_CHANGES = 2_000_000;

  public static final int MAX_BUCKETS = 10_000;

  /** The advisory lock whose holder stores the utilization days ({@link UtilizationSummaries}). */
  private static final long SUMMARIES_LOCK = 0x64656e73L + 5;

  private Pool pool;
  private DoorwayTraffic doorways;
  private Utilization utilization;
  private UtilizationSummaries summaries;
  private Leadership leadership;

  @Override
  public Future<?> start() {
    DensityConfig.Postgres postgres =
        config().getJsonObject("postgres").mapTo(DensityConfig.Postgres.class);
    DensityConfig.History history =
        config().getJsonObject("history", new JsonObject()).mapTo(DensityConfig.History.class);
    pool = Connections.postgres(vertx, postgres, "history");
    doorways = new DoorwayTraffic(pool);
    utilization = new Utilization(pool, Clock.systemUTC());
    Future<Void> served =
        Service.serve(
                vertx,
                Addresses.HISTORY,
                HistoryRequest.class,
                q -> q.answer(this),
                err -> Replies.unavailable("history", err))
            .completion();
    if (history.utilizationSummaryMinutes() == 0) {
      return served;
    }
    summaries =
        new UtilizationSummaries(
            vertx, pool, utilization, Clock.systemUTC(), history.utilizationSummaryDays());
    long periodMs = history.utilizationSummaryMinutes() * 60_000L;
    leadership =
        new Leadership(
            vertx,
            postgres.url(),
            SUMMARIES_LOCK,
            "utilization summaries",
            () -> {
              summaries.start(periodMs);
              return Future.succeededFuture();
            },
            summaries::stop);
    return served.compose(v -> leadership.start());
  }

  @Override
  public Future<?> stop() {
    if (summaries != null) {
      summaries.stop();
    }
    Future<Void> led = leadership == null ? Future.succeededFuture() : leadership.stop();
    return led.eventually(() -> pool.close());
  }

  @Override
  public Future<JsonObject> doorwaySeries(HistoryRequest.DoorwaySeries q) {
    return doorways.series(q);
  }

  @Override
  public Future<JsonObject> utilization(HistoryRequest.UtilizationReport q) {
    return utilization.report(q);
  }

  /**
   * A space's window → {@code {space_id, interval, time_zone, buckets: [{start, end, count,
   * entries, exits, min, max}]}}; with {@code by: doorway} each bucket also has its traffic by
   * doorway ({@link DoorwayTraffic#byDoorway}).
   */
  @Override
  public Future<JsonObject> series(HistoryRequest.Series q) {
    String space = q.space();
    String interval = q.window().interval();
    ZoneId zone = ZoneId.of(q.window().tz());
    List<Instant> boundaries;
    try {
      boundaries = DoorwayTraffic.boundaries(q.window());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
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
                        return q.byDoorway()
                            ? doorways.byDoorway(space, boundaries, answer)
                            : Future.succeededFuture(answer);
                      });
            });
  }

  /**
   * A page of a space's effects → {@code {space_id, items, next}}: effects in contract order with
   * their datapoints; {@code next} is the cursor of the following page, or null.
   */
  @Override
  public Future<JsonObject> events(HistoryRequest.Events q) {
    String space = q.space();
    int limit = q.limit();
    HistoryRequest.Cursor after = q.after();
    Tuple params =
        Tuple.of(
            space,
            Timestamps.toOffsetDateTime(q.start()),
            Timestamps.toOffsetDateTime(q.end()),
            after == null ? null : Timestamps.toOffsetDateTime(after.ts()),
            after == null ? null : (short) after.delta(),
            after == null ? null : after.datapoint(),
            limit + 1,
            q.reconciledOnly());
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

  /** A space's resets in a range → {@code {space_id, items: [{timestamp, count, kind}]}}. */
  @Override
  public Future<JsonObject> resets(HistoryRequest.Resets q) {
    String space = q.space();
    Tuple range =
        Tuple.of(
            space, Timestamps.toOffsetDateTime(q.start()), Timestamps.toOffsetDateTime(q.end()));
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
