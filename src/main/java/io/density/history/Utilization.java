package io.density.history;

import io.density.bus.Failure;
import io.density.time.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
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
import java.util.LinkedHashMap;
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
 * <p>Complete days of a space in its own zone are stored once computed ({@link UtilizationDays})
 * and read by later reports; a space's missing days are computed from the first of them, one
 * statement for every space that misses the same days. Today, and every day in a {@code tz} other
 * than the space's own, are always computed.
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
  private final UtilizationDays summaries;

  Utilization(Pool pool, Clock clock) {
    this.pool = pool;
    this.clock = clock;
    this.summaries = new UtilizationDays(pool);
  }

  /** A space of the report: {@code zone} the one its days are cut in, {@code ownZone} its own. */
  private record Space(String id, String parentId, ZoneId zone, String ownZone, Integer capacity) {}

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
                        r.getString("time_zone"),
                        r.getInteger("capacity")));
              }
              return figures(spaces, first, days, tz)
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

  /** The figures of one space and day: stored, or computed now. */
  private record Cell(int space, int day, UtilizationDays.Figures figures, boolean complete) {}

  /** Spaces whose missing days are the same run of days: one statement computes them together. */
  private record Run(int from, int days) {}

  /**
   * Stores the complete days of the spaces (each with its own zone {@code zone}) in [first, first +
   * days) that are not stored yet, as a report of them would ({@link UtilizationSummaries}); the
   * number of days stored. Nothing when the schema does not keep summaries exact.
   */
  Future<Integer> storeMissing(List<String> ids, String zone, LocalDate first, int days) {
    List<Space> spaces =
        ids.stream().map(id -> new Space(id, null, ZoneId.of(zone), zone, null)).toList();
    return summaries
        .kept()
        .compose(
            kept ->
                kept
                    ? cells(spaces, first, days, null, boundaries(spaces, first, days))
                        .map(Computed::stored)
                    : Future.succeededFuture(0));
  }

  /** Every space's cells, and how many days were stored while computing them. */
  private record Computed(Cell[][] cells, int stored) {}

  private Future<JsonArray> figures(List<Space> spaces, LocalDate first, int days, String tz) {
    Map<ZoneId, List<Instant>> byZone = boundaries(spaces, first, days);
    return cells(spaces, first, days, tz, byZone).map(c -> rows(c.cells(), spaces, byZone, first));
  }

  /**
   * Each zone's day boundaries once: days + 1 instants, the first at the start of {@code first}.
   */
  private static Map<ZoneId, List<Instant>> boundaries(
      List<Space> spaces, LocalDate first, int days) {
    Map<ZoneId, List<Instant>> byZone = new HashMap<>();
    for (Space s : spaces) {
      byZone.computeIfAbsent(
          s.zone(),
          zone -> {
            Instant start = first.atStartOfDay(zone).toInstant();
            Instant end = first.plusDays(days).atStartOfDay(zone).toInstant();
            return Buckets.boundaries(start, end, "1d", zone);
          });
    }
    return byZone;
  }

  private Future<Computed> cells(
      List<Space> spaces, LocalDate first, int days, String tz, Map<ZoneId, List<Instant>> byZone) {
    Instant now = clock.instant();
    // Summaries serve a space in its own zone (tz absent or the same).
    List<Integer> summarised = new ArrayList<>();
    for (int i = 0; i < spaces.size(); i++) {
      if (tz == null || tz.equals(spaces.get(i).ownZone())) {
        summarised.add(i);
      }
    }
    return summaries
        .kept()
        .compose(
            kept -> {
              if (!kept || summarised.isEmpty()) {
                return Future.succeededFuture(
                    Map.<UtilizationDays.Key, UtilizationDays.Figures>of());
              }
              return summaries.stored(
                  summarised.stream().map(i -> spaces.get(i).id()).toList(),
                  summarised.stream().map(i -> spaces.get(i).ownZone()).toList(),
                  first,
                  first.plusDays(days));
            })
        .compose(
            stored -> {
              Cell[][] cells = new Cell[spaces.size()][days];
              Map<Run, List<Integer>> runs = new LinkedHashMap<>();
              List<UtilizationDays.Bounds> toStore = new ArrayList<>();
              boolean[] summarisedSpace = new boolean[spaces.size()];
              summarised.forEach(i -> summarisedSpace[i] = true);
              for (int i = 0; i < spaces.size(); i++) {
                Space s = spaces.get(i);
                List<Instant> b = byZone.get(s.zone());
                int runFrom = -1;
                for (int k = 0; k <= days; k++) {
                  boolean missing = false;
                  if (k < days && b.get(k).isBefore(now)) {
                    UtilizationDays.Figures f = stored.get(key(s, first.plusDays(k)));
                    if (f != null) {
                      cells[i][k] = new Cell(i, k, f, true);
                    } else {
                      missing = true;
                      if (summarisedSpace[i] && !b.get(k + 1).isAfter(now)) {
                        toStore.add(
                            new UtilizationDays.Bounds(
                                key(s, first.plusDays(k)), utc(b.get(k)), utc(b.get(k + 1))));
                      }
                    }
                  }
                  if (missing && runFrom < 0) {
                    runFrom = k;
                  } else if (!missing && runFrom >= 0) {
                    runs.computeIfAbsent(new Run(runFrom, k - runFrom), r -> new ArrayList<>())
                        .add(i);
                    runFrom = -1;
                  }
                }
              }
              return summaries
                  .markPending(toStore)
                  .compose(
                      token ->
                          computeRuns(runs, spaces, byZone, now, cells)
                              .compose(
                                  v ->
                                      token == null
                                          ? Future.succeededFuture(0)
                                          : summaries.store(
                                              token, figuresOf(toStore, spaces, cells, first))))
                  .map(n -> new Computed(cells, n));
            });
  }

  private static UtilizationDays.Key key(Space s, LocalDate day) {
    return new UtilizationDays.Key(s.id(), s.ownZone(), day);
  }

  private static OffsetDateTime utc(Instant i) {
    return i.atOffset(ZoneOffset.UTC);
  }

  /** The computed figures of the days marked pending, to store. */
  private static Map<UtilizationDays.Key, UtilizationDays.Figures> figuresOf(
      List<UtilizationDays.Bounds> days, List<Space> spaces, Cell[][] cells, LocalDate first) {
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < spaces.size(); i++) {
      index.put(spaces.get(i).id(), i);
    }
    Map<UtilizationDays.Key, UtilizationDays.Figures> out = new HashMap<>();
    for (UtilizationDays.Bounds d : days) {
      Cell c =
          cells[index.get(d.key().space())][(int) ChronoUnit.DAYS.between(first, d.key().day())];
      if (c != null && c.complete()) {
        out.put(d.key(), c.figures());
      }
    }
    return out;
  }

  /**
   * Computes each run of missing days from the changes ({@link Statements#UTILIZATION}), one
   * statement per run for every space that misses exactly those days, and fills the cells.
   */
  private Future<Void> computeRuns(
      Map<Run, List<Integer>> runs,
      List<Space> spaces,
      Map<ZoneId, List<Instant>> byZone,
      Instant now,
      Cell[][] cells) {
    Future<Void> done = Future.succeededFuture();
    for (Map.Entry<Run, List<Integer>> e : runs.entrySet()) {
      Run run = e.getKey();
      List<Integer> members = e.getValue();
      done = done.compose(v -> computeRun(run, members, spaces, byZone, now, cells));
    }
    return done;
  }

  private Future<Void> computeRun(
      Run run,
      List<Integer> members,
      List<Space> spaces,
      Map<ZoneId, List<Instant>> byZone,
      Instant now,
      Cell[][] cells) {
    List<String> ids = new ArrayList<>(members.size());
    List<OffsetDateTime> bounds = new ArrayList<>(members.size() * (run.days() + 1));
    for (int i : members) {
      Space s = spaces.get(i);
      ids.add(s.id());
      byZone
          .get(s.zone())
          .subList(run.from(), run.from() + run.days() + 1)
          .forEach(b -> bounds.add(utc(b)));
    }
    OffsetDateTime lo = bounds.stream().min(OffsetDateTime::compareTo).orElseThrow();
    OffsetDateTime hi = bounds.stream().max(OffsetDateTime::compareTo).orElseThrow();
    return pool.preparedQuery(Statements.UTILIZATION)
        .execute(
            Tuple.of(
                ids.toArray(String[]::new),
                bounds.toArray(OffsetDateTime[]::new),
                run.days() + 1,
                utc(now),
                lo,
                hi))
        .map(
            result -> {
              for (Row r : result) {
                int i = members.get(r.getInteger("space_index") - 1);
                int k = run.from() + r.getInteger("day_index") - 1;
                cells[i][k] =
                    new Cell(
                        i,
                        k,
                        new UtilizationDays.Figures(
                            r.getInteger("peak"),
                            r.getOffsetDateTime("peak_at"),
                            r.getDouble("average"),
                            r.getLong("entries"),
                            r.getLong("exits"),
                            r.getInteger("count_at_end")),
                        r.getBoolean("complete"));
              }
              return null;
            });
  }

  private static JsonArray rows(
      Cell[][] cells, List<Space> spaces, Map<ZoneId, List<Instant>> byZone, LocalDate first) {
    JsonArray rows = new JsonArray();
    for (int i = 0; i < spaces.size(); i++) {
      Space s = spaces.get(i);
      List<Instant> b = byZone.get(s.zone());
      for (Cell c : cells[i]) {
        if (c == null) {
          continue; // a day that starts in the future
        }
        int k = c.day();
        UtilizationDays.Figures f = c.figures();
        Integer capacity = s.capacity();
        boolean ratios = capacity != null && capacity > 0;
        rows.add(
            new JsonObject()
                .put("space_id", s.id())
                .put("parent_id", s.parentId())
                .put("date", first.plusDays(k).toString())
                .put("time_zone", s.zone().getId())
                .put("start", Timestamps.format(Timestamps.toMicros(b.get(k))))
                .put("end", Timestamps.format(Timestamps.toMicros(b.get(k + 1))))
                .put("complete", c.complete())
                .put("capacity", capacity)
                .put("peak", f.peak())
                .put("peak_at", Timestamps.format(f.peakAt()))
                .put("average", round(f.average()))
                .put("peak_utilization", ratios ? round((double) f.peak() / capacity) : null)
                .put("average_utilization", ratios ? round(f.average() / capacity) : null)
                .put("entries", f.entries())
                .put("exits", f.exits())
                .put("count_at_end", f.countAtEnd()));
      }
    }
    return rows;
  }

  /** Four decimals: a ten-thousandth of a person, or of the capacity, is below any use. */
  static double round(double value) {
    return Math.round(value * 10_000) / 10_000.0;
  }
}
