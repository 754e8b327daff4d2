package io.density.history;

import io.density.bus.Failure;
import io.density.time.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Traffic through doorways, in the buckets of {@link Buckets}: a doorway's entries and exits per
 * space and its crossings, and a space's entries and exits per doorway.
 *
 * <p>Both are read from the raw log and the links, not from the effects ({@code space_count}, which
 * does not record the link an effect came from): the datapoints of each link of the doorway (or
 * space), while it is in force, by the index on (dpu_id, ts), aggregated per bucket in PostgreSQL.
 * So traffic follows the links in force at each datapoint's time, moves and back-dated links
 * included, and only the aggregates travel (docs/counting.md, "Doorway traffic").
 */
final class DoorwayTraffic {
  private final Pool pool;

  DoorwayTraffic(Pool pool) {
    this.pool = pool;
  }

  /**
   * The boundaries of a series' buckets, or a failure naming {@code interval} when there would be
   * more than {@link HistoryVerticle#MAX_BUCKETS}.
   */
  static List<Instant> boundaries(HistoryRequest.Window w) {
    Instant start = Timestamps.fromMicros(w.start());
    Instant end = Timestamps.fromMicros(w.end());
    ZoneId zone = ZoneId.of(w.tz());
    List<Instant> boundaries =
        Buckets.boundaries(start, end, w.interval(), zone, HistoryVerticle.MAX_BUCKETS);
    if (boundaries.size() - 1 > HistoryVerticle.MAX_BUCKETS) {
      throw Failure.invalid(
          "interval",
          "more than "
              + HistoryVerticle.MAX_BUCKETS
              + " buckets: narrow the range or widen the interval");
    }
    return boundaries;
  }

  /**
   * A doorway and a window → {@code {doorway_id, interval, time_zone, space_ids, buckets: [{start,
   * end, crossings, spaces: [{space_id, entries, exits}]}]}}: every bucket lists every space linked
   * to the doorway at some instant of the range, in id order.
   */
  Future<JsonObject> series(HistoryRequest.DoorwaySeries q) {
    String doorway = q.doorway();
    List<Instant> boundaries;
    try {
      boundaries = boundaries(q.window());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    OffsetDateTime first = utc(boundaries.get(0));
    OffsetDateTime last = utc(boundaries.get(boundaries.size() - 1));
    return pool.preparedQuery(Statements.DOORWAY_SPACES)
        .execute(Tuple.of(doorway, first, last))
        .compose(
            found -> {
              if (found.size() == 0) {
                return Future.failedFuture(Failure.notFound("unknown doorway " + doorway));
              }
              String[] linked = found.iterator().next().getArrayOfStrings("space_ids");
              List<String> spaces = linked == null ? List.of() : List.of(linked);
              return pool.preparedQuery(Statements.DOORWAY_TRAFFIC)
                  .execute(
                      Tuple.of(
                          doorway,
                          first,
                          last,
                          thresholds(boundaries),
                          HistoryVerticle.MAX_CHANGES + 1))
                  .compose(rows -> doorwayAnswer(q.window(), doorway, spaces, boundaries, rows));
            });
  }

  private static Future<JsonObject> doorwayAnswer(
      HistoryRequest.Window q,
      String doorway,
      List<String> spaces,
      List<Instant> boundaries,
      RowSet<Row> rows) {
    int n = boundaries.size() - 1;
    int[] crossings = new int[n];
    Map<String, int[][]> traffic = new HashMap<>(); // space → [bucket] → {entries, exits}
    long effects = 0;
    for (Row r : rows) {
      int bucket = r.getInteger("bucket") - 1;
      if (r.getBoolean("total")) {
        crossings[bucket] = r.getInteger("crossings");
        continue;
      }
      int[] cell = traffic.computeIfAbsent(r.getString("space_id"), s -> new int[n][2])[bucket];
      cell[0] = r.getInteger("entries");
      cell[1] = r.getInteger("exits");
      effects += cell[0] + cell[1];
    }
    if (effects > HistoryVerticle.MAX_CHANGES) {
      return tooMany();
    }
    JsonArray buckets = new JsonArray();
    for (int i = 0; i < n; i++) {
      JsonArray perSpace = new JsonArray();
      for (String space : spaces) {
        int[][] t = traffic.get(space);
        perSpace.add(
            new JsonObject()
                .put("space_id", space)
                .put("entries", t == null ? 0 : t[i][0])
                .put("exits", t == null ? 0 : t[i][1]));
      }
      buckets.add(
          new JsonObject()
              .put("start", boundaries.get(i).toString())
              .put("end", boundaries.get(i + 1).toString())
              .put("crossings", crossings[i])
              .put("spaces", perSpace));
    }
    return Future.succeededFuture(
        new JsonObject()
            .put("doorway_id", doorway)
            .put("interval", q.interval())
            .put("time_zone", q.tz())
            .put("space_ids", new JsonArray(new ArrayList<>(spaces)))
            .put("buckets", buckets));
  }

  /**
   * Adds to a space's series ({@code buckets} as {@link HistoryVerticle} answers them, on these
   * boundaries) its traffic by doorway: {@code doorway_ids}, and in each bucket {@code doorways:
   * [{doorway_id, entries, exits}]}, every doorway the space is linked through at some instant of
   * the range, in id order.
   */
  Future<JsonObject> byDoorway(String space, List<Instant> boundaries, JsonObject series) {
    OffsetDateTime first = utc(boundaries.get(0));
    OffsetDateTime last = utc(boundaries.get(boundaries.size() - 1));
    return pool.preparedQuery(Statements.SPACE_DOORWAYS)
        .execute(Tuple.of(space, first, last))
        .compose(
            found -> {
              List<String> doorways = new ArrayList<>();
              found.forEach(r -> doorways.add(r.getString("doorway_id")));
              if (doorways.isEmpty()) {
                return Future.succeededFuture(withDoorways(series, doorways, Map.of()));
              }
              return pool.preparedQuery(Statements.SPACE_TRAFFIC_BY_DOORWAY)
                  .execute(
                      Tuple.of(
                          space,
                          first,
                          last,
                          thresholds(boundaries),
                          HistoryVerticle.MAX_CHANGES + 1))
                  .compose(
                      rows -> {
                        int n = boundaries.size() - 1;
                        Map<String, int[][]> traffic = new HashMap<>();
                        long effects = 0;
                        for (Row r : rows) {
                          int[] cell =
                              traffic
                                  .computeIfAbsent(r.getString("doorway_id"), d -> new int[n][2])[
                                  r.getInteger("bucket") - 1];
                          cell[0] = r.getInteger("entries");
                          cell[1] = r.getInteger("exits");
                          effects += cell[0] + cell[1];
                        }
                        if (effects > HistoryVerticle.MAX_CHANGES) {
                          return tooMany();
                        }
                        return Future.succeededFuture(withDoorways(series, doorways, traffic));
                      });
            });
  }

  private static JsonObject withDoorways(
      JsonObject series, List<String> doorways, Map<String, int[][]> traffic) {
    JsonArray buckets = series.getJsonArray("buckets");
    for (int i = 0; i < buckets.size(); i++) {
      JsonArray perDoorway = new JsonArray();
      for (String doorway : doorways) {
        int[][] t = traffic.get(doorway);
        perDoorway.add(
            new JsonObject()
                .put("doorway_id", doorway)
                .put("entries", t == null ? 0 : t[i][0])
                .put("exits", t == null ? 0 : t[i][1]));
      }
      buckets.getJsonObject(i).put("doorways", perDoorway);
    }
    return series.put("doorway_ids", new JsonArray(new ArrayList<>(doorways)));
  }

  private static <T> Future<T> tooMany() {
    return Future.failedFuture(
        Failure.of(
            Failure.TOO_LARGE,
            "start",
            "more than " + HistoryVerticle.MAX_CHANGES + " changes in range: narrow it"));
  }

  private static OffsetDateTime[] thresholds(List<Instant> boundaries) {
    OffsetDateTime[] out = new OffsetDateTime[boundaries.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = utc(boundaries.get(i));
    }
    return out;
  }

  private static OffsetDateTime utc(Instant t) {
    return t.atOffset(ZoneOffset.UTC);
  }
}
