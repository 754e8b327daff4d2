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
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Utilization reports: per space and local day, the peak count and the first instant it was
 * reached, the time-weighted average count, the ratios of both to the space's capacity, entries,
 * exits and the count at the day's end (docs/counting.md, "Utilization").
 *
 * <p>The days are cut here (local calendar days, as the 1-day buckets of the counts are, by {@link
 * Buckets#boundaries}); PostgreSQL computes the figures in one statement that streams over each
 * space's stored counts and resets ({@link Statements#UTILIZATION}), so only one row per space and
 * day reaches the JVM.
 *
 * <p>Opening hours do not exist yet: the average is over the whole day (up to now). When spaces get
 * them, an {@code average_open} is the same integral over each day's open intervals; see the
 * statement.
 */
public final class Utilization {
  /** Local days per request at most. */
  public static final int MAX_DAYS = 366;

  /** Rows (spaces × days) per request at most. */
  public static final int MAX_ROWS = 50_000;

  private final Pool pool;
  private final Clock clock;

  Utilization(Pool pool, Clock clock) {
    this.pool = pool;
    this.clock = clock;
  }

  private record Space(String id, String parentId, ZoneId zone, Integer capacity) {}

  /**
   * A space (and its subtree with children), local dates (end exclusive), a zone (null: each
   * space's own) → {@code {space_id, start, end, time_zone, children, rows: [...]}}.
   */
  Future<JsonObject> report(HistoryRequest.UtilizationReport q) {
    String root = q.space();
    LocalDate first = LocalDate.parse(q.start());
    LocalDate last = LocalDate.parse(q.end());
    String tz = q.tz();
    boolean children = q.children();
    int days = (int) ChronoUnit.DAYS.between(first, last);
    int maxSpaces = MAX_ROWS / days;
    return pool.preparedQuery(Statements.SUBTREE)
        .execute(Tuple.of(root, children, maxSpaces + 1))
        .compose(
            tree -> {
              if (tree.size() == 0) {
                return Future.failedFuture(Failure.notFound("unknown space " + root));
              }
              if (tree.size() > maxSpaces) {
                return Future.failedFuture(
                    Failure.invalid(
                        "end",
                        "more than "
                            + MAX_ROWS
                            + " rows (spaces × days): narrow the range or ask for fewer spaces"));
              }
              List<Space> spaces = new ArrayList<>(tree.size());
              for (Row r : tree) {
                spaces.add(
                    new Space(
                        r.getString("id"),
                        r.getString("parent_id"),
                        ZoneId.of(tz != null ? tz : r.getString("time_zone")),
                        r.getInteger("capacity")));
              }
              return figures(spaces, first, days)
                  .map(
                      rows ->
                          new JsonObject()
                              .put("space_id", root)
                              .put("start", first.toString())
                              .put("end", last.toString())
                              .put("time_zone", tz)
                              .put("children", children)
                              .put("rows", rows));
            });
  }

  private Future<JsonArray> figures(List<Space> spaces, LocalDate first, int days) {
    // Each zone's day boundaries once: days + 1 instants, the first at the start of `first`.
    Map<ZoneId, List<Instant>> byZone = new HashMap<>();
    List<String> ids = new ArrayList<>(spaces.size());
    List<OffsetDateTime> bounds = new ArrayList<>(spaces.size() * (days + 1));
    for (Space s : spaces) {
      List<Instant> b =
          byZone.computeIfAbsent(
              s.zone(),
              zone -> {
                Instant start = first.atStartOfDay(zone).toInstant();
                Instant end = first.plusDays(days).atStartOfDay(zone).toInstant();
                return Buckets.boundaries(start, end, "1d", zone);
              });
      ids.add(s.id());
      b.forEach(i -> bounds.add(i.atOffset(ZoneOffset.UTC)));
    }
    OffsetDateTime now = clock.instant().atOffset(ZoneOffset.UTC);
    OffsetDateTime lo = bounds.stream().min(OffsetDateTime::compareTo).orElseThrow();
    OffsetDateTime hi = bounds.stream().max(OffsetDateTime::compareTo).orElseThrow();
    return pool.preparedQuery(Statements.UTILIZATION)
        .execute(
            Tuple.of(
                ids.toArray(String[]::new),
                bounds.toArray(OffsetDateTime[]::new),
                days + 1,
                now,
                lo,
                hi))
        .map(result -> rows(result, spaces, byZone, first));
  }

  private static JsonArray rows(
      RowSet<Row> result, List<Space> spaces, Map<ZoneId, List<Instant>> byZone, LocalDate first) {
    JsonArray rows = new JsonArray();
    for (Row r : result) {
      Space s = spaces.get(r.getInteger("space_index") - 1);
      int k = r.getInteger("day_index");
      List<Instant> b = byZone.get(s.zone());
      int peak = r.getInteger("peak");
      double average = r.getDouble("average");
      Integer capacity = s.capacity();
      boolean ratios = capacity != null && capacity > 0;
      rows.add(
          new JsonObject()
              .put("space_id", s.id())
              .put("parent_id", s.parentId())
              .put("date", first.plusDays(k - 1L).toString())
              .put("time_zone", s.zone().getId())
              .put("start", Timestamps.format(Timestamps.toMicros(b.get(k - 1))))
              .put("end", Timestamps.format(Timestamps.toMicros(b.get(k))))
              .put("complete", r.getBoolean("complete"))
              .put("capacity", capacity)
              .put("peak", peak)
              .put("peak_at", Timestamps.format(r.getOffsetDateTime("peak_at")))
              .put("average", round(average))
              .put("peak_utilization", ratios ? round((double) peak / capacity) : null)
              .put("average_utilization", ratios ? round(average / capacity) : null)
              .put("entries", r.getLong("entries"))
              .put("exits", r.getLong("exits"))
              .put("count_at_end", r.getInteger("count_at_end")));
    }
    return rows;
  }

  /** Four decimals: a ten-thousandth of a person, or of the capacity, is below any use. */
  static double round(double value) {
    return Math.round(value * 10_000) / 10_000.0;
  }
}
