package io.density.time;

import io.density.bus.InvalidInput;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ISO-8601 timestamps as DPUs and people write them: {@code T} or a space between date and time,
 * {@code Z}/{@code z} or an offset ({@code +01:00}, {@code +0100}, {@code +01}), 0 to 9 fraction
 * digits. Precision is microseconds (PostgreSQL's); finer digits are truncated.
 */
public final class Timestamps {
  private Timestamps() {}

  // A space where an offset's sign belongs is a '+' that a query string decoded to a space.
  private static final Pattern ISO =
      Pattern.compile(
          "(\\d{4}-\\d{2}-\\d{2})[Tt ](\\d{2}:\\d{2}:\\d{2})(?:\\.(\\d{0,9}))?"
              + "([Zz]|[+\\- ]\\d{2}(?::?\\d{2})?)");

  /** Parses a timestamp to microseconds since the epoch, or throws naming the field. */
  public static long parseMicros(String text, String field) throws InvalidInput {
    long micros = canonicalMicros(text);
    if (micros != NOT_CANONICAL) {
      return micros;
    }
    Instant instant = parse(text, field);
    return instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000;
  }

  /** What {@link #canonicalMicros} answers for anything but a valid canonical timestamp. */
  private static final long NOT_CANONICAL = Long.MIN_VALUE;

  /**
   * The form DPUs send, {@code 2018-02-24T08:45:21.893Z} (0 to 9 fraction digits), read without a
   * pattern or a parser: most of ingest's timestamps. Anything else, and any field out of range, is
   * {@link #NOT_CANONICAL}, left to {@link #parse} to read or refuse; both give the same instant
   * for what this reads.
   */
  private static long canonicalMicros(String t) {
    int n = t == null ? 0 : t.length();
    if (n < 20 || n > 30 || t.charAt(n - 1) != 'Z') {
      return NOT_CANONICAL;
    }
    if (t.charAt(4) != '-'
        || t.charAt(7) != '-'
        || t.charAt(10) != 'T'
        || t.charAt(13) != ':'
        || t.charAt(16) != ':') {
      return NOT_CANONICAL;
    }
    int year = digits(t, 0, 4);
    int month = digits(t, 5, 7);
    int day = digits(t, 8, 10);
    int hour = digits(t, 11, 13);
    int minute = digits(t, 14, 16);
    int second = digits(t, 17, 19);
    int micros = 0;
    if (n > 20) {
      if (t.charAt(19) != '.') {
        return NOT_CANONICAL;
      }
      int fraction = digits(t, 20, n - 1);
      if (fraction < 0) {
        return NOT_CANONICAL;
      }
      int places = n - 21; // fraction digits: 0 to 9
      micros = places <= 6 ? fraction * POWERS[6 - places] : fraction / POWERS[places - 6];
    }
    if ((year | month | day | hour | minute | second) < 0
        || month < 1
        || month > 12
        || day < 1
        || day > 28 && day > YearMonth.of(year, month).lengthOfMonth()
        || hour > 23
        || minute > 59
        || second > 59) {
      return NOT_CANONICAL;
    }
    long epochDay = LocalDate.of(year, month, day).toEpochDay();
    return ((epochDay * 24 + hour) * 60 + minute) * 60_000_000L + second * 1_000_000L + micros;
  }

  private static final int[] POWERS = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000};

  /** The decimal number of {@code t[from, to)} (at most 9 digits), or -1 if a char is no digit. */
  private static int digits(String t, int from, int to) {
    int value = 0;
    for (int i = from; i < to; i++) {
      int d = t.charAt(i) - '0';
      if (d < 0 || d > 9) {
        return -1;
      }
      value = value * 10 + d;
    }
    return value;
  }

  public static Instant parse(String text, String field) throws InvalidInput {
    if (text == null || text.isBlank()) {
      throw InvalidInput.malformed(
          field, field + " is required (ISO-8601, e.g. 2018-02-24T08:45:21.893Z)");
    }
    Matcher m = ISO.matcher(text.trim());
    if (!m.matches()) {
      throw InvalidInput.malformed(
          field,
          field
              + " is not an ISO-8601 timestamp with a zone (e.g. 2018-02-24T08:45:21.893Z): "
              + abbreviate(text));
    }
    try {
      LocalDate date = LocalDate.parse(m.group(1));
      LocalTime time = LocalTime.parse(m.group(2));
      String fraction = m.group(3) == null ? "" : m.group(3);
      int nanos =
          fraction.isEmpty() ? 0 : Integer.parseInt((fraction + "000000000").substring(0, 9));
      return OffsetDateTime.of(date, time.withNano(nanos), offset(m.group(4))).toInstant();
    } catch (DateTimeException e) {
      throw InvalidInput.malformed(
          field, field + " is not a valid date and time: " + abbreviate(text));
    }
  }

  public static Instant fromMicros(long micros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
  }

  public static long toMicros(Instant instant) {
    return instant.getEpochSecond() * 1_000_000L + instant.getNano() / 1_000;
  }

  public static OffsetDateTime toOffsetDateTime(long micros) {
    // Straight from the epoch second: Instant.atOffset would build the offset's rules every time.
    return OffsetDateTime.of(
        LocalDateTime.ofEpochSecond(
            Math.floorDiv(micros, 1_000_000L),
            (int) Math.floorMod(micros, 1_000_000L) * 1_000,
            ZoneOffset.UTC),
        ZoneOffset.UTC);
  }

  public static long toMicros(OffsetDateTime odt) {
    return toMicros(odt.toInstant());
  }

  /** The last day whose year has four digits, 9999-12-31, in days since the epoch. */
  private static final long LAST_FOUR_DIGIT_DAY = LocalDate.of(9999, 12, 31).toEpochDay();

  /**
   * The canonical form used in every response: UTC, with 0, 3 or 6 fraction digits as needed
   * ({@link DateTimeFormatter#ISO_INSTANT}'s form), written straight into a buffer for the years
   * 1970 to 9999: every count event carries one, and the formatter's general path cost a twentieth
   * of the server's time under ingest.
   */
  public static String format(long micros) {
    long seconds = Math.floorDiv(micros, 1_000_000L);
    int fraction = (int) Math.floorMod(micros, 1_000_000L);
    long day = Math.floorDiv(seconds, 86_400L);
    if (day < 0 || day > LAST_FOUR_DIGIT_DAY) {
      return DateTimeFormatter.ISO_INSTANT.format(fromMicros(micros));
    }
    int second = (int) Math.floorMod(seconds, 86_400L);
    LocalDate date = LocalDate.ofEpochDay(day);
    byte[] out = new byte[27];
    digits(out, 0, date.getYear(), 4);
    out[4] = '-';
    digits(out, 5, date.getMonthValue(), 2);
    out[7] = '-';
    digits(out, 8, date.getDayOfMonth(), 2);
    out[10] = 'T';
    digits(out, 11, second / 3600, 2);
    out[13] = ':';
    digits(out, 14, second / 60 % 60, 2);
    out[16] = ':';
    digits(out, 17, second % 60, 2);
    int n = 19;
    if (fraction != 0) {
      out[n++] = '.';
      if (fraction % 1000 == 0) {
        digits(out, n, fraction / 1000, 3);
        n += 3;
      } else {
        digits(out, n, fraction, 6);
        n += 6;
      }
    }
    out[n++] = 'Z';
    return new String(out, 0, n, StandardCharsets.US_ASCII);
  }

  /** Writes {@code value} as {@code width} decimal digits, zeros first, at {@code at}. */
  private static void digits(byte[] out, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      out[i] = (byte) ('0' + value % 10);
      value /= 10;
    }
  }

  /** The same for a value read from PostgreSQL; null stays null. */
  public static String format(OffsetDateTime odt) {
    return odt == null ? null : format(toMicros(odt));
  }

  private static ZoneOffset offset(String text) {
    if (text.equalsIgnoreCase("z")) {
      return ZoneOffset.UTC;
    }
    int sign = text.charAt(0) == '-' ? -1 : 1;
    String digits = text.substring(1).replace(":", "");
    int hours = Integer.parseInt(digits.substring(0, 2));
    int minutes = digits.length() > 2 ? Integer.parseInt(digits.substring(2)) : 0;
    return ZoneOffset.ofHoursMinutes(sign * hours, sign * minutes);
  }

  private static String abbreviate(String text) {
    return text.length() <= 64 ? text : text.substring(0, 64) + "...";
  }
}
