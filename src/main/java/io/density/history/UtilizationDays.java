package io.density.history;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The stored per-day summaries of utilization reports (table {@code utilization_day}; docs/
 * counting.md, "Utilization", "Summaries"): the figures of a space and a complete local day in the
 * space's own zone, written by the report that computed them and deleted by the triggers of {@code
 * space_count} and {@code space_reset} as soon as a change could alter them.
 *
 * <p>A report stores a day in two steps around computing it: {@link #markPending} (then every
 * writer that could have missed the pending rows is waited for), then {@link #store} into the rows
 * still pending under its token. A failure of either only means the days are not stored: the report
 * answers all the same.
 */
final class UtilizationDays {
  private static final Logger LOG = Logger.getLogger(UtilizationDays.class.getName());

  /** A space's local day in a zone. */
  record Key(String space, String zone, LocalDate day) {}

  /** A day to store, with its first instant and the first instant of the next. */
  record Bounds(Key key, OffsetDateTime d0, OffsetDateTime d1) {}

  /** A day's figures (the average unrounded). */
  record Figures(
      int peak, OffsetDateTime peakAt, double average, long entries, long exits, int countAtEnd) {}

  private final Pool pool;
  private Future<Boolean> kept;

  UtilizationDays(Pool pool) {
    this.pool = pool;
  }

  /** Whether summaries are kept exact by the schema's triggers (asked once). */
  Future<Boolean> kept() {
    if (kept == null || kept.failed()) {
      kept =
          pool.query(Statements.SUMMARIES_KEPT)
              .execute()
              .map(rows -> rows.iterator().next().getBoolean("kept"));
    }
    return kept;
  }

  /** The stored days of the spaces (each in the zone at the same index) in [first, after). */
  Future<Map<Key, Figures>> stored(
      List<String> spaces, List<String> zones, LocalDate first, LocalDate after) {
    if (spaces.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    Map<String, String> zoneOf = new HashMap<>();
    for (int i = 0; i < spaces.size(); i++) {
      zoneOf.put(spaces.get(i), zones.get(i));
    }
    return pool.preparedQuery(Statements.STORED_DAYS)
        .execute(Tuple.of(spaces.toArray(String[]::new), first, after))
        .map(
            rows -> {
              Map<Key, Figures> out = new HashMap<>();
              for (Row r : rows) {
                String space = r.getString("space_id");
                String zone = r.getString("time_zone");
                if (!zone.equals(zoneOf.get(space))) {
                  continue; // cut in a zone the space had before
                }
                out.put(
                    new Key(space, zone, r.getLocalDate("day")),
                    new Figures(
                        r.getInteger("peak"),
                        r.getOffsetDateTime("peak_at"),
                        r.getDouble("average"),
                        r.getLong("entries"),
                        r.getLong("exits"),
                        r.getInteger("count_at_end")));
              }
              return out;
            });
  }

  /**
   * Marks the days pending under a new token, then waits until every writer of counts and resets
   * that could have missed them has committed; the token, or null when that failed (the writers did
   * not finish within a second, or PostgreSQL refused): the report then stores nothing.
   */
  Future<Long> markPending(Collection<Bounds> days) {
    if (days.isEmpty()) {
      return Future.succeededFuture(null);
    }
    long token = ThreadLocalRandom.current().nextLong();
    int n = days.size();
    String[] spaces = new String[n];
    String[] zones = new String[n];
    LocalDate[] dates = new LocalDate[n];
    OffsetDateTime[] d0 = new OffsetDateTime[n];
    OffsetDateTime[] d1 = new OffsetDateTime[n];
    int i = 0;
    for (Bounds b : days) {
      spaces[i] = b.key().space();
      zones[i] = b.key().zone();
      dates[i] = b.key().day();
      d0[i] = b.d0();
      d1[i] = b.d1();
      i++;
    }
    return pool.preparedQuery(Statements.MARK_DAYS_PENDING)
        .execute(Tuple.of(spaces, zones, dates, d0, d1, token))
        .compose(
            marked ->
                pool.withTransaction(
                    conn ->
                        conn.query(Statements.WAIT_FOR_LOCKS_AT_MOST_1S)
                            .execute()
                            .compose(v -> conn.query(Statements.LOCK_OUT_WRITERS).execute())))
        .<Long>map(v -> token)
        .recover(
            err -> {
              LOG.log(Level.INFO, "utilization days not stored this time: " + err.getMessage());
              return Future.succeededFuture(null);
            });
  }

  /** Stores the figures into the days still pending under the token; how many were stored. */
  Future<Integer> store(long token, Map<Key, Figures> days) {
    int n = days.size();
    String[] spaces = new String[n];
    String[] zones = new String[n];
    LocalDate[] dates = new LocalDate[n];
    Integer[] peak = new Integer[n];
    OffsetDateTime[] peakAt = new OffsetDateTime[n];
    Double[] average = new Double[n];
    Long[] entries = new Long[n];
    Long[] exits = new Long[n];
    Integer[] countAtEnd = new Integer[n];
    int i = 0;
    for (Map.Entry<Key, Figures> e : days.entrySet()) {
      Key k = e.getKey();
      Figures f = e.getValue();
      spaces[i] = k.space();
      zones[i] = k.zone();
      dates[i] = k.day();
      peak[i] = f.peak();
      peakAt[i] = f.peakAt();
      average[i] = f.average();
      entries[i] = f.entries();
      exits[i] = f.exits();
      countAtEnd[i] = f.countAtEnd();
      i++;
    }
    Tuple t =
        Tuple.of(token, spaces, zones, dates, peak, peakAt, average, entries, exits, countAtEnd);
    return pool.preparedQuery(Statements.STORE_DAYS)
        .execute(t)
        .map(rows -> rows.rowCount())
        .recover(
            err -> {
              LOG.log(Level.WARNING, "utilization days not stored: " + err.getMessage());
              return Future.succeededFuture(0);
            });
  }
}
