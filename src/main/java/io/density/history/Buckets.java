package io.density.history;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A space's history in time buckets, as the counting contract defines them. Buckets are aligned in
 * a time zone: a day is a local calendar day (23 or 25 hours across a DST change), shorter
 * intervals start on local wall-clock multiples of their length.
 */
public final class Buckets {
  private Buckets() {}

  public static final Map<String, Duration> INTERVALS =
      Map.of(
          "1m", Duration.ofMinutes(1),
          "5m", Duration.ofMinutes(5),
          "15m", Duration.ofMinutes(15),
          "1h", Duration.ofHours(1),
          "1d", Duration.ofDays(1));

  /** A change of the count, in contract order: a reset (sets the value) or an effect. */
  public record Change(Instant ts, boolean reset, int delta, int countAfter) {}

  /** One bucket [start, end). */
  public record Bucket(
      Instant start, Instant end, int count, int entries, int exits, int min, int max) {}

  /** Bucket boundaries covering [start, end): the first starts at or before start. */
  public static List<Instant> boundaries(Instant start, Instant end, String interval, ZoneId zone) {
    return boundaries(start, end, interval, zone, Integer.MAX_VALUE - 2);
  }

  /**
   * The same, but no more than {@code max} buckets are made: a range that needs more gets {@code
   * max + 1} (so the caller can refuse it), without building them all.
   */
  public static List<Instant> boundaries(
      Instant start, Instant end, String interval, ZoneId zone, int max) {
    Duration length = INTERVALS.get(interval);
    List<Instant> out = new ArrayList<>();
    if (length.equals(Duration.ofDays(1))) {
      LocalDate day = start.atZone(zone).toLocalDate();
      Instant b = day.atStartOfDay(zone).toInstant();
      out.add(b);
      while (b.isBefore(end) && out.size() <= max + 1) {
        day = day.plusDays(1);
        b = day.atStartOfDay(zone).toInstant();
        out.add(b);
      }
      return out;
    }
    ZonedDateTime local = start.atZone(zone);
    long minutes = length.toMinutes();
    LocalDateTime wall = local.toLocalDateTime().truncatedTo(ChronoUnit.MINUTES);
    long minuteOfDay = wall.getHour() * 60L + wall.getMinute();
    wall = wall.minusMinutes(minuteOfDay % minutes);
    Instant b = ZonedDateTime.ofLocal(wall, zone, local.getOffset()).toInstant();
    if (b.isAfter(start)) { // a wall-clock gap moved it past start
      b = b.minus(length);
    }
    out.add(b);
    while (b.isBefore(end) && out.size() <= max + 1) {
      b = b.plus(length);
      out.add(b);
    }
    return out;
  }

  /**
   * Folds changes (in contract order, each at or after the first boundary) into buckets.
   *
   * @param before the count in force just before the first boundary
   */
  public static List<Bucket> fold(List<Instant> boundaries, int before, List<Change> changes) {
    List<Bucket> out = new ArrayList<>(boundaries.size());
    int value = before;
    int next = 0;
    for (int i = 0; i + 1 < boundaries.size(); i++) {
      Instant b0 = boundaries.get(i);
      Instant b1 = boundaries.get(i + 1);
      Instant closing = b1.minusMillis(1);
      // Resets at b0 apply before the bucket opens; effects at b0 come inside it.
      while (next < changes.size()
          && changes.get(next).reset()
          && !changes.get(next).ts().isAfter(b0)) {
        value = changes.get(next++).countAfter();
      }
      int min = value;
      int max = value;
      int entries = 0;
      int exits = 0;
      Integer closingCount = null;
      while (next < changes.size() && changes.get(next).ts().isBefore(b1)) {
        Change c = changes.get(next++);
        if (closingCount == null && c.ts().isAfter(closing)) {
          closingCount = value;
        }
        if (!c.reset()) {
          if (c.delta() > 0) {
            entries++;
          } else {
            exits++;
          }
        }
        value = c.countAfter();
        min = Math.min(min, value);
        max = Math.max(max, value);
      }
      out.add(
          new Bucket(
              b0, b1, closingCount != null ? closingCount : value, entries, exits, min, max));
    }
    return out;
  }
}
