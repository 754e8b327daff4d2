package io.density.ingest;

import io.density.bus.InvalidInput;
import io.density.time.Timestamps;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The ingest rules of the counting contract: what a datapoint must look like to be stored and
 * counted. Values may arrive as strings or numbers ({@code "1"}, {@code 1}, {@code "-1"}).
 */
public final class DatapointParser {

  private final Clock clock;
  private final long maxFutureSkewMicros;
  private final int retentionDays;
  private final long earliestMicros;

  /** The longest datapoint (its JSON text as sent, extra fields included) that is stored. */
  public static final int MAX_PAYLOAD_CHARS = 2048;

  /**
   * @param maxFutureSkewSeconds how far ahead of the server clock a timestamp may be
   * @param retentionDays how old a timestamp may be (0: any age); older history is dropped
   */
  public DatapointParser(Clock clock, int maxFutureSkewSeconds, int retentionDays) {
    this(clock, maxFutureSkewSeconds, retentionDays, "2000-01-01T00:00:00Z");
  }

  /**
   * @param earliest the earliest timestamp accepted (ISO-8601): older ones are refused whatever the
   *     retention, so that no request can make the raw log reach back centuries
   */
  public DatapointParser(
      Clock clock, int maxFutureSkewSeconds, int retentionDays, String earliest) {
    this.clock = clock;
    this.maxFutureSkewMicros = maxFutureSkewSeconds * 1_000_000L;
    this.retentionDays = retentionDays;
    try {
      this.earliestMicros = Timestamps.parseMicros(earliest, "ingest.earliestTimestamp");
    } catch (InvalidInput e) {
      throw new IllegalArgumentException(
          "ingest.earliestTimestamp is not an ISO-8601 instant: " + earliest, e);
    }
  }

  /** The values of a datapoint's fields as received (null when absent). */
  public record Fields(Object dpuId, Object direction, Object timestamp, Object id) {
    public static Fields of(JsonObject item) {
      return new Fields(
          item.getValue("dpu_id"),
          item.getValue("direction"),
          item.getValue("timestamp"),
          item.getValue("id"));
    }
  }

  /**
   * What came of a batch's items: the valid datapoints with the index each stood at, and the
   * rejected indexes with why.
   */
  public record Checked(
      List<Datapoint> valid, List<Integer> validIndex, Map<Integer, InvalidInput> rejected) {}

  /** Validates every item of a batch; one item's fault never affects another. */
  public Checked check(List<DatapointBody.Item> items, long receivedMicros) {
    List<Datapoint> valid = new ArrayList<>();
    List<Integer> validIndex = new ArrayList<>();
    Map<Integer, InvalidInput> rejected = new TreeMap<>();
    for (int i = 0; i < items.size(); i++) {
      DatapointBody.Item item = items.get(i);
      try {
        if (item.fields() == null) {
          throw InvalidInput.malformed(null, "a datapoint must be a JSON object");
        }
        valid.add(parse(item.fields(), item.text(), receivedMicros));
        validIndex.add(i);
      } catch (InvalidInput e) {
        rejected.put(i, e);
      }
    }
    return new Checked(valid, validIndex, rejected);
  }

  /**
   * Validates one datapoint.
   *
   * @param item the values of its fields as received
   * @param payload the text it was read from, kept in the raw log
   * @param receivedMicros when the request arrived
   */
  public Datapoint parse(Fields item, String payload, long receivedMicros) throws InvalidInput {
    if (payload.length() > MAX_PAYLOAD_CHARS) {
      throw new InvalidInput(
          null,
          "a datapoint is stored as sent, so it may have at most "
              + MAX_PAYLOAD_CHARS
              + " characters; this one has "
              + payload.length());
    }
    String dpuId = identifier(item.dpuId(), "dpu_id", true);
    int direction = direction(item.direction());
    Object rawTs = item.timestamp();
    if (rawTs != null && !(rawTs instanceof String)) {
      throw InvalidInput.malformed("timestamp", "timestamp must be an ISO-8601 string");
    }
    long ts = Timestamps.parseMicros((String) rawTs, "timestamp");
    long now = Timestamps.toMicros(clock.instant());
    if (ts < earliestMicros) {
      throw new InvalidInput(
          "timestamp",
          "timestamp is before "
              + Timestamps.format(earliestMicros)
              + ", the earliest this server accepts: "
              + rawTs);
    }
    if (ts > now + maxFutureSkewMicros) {
      throw new InvalidInput(
          "timestamp",
          "timestamp is more than "
              + maxFutureSkewMicros / 1_000_000
              + " s ahead of the server clock: "
              + rawTs);
    }
    if (retentionDays > 0 && ts < now - retentionDays * 86_400_000_000L) {
      throw new InvalidInput(
          "timestamp",
          "timestamp is older than the retention period of " + retentionDays + " days: " + rawTs);
    }
    String id = identifier(item.id(), "id", false);
    String key = id != null ? Datapoint.idKey(id) : Datapoint.timestampKey(ts, direction);
    return new Datapoint(dpuId, ts, direction, key, receivedMicros, payload);
  }

  private static String identifier(Object value, String field, boolean required)
      throws InvalidInput {
    if (value == null) {
      if (required) {
        throw InvalidInput.malformed(field, field + " is required");
      }
      return null;
    }
    String text;
    if (value instanceof String s) {
      text = s.trim();
    } else if (value instanceof Number n && isIntegral(n)) {
      text = new BigDecimal(n.toString()).toBigInteger().toString();
    } else {
      throw InvalidInput.malformed(field, field + " must be a string or an integer");
    }
    return Ids.check(text, field);
  }

  private static int direction(Object value) throws InvalidInput {
    if (value == null) {
      throw InvalidInput.malformed("direction", "direction is required (+1 or -1)");
    }
    if (value instanceof Number n && isIntegral(n)) {
      double d = n.doubleValue();
      if (d == 1 || d == -1) {
        return (int) d;
      }
    } else if (value instanceof String s) {
      switch (s.trim()) {
        case "1", "+1":
          return 1;
        case "-1":
          return -1;
        default:
          break;
      }
    }
    String message = "direction must be +1 or -1, not " + value;
    throw value instanceof Number || value instanceof String
        ? new InvalidInput("direction", message)
        : InvalidInput.malformed("direction", message); // not even of its type
  }

  private static boolean isIntegral(Number n) {
    if (n instanceof Double || n instanceof Float) {
      double d = n.doubleValue();
      return !Double.isInfinite(d) && d == Math.rint(d);
    }
    return true;
  }
}
