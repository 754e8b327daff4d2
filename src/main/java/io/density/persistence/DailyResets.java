package io.density.persistence;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * The instants of a daily reset at a local time in a time zone. On a day when that local time does
 * not exist (clocks jump forward over it) the reset happens as much later as the jump; when it
 * happens twice (clocks go back), at the first of the two.
 */
final class DailyResets {
  private DailyResets() {}

  static Instant on(LocalDate day, LocalTime at, ZoneId zone) {
    return ZonedDateTime.of(day, at, zone).toInstant();
  }

  /** The reset instants r with from ≤ r ≤ to. */
  static List<Instant> between(ZoneId zone, LocalTime at, Instant from, Instant to) {
    List<Instant> out = new ArrayList<>();
    LocalDate day = from.atZone(zone).toLocalDate().minusDays(1);
    LocalDate last = to.atZone(zone).toLocalDate().plusDays(1);
    for (; !day.isAfter(last); day = day.plusDays(1)) {
      Instant r = on(day, at, zone);
      if (!r.isBefore(from) && !r.isAfter(to)) {
        out.add(r);
      }
    }
    return out;
  }

  /** The first reset instant strictly after the given one. */
  static Instant next(ZoneId zone, LocalTime at, Instant after) {
    LocalDate day = after.atZone(zone).toLocalDate().minusDays(1);
    while (true) {
      Instant r = on(day, at, zone);
      if (r.isAfter(after)) {
        return r;
      }
      day = day.plusDays(1);
    }
  }
}
