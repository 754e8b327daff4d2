package io.density.registry;

import io.density.bus.InvalidInput;
import io.density.ingest.Ids;
import io.density.time.Timestamps;
import io.vertx.core.json.JsonObject;
import java.time.DateTimeException;
import java.time.LocalTime;
import java.time.ZoneId;

/**
 * The values of the building's resources, read from bodies that meet the API document's schemas
 * ({@code SpaceBody}, {@code LinkBody}, ...: api/BodyRules), checked for what a schema cannot say
 * (a zone that exists, a time that parses, text without control characters), with errors that name
 * the field.
 */
final class Fields {
  private Fields() {}

  /** Text that may be absent (a name): blank is none; without control characters. */
  static String optionalText(JsonObject body, String field) throws InvalidInput {
    String s = body.getString(field);
    return s == null || s.isBlank() ? null : Ids.storable(s, field);
  }

  /** An id given as text or as a number, trimmed; blank is missing. */
  static String requiredText(JsonObject body, String field) throws InvalidInput {
    Object v = body.getValue(field);
    String s = v == null ? "" : v.toString().trim();
    if (s.isEmpty()) {
      throw InvalidInput.malformed(field, field + " is required");
    }
    return Ids.storable(s, field);
  }

  /** An IANA time zone; absent is UTC. */
  static String zone(Object v) throws InvalidInput {
    if (v == null) {
      return "UTC";
    }
    try {
      return ZoneId.of((String) v).getId();
    } catch (DateTimeException e) {
      throw new InvalidInput("time_zone", "time_zone must be an IANA zone such as Europe/Paris");
    }
  }

  /** A whole number the schema has checked, or null. */
  static Integer whole(Object v) {
    return v == null ? null : ((Number) v).intValue();
  }

  static boolean flag(Object v, boolean otherwise) {
    return v == null ? otherwise : (Boolean) v;
  }

  static LocalTime localTime(Object v, String field) throws InvalidInput {
    if (v == null) {
      return null;
    }
    try {
      return LocalTime.parse((String) v);
    } catch (DateTimeException e) {
      throw new InvalidInput(field, field + " must be a local time such as 04:00");
    }
  }

  /** A sensor placement the schema has checked: 1, -1, "+1", "1" or "-1". */
  static short placement(Object v) {
    return (short) (v instanceof Number n ? n.intValue() : Integer.parseInt((String) v));
  }

  /** An instant (ISO-8601) in µs, or null when absent. */
  static Long optionalMicros(JsonObject body, String field) throws InvalidInput {
    String s = body.getString(field);
    return s == null ? null : Timestamps.parseMicros(s, field);
  }
}
