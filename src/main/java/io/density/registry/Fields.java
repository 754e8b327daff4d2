package io.density.registry;

import io.density.bus.InvalidInput;
import io.density.ingest.Ids;
import io.density.time.Timestamps;
import io.vertx.core.json.JsonObject;
import java.time.DateTimeException;
import java.time.LocalTime;
import java.time.ZoneId;

/**
 * The values of the building's resources, validated, with errors that name the field: the rules
 * {@link RegistryRequest}'s readers apply where a request enters.
 */
final class Fields {
  private Fields() {}

  static String optionalText(JsonObject body, String field) throws InvalidInput {
    Object v = body.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw new InvalidInput(field, field + " must be a string");
    }
    if (s.length() > 200) {
      throw new InvalidInput(field, field + " is longer than 200 characters");
    }
    return s.isBlank() ? null : Ids.storable(s, field);
  }

  static String requiredText(JsonObject body, String field) throws InvalidInput {
    Object v = body.getValue(field);
    if (v instanceof Number n) {
      v = n.toString();
    }
    String s = v instanceof String text ? text.trim() : null;
    if (s == null || s.isEmpty()) {
      throw InvalidInput.malformed(field, field + " is required");
    }
    return Ids.storable(s, field);
  }

  static String zone(Object v) throws InvalidInput {
    if (v == null) {
      return "UTC";
    }
    try {
      return ZoneId.of((String) v).getId();
    } catch (ClassCastException | DateTimeException e) {
      throw new InvalidInput("time_zone", "time_zone must be an IANA zone such as Europe/Paris");
    }
  }

  static Integer capacity(Object v) throws InvalidInput {
    if (v == null) {
      return null;
    }
    if (v instanceof Integer i && i >= 0) {
      return i;
    }
    throw new InvalidInput("capacity", "capacity must be a non-negative integer");
  }

  /** The longest idle period a space may be reset after: a week. */
  static final int MAX_IDLE_RESET_MINUTES = 10_080;

  /** Minutes without an effect after which a space is reset to 0 (null: never). */
  static Integer idleResetMinutes(Object v) throws InvalidInput {
    if (v == null) {
      return null;
    }
    if (v instanceof Integer i && i >= 1 && i <= MAX_IDLE_RESET_MINUTES) {
      return i;
    }
    throw new InvalidInput(
        "idle_reset_minutes",
        "idle_reset_minutes must be an integer from 1 to " + MAX_IDLE_RESET_MINUTES + ", or null");
  }

  static boolean flag(Object v, String field, boolean otherwise) throws InvalidInput {
    if (v == null) {
      return otherwise;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    throw new InvalidInput(field, field + " must be true or false");
  }

  static LocalTime localTime(Object v, String field) throws InvalidInput {
    if (v == null) {
      return null;
    }
    try {
      return LocalTime.parse((String) v);
    } catch (ClassCastException | DateTimeException e) {
      throw new InvalidInput(field, field + " must be a local time such as 04:00");
    }
  }

  static short placement(Object v) throws InvalidInput {
    String s = v == null ? "" : v.toString().trim();
    return switch (s) {
      case "1", "+1" -> 1;
      case "-1" -> -1;
      default -> throw new InvalidInput("sensor_placement", "sensor_placement must be +1 or -1");
    };
  }

  /** An instant (ISO-8601) in µs, or null when absent. */
  static Long optionalMicros(JsonObject body, String field) throws InvalidInput {
    Object v = body.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw InvalidInput.malformed(field, field + " must be an ISO-8601 string");
    }
    return Timestamps.parseMicros(s, field);
  }
}
