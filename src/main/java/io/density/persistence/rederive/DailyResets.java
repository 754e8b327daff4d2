package io.density.persistence.rederive;

import io.vertx.sqlclient.Row;
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
record DailyResets(ZoneId zone, LocalTime at) {

  /** The rule of a space row with {@code time_zone} and {@code daily_reset}; null without one. */
  static DailyResets of(Row space) {
    LocalTime at = space.getLocalTime("daily_reset");
    return at == null ? null : new DailyResets(ZoneId.of(space.getString("time_zone")), at);
  }

  Instant on(LocalDate day) {
    return ZonedDateTime.of(day, at, zone).toInstant();
  }

  /** The reset instants r with from ≤ r < to. */
  List<Instant> between(Instant from, Instant to) {
    List<Instant> out = new ArrayList<>();
    for (Instant r = atOrBefore(from); r.isBefore(to); r = after(r)) {
      if (!r.isBefore(from)) {
        out.add(r);
      }
    }
    return out;
  }

  /** The last reset instant at or before the given one. */
  Instant atOrBefore(Instant instant) {
    LocalDate day = instant.atZone(zone).toLocalDate().plusDays(1);
    Instant r = on(day);
    while (r.isAfter(instant)) {
      day = day.minusDays(1);
      r = on(day);
    }
    return r;
  }

  /** The first reset instant strictly after the given one. */
  Instant after(Instant instant) {
    LocalDate day = instant.atZone(zone).toLocalDate().minusDays(1);
    Instant r = on(day);
    while (!r.isAfter(instant)) {
      day = day.plusDays(1);
      r = on(day);
    }
    return r;
  }
}
