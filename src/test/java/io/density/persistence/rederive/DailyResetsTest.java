package io.density.persistence.rederive;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The instants of a daily reset in a time zone")
class DailyResetsTest {
  private final DailyResets newYork =
      new DailyResets(ZoneId.of("America/New_York"), LocalTime.parse("02:30"));
  private final DailyResets adelaide =
      new DailyResets(ZoneId.of("Australia/Adelaide"), LocalTime.parse("02:30"));

  @Test
  @DisplayName("a local time the clocks jump over happens as much later as the jump")
  void springForward() {
    assertEquals(
        List.of(
            Instant.parse("2018-03-10T07:30:00Z"), // EST
            Instant.parse("2018-03-11T07:30:00Z"), // 03:30 EDT: 02:30 does not exist
            Instant.parse("2018-03-12T06:30:00Z")), // EDT
        newYork.between(
            Instant.parse("2018-03-10T07:30:00Z"), Instant.parse("2018-03-12T06:30:00.000001Z")));
  }

  @Test
  @DisplayName("a local time that happens twice as the clocks go back resets at the first")
  void fallBack() {
    // Adelaide leaves daylight time (UTC+10:30) at 03:00 on 1 April 2018, for UTC+09:30.
    assertEquals(
        Instant.parse("2018-03-31T16:00:00Z"),
        adelaide.atOrBefore(Instant.parse("2018-03-31T16:59:59Z")));
    assertEquals(
        Instant.parse("2018-04-01T17:00:00Z"),
        adelaide.after(Instant.parse("2018-03-31T16:00:00Z")));
  }

  @Test
  @DisplayName("between is half-open; at-or-before and after bracket any instant")
  void bounds() {
    Instant r = Instant.parse("2018-03-10T07:30:00Z");
    assertEquals(List.of(), newYork.between(r, r));
    assertEquals(List.of(r), newYork.between(r.minusSeconds(1), r.plusSeconds(1)));
    assertEquals(r, newYork.atOrBefore(r));
    assertEquals(Instant.parse("2018-03-09T07:30:00Z"), newYork.atOrBefore(r.minusNanos(1000)));
    assertEquals(Instant.parse("2018-03-11T07:30:00Z"), newYork.after(r));
  }
}
