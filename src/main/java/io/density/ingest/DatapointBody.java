package io.density.ingest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.density.bus.InvalidInput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The datapoints of a text — a JSON array (or one object), or NDJSON, as {@code POST
 * /v1/datapoints} and MQTT messages carry them — and the one of a {@code POST /send} body, read
 * with a streaming parser: of each item only the fields that make a datapoint are kept, with the
 * item's own text for the raw log, and no JSON tree is built.
 */
public final class DatapointBody {
  /** A key given twice in an object is refused, not resolved by taking the last. */
  private static final JsonFactory JSON =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private DatapointBody() {}

  /** One item: its datapoint fields (null when it is not a JSON object) and its text. */
  public record Item(DatapointParser.Fields fields, String text) {}

  /** A nested object or array where a plain value was expected, shown by its text. */
  private record Nested(String text) {
    @Override
    public String toString() {
      return text;
    }
  }

  /** The one datapoint of a {@code POST /send} body: a JSON object, its text the whole body. */
  public static Item one(String body) throws InvalidInput {
    try (JsonParser p = JSON.createParser(body == null ? "" : body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw InvalidInput.malformed("body", "the body must be a JSON object");
      }
      DatapointParser.Fields fields = object(p, body);
      if (p.nextToken() != null) {
        throw InvalidInput.malformed("body", "the body is not valid JSON");
      }
      return new Item(fields, body);
    } catch (IOException e) {
      throw notJson(e);
    }
  }

  private static InvalidInput notJson(IOException e) {
    return InvalidInput.malformed(
        "body",
        e instanceof JsonProcessingException j && j.getOriginalMessage().startsWith("Duplicate")
            ? "the body is not valid JSON: " + j.getOriginalMessage()
            : "the body is not valid JSON");
  }

  /** The items of a JSON array, or the one of a JSON object. */
  public static List<Item> json(String body) throws InvalidInput {
    List<Item> items = new ArrayList<>();
    if (body == null || body.isBlank()) {
      throw InvalidInput.malformed("body", "the body must be a JSON array of datapoints");
    }
    try (JsonParser p = JSON.createParser(body)) {
      JsonToken first = p.nextToken();
      if (first == JsonToken.START_OBJECT) {
        items.add(new Item(object(p, body), body));
      } else if (first == JsonToken.START_ARRAY) {
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
          int start = (int) p.currentTokenLocation().getCharOffset();
          DatapointParser.Fields fields = t == JsonToken.START_OBJECT ? object(p, body) : null;
          if (fields == null) {
            p.skipChildren();
          }
          items.add(new Item(fields, body.substring(start, end(p))));
        }
      } else {
        throw InvalidInput.malformed("body", "the body must be a JSON array of datapoints");
      }
      if (p.nextToken() != null) {
        throw InvalidInput.malformed("body", "the body is not valid JSON");
      }
    } catch (IOException e) {
      throw notJson(e);
    }
    return items;
  }

  /** The items of NDJSON, one a line; a line that is not JSON is a null item. */
  public static List<Item> lines(String body) {
    List<Item> items = new ArrayList<>();
    if (body == null) {
      return items;
    }
    for (String line : body.split("\n")) {
      String text = line.strip();
      if (text.isEmpty()) {
        continue;
      }
      DatapointParser.Fields fields = null;
      try (JsonParser p = JSON.createParser(text)) {
        if (p.nextToken() == JsonToken.START_OBJECT) {
          fields = object(p, text);
          if (p.nextToken() != null) {
            fields = null; // more than one value on the line
          }
        }
      } catch (IOException e) {
        fields = null; // rejected by the caller as "not a JSON object"
      }
      items.add(new Item(fields, text));
    }
    return items;
  }

  /** The datapoint fields of the object at the parser (on its START_OBJECT); ends on END_OBJECT. */
  private static DatapointParser.Fields object(JsonParser p, String text) throws IOException {
    Object dpu = null;
    Object direction = null;
    Object timestamp = null;
    Object id = null;
    for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
      String name = p.currentName();
      p.nextToken();
      Object value = value(p, text);
      switch (name) {
        case "dpu_id" -> dpu = value;
        case "direction" -> direction = value;
        case "timestamp" -> timestamp = value;
        case "id" -> id = value;
        default -> {}
      }
    }
    return new DatapointParser.Fields(dpu, direction, timestamp, id);
  }

  /** The value at the parser, as a decoded JSON object would hold it. */
  private static Object value(JsonParser p, String text) throws IOException {
    return switch (p.currentToken()) {
      case VALUE_STRING -> p.getText();
      case VALUE_NUMBER_INT -> p.getNumberValue();
      case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
      case VALUE_TRUE -> Boolean.TRUE;
      case VALUE_FALSE -> Boolean.FALSE;
      case VALUE_NULL -> null;
      default -> {
        int start = (int) p.currentTokenLocation().getCharOffset();
        p.skipChildren();
        yield new Nested(text.substring(start, end(p)));
      }
    };
  }

  /** Where the token the parser is on ends. */
  private static int end(JsonParser p) {
    return (int) p.currentLocation().getCharOffset();
  }
}
