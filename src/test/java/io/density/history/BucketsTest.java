package io.density.history;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.density.history.Buckets.Bucket;
import io.density.history.Buckets.Change;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Time buckets aligned in a time zone")
class BucketsTest {
  private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

  private static List<Duration> lengths(List<Instant> b) {
    return java.util.stream.IntStream.range(0, b.size() - 1)
        .mapToObj(i -> Duration.between(b.get(i), b.get(i + 1)))
        .toList();
  }

  @Test
  @DisplayName("a local day is 23 hours on the spring DST change and 25 on the autumn one")
  void daysAcrossDst() {
    List<Instant> spring =
        Buckets.boundaries(
            Instant.parse("2024-03-30T12:00:00Z"),
            Instant.parse("2024-04-01T00:00:00Z"),
            "1d",
            PARIS);
    assertEquals(Instant.parse("2024-03-29T23:00:00Z"), spring.get(0), "local midnight, UTC+1");
    assertEquals(
        List.of(Duration.ofHours(24), Duration.ofHours(23), Duration.ofHours(24)), lengths(spring));
    List<Instant> autumn =
        Buckets.boundaries(
            Instant.parse("2024-10-26T22:00:00Z"),
            Instant.parse("2024-10-27T23:00:00Z"),
            "1d",
            PARIS);
    assertEquals(Duration.ofHours(25), lengths(autumn).get(0));
  }

  @Test
  @DisplayName("sub-day buckets start on local wall-clock multiples, also in half-hour zones")
  void wallClockAlignment() {
    List<Instant> quarter =
        Buckets.boundaries(
            Instant.parse("2024-01-01T10:07:30Z"),
            Instant.parse("2024-01-01T10:40:00Z"),
            "15m",
            PARIS);
    assertEquals(Instant.parse("2024-01-01T10:00:00Z"), quarter.get(0));
    assertEquals(Instant.parse("2024-01-01T10:45:00Z"), quarter.get(quarter.size() - 1));
    List<Instant> india =
        Buckets.boundaries(
            Instant.parse("2024-01-01T10:07:00Z"),
            Instant.parse("2024-01-01T11:00:00Z"),
            "1h",
            ZoneId.of("Asia/Kolkata"));
    assertEquals(Instant.parse("2024-01-01T09:30:00Z"), india.get(0), "15:00 local is 09:30Z");
  }

  @Test
  @DisplayName(
      "count closes the bucket, entries/exits count sensed effects, min/max include the opening value")
  void folding() {
    Instant t0 = Instant.parse("2024-01-01T00:00:00Z");
    List<Instant> b = List.of(t0, t0.plusSeconds(60), t0.plusSeconds(120), t0.plusSeconds(180));
    List<Change> changes =
        List.of(
            new Change(t0.plusSeconds(10), false, 1, 3),
            new Change(t0.plusSeconds(20), false, -1, 2),
            new Change(t0.plusSeconds(30), false, -1, 1),
            new Change(t0.plusSeconds(120), true, 0, 0), // a reset at a boundary opens the bucket
            new Change(t0.plusSeconds(120), false, -1, 0), // clamped: sensed, absorbed
            new Change(t0.plusSeconds(179).plusMillis(999).plusNanos(500_000), false, 1, 1));
    List<Bucket> buckets = Buckets.fold(b, 2, changes);
    assertEquals(new Bucket(b.get(0), b.get(1), 1, 1, 2, 1, 3), buckets.get(0));
    assertEquals(new Bucket(b.get(1), b.get(2), 1, 0, 0, 1, 1), buckets.get(1));
    assertEquals(
        new Bucket(b.get(2), b.get(3), 0, 1, 1, 0, 1),
        buckets.get(2),
        "the effect in the last ms is after the closing count");
  }
}
