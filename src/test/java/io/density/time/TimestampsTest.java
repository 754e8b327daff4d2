package io.density.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.density.bus.InvalidInput;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Timestamps as DPUs send them: every spelling read to the same microsecond")
class TimestampsTest {

  /** The instant java.time reads, in microseconds (finer digits dropped, as the server does). */
  private static long expected(String text) {
    var instant = OffsetDateTime.parse(text).toInstant();
    return instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000;
  }

  @Test
  @DisplayName("random canonical timestamps, 0 to 9 fraction digits, equal java.time's reading")
  void canonical() {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 20_000; i++) {
      int year = random.nextInt(1, 10_000);
      int month = random.nextInt(1, 13);
      int day = random.nextInt(1, java.time.YearMonth.of(year, month).lengthOfMonth() + 1);
      int places = random.nextInt(0, 10);
      StringBuilder fraction = new StringBuilder(places == 0 && random.nextBoolean() ? "" : ".");
      for (int k = 0; k < places; k++) {
        fraction.append((char) ('0' + random.nextInt(10)));
      }
      String text =
          String.format(
              "%04d-%02d-%02dT%02d:%02d:%02d%sZ",
              year,
              month,
              day,
              random.nextInt(24),
              random.nextInt(60),
              random.nextInt(60),
              fraction);
      String readable = text.endsWith(".Z") ? text.replace(".Z", "Z") : text;
      assertEquals(expected(readable), Timestamps.parseMicros(text, "timestamp"), text);
    }
  }

  @Test
  @DisplayName(
      "instants are written as java.time's ISO_INSTANT writes them, fraction digits as needed")
  void formatted() {
    SplittableRandom random = new SplittableRandom(11);
    List<Long> instants = new ArrayList<>();
    // Whole seconds, whole milliseconds, microseconds; the edges of the fast path and beyond it.
    for (int i = 0; i < 20_000; i++) {
      long micros = random.nextLong(0, 253_402_300_800_000_000L); // 1970 to the end of 9999
      instants.add(micros);
      instants.add(micros / 1_000_000 * 1_000_000);
      instants.add(micros / 1_000 * 1_000);
    }
    instants.addAll(
        List.of(
            0L,
            1L,
            -1L,
            999_999L,
            1_000L,
            -86_400_000_001L,
            253_402_300_799_999_999L,
            253_402_300_800_000_000L));
    for (long micros : instants) {
      Instant instant =
          Instant.ofEpochSecond(
              Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000);
      assertEquals(
          DateTimeFormatter.ISO_INSTANT.format(instant), Timestamps.format(micros), "µs " + micros);
    }
    assertEquals("2018-02-24T08:45:21.893Z", Timestamps.format(1_519_461_921_893_000L));
  }

  @Test
  @DisplayName("other spellings (offsets, a space, lower case) read as the same instants")
  void otherSpellings() {
    assertEquals(
        Timestamps.parseMicros("2018-02-24T08:45:21.893Z", "t"),
        Timestamps.parseMicros("2018-02-24 09:45:21.893+01:00", "t"));
    assertEquals(
        Timestamps.parseMicros("2018-02-24T08:45:21.893Z", "t"),
        Timestamps.parseMicros("2018-02-24t08:45:21.893z", "t"));
    assertEquals(
        Timestamps.parseMicros("2018-02-24T08:45:21.893Z", "t"),
        Timestamps.parseMicros(" 2018-02-24T03:45:21.893-0500 ", "t"));
  }

  @Test
  @DisplayName("missing, blank, impossible dates and times are refused, naming the field")
  void impossible() {
    assertEquals(
        "timestamp",
        assertThrows(InvalidInput.class, () -> Timestamps.parseMicros(null, "timestamp")).field());
    for (String text :
        List.of(
            "",
            "2018-02-29T08:45:21Z",
            "2018-13-01T08:45:21Z",
            "2018-00-10T08:45:21Z",
            "2018-04-31T08:45:21Z",
            "2018-02-24T24:00:00Z",
            "2018-02-24T23:60:00Z",
            "2018-02-24T23:59:60Z",
            "2018-02-24T23:59:59.1234567890Z",
            "2018-02-24T23:59:5xZ",
            "2018-02-24T23:59:59")) {
      InvalidInput e =
          assertThrows(InvalidInput.class, () -> Timestamps.parseMicros(text, "timestamp"), text);
      assertEquals("timestamp", e.field(), text);
    }
  }
}
