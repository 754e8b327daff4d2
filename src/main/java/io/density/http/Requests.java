package io.density.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.density.api.BodyRules;
import io.density.bus.InvalidInput;
import io.density.ingest.Ids;
import io.density.time.Timestamps;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.List;

/** Reading what a request carries, with errors that name the problem. */
final class Requests {
  /** Only to find a key given twice in an object, at any depth. */
  private static final JsonFactory STRICT =
      JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private Requests() {}

  /** The media type of the body, without parameters, lower case; "" when absent. */
  static String mediaType(RoutingContext rc) {
    String header = rc.request().getHeader("Content-Type");
    if (header == null) {
      return "";
    }
    int semicolon = header.indexOf(';');
    return (semicolon < 0 ? header : header.substring(0, semicolon)).trim().toLowerCase();
  }

  static JsonObject jsonObject(RoutingContext rc) {
    if (!mediaType(rc).equals("application/json")) {
      throw new InvalidInput(InvalidInput.CONTENT_TYPE, "Content-Type must be application/json");
    }
    try {
      if (rc.body().buffer() != null) {
        noKeyTwice(rc.body().asString());
      }
      Object value = rc.body().buffer() == null ? null : rc.body().buffer().toJsonValue();
      if (value instanceof JsonObject object) {
        String schema = rc.get(ApiValidation.BODY_SCHEMA);
        if (schema != null) {
          BodyRules.check(schema, object);
        }
        return object;
      }
      throw InvalidInput.malformed("body", "the body must be a JSON object");
    } catch (DecodeException e) {
      throw InvalidInput.malformed("body", "the body is not valid JSON");
    }
  }

  /**
   * The items of a body that is a JSON array (or one object) or NDJSON (one item a line), each with
   * its own text; an NDJSON line that is not JSON is a null item, for the caller to reject.
   */
  static void items(RoutingContext rc, List<Object> items, List<String> texts) {
    String body = rc.body().asString();
    switch (mediaType(rc)) {
      case "application/json" -> jsonItems(body, items, texts);
      case "application/x-ndjson", "application/jsonl" -> lineItems(body, items, texts);
      default ->
          throw new InvalidInput(
              InvalidInput.CONTENT_TYPE,
              "Content-Type must be application/json or application/x-ndjson");
    }
  }

  private static void jsonItems(String body, List<Object> items, List<String> texts) {
    Object value;
    try {
      if (body != null) {
        noKeyTwice(body);
      }
      value = body == null || body.isBlank() ? null : Json.decodeValue(body);
    } catch (DecodeException e) {
      throw InvalidInput.malformed("body", "the body is not valid JSON");
    }
    if (value instanceof JsonObject object) {
      items.add(object);
      texts.add(body);
    } else if (value instanceof JsonArray array) {
      for (Object item : array) {
        items.add(item);
        texts.add(item instanceof JsonObject o ? o.encode() : String.valueOf(item));
      }
    } else {
      throw InvalidInput.malformed("body", "the body must be a JSON array");
    }
  }

  private static void lineItems(String body, List<Object> items, List<String> texts) {
    if (body == null) {
      return;
    }
    for (String line : body.split("\n")) {
      String text = line.strip();
      if (text.isEmpty()) {
        continue;
      }
      Object value = null; // a line that is not JSON: rejected by the caller as "not a JSON object"
      try {
        if (keyTwice(text) == null) {
          value = Json.decodeValue(text);
        }
      } catch (DecodeException e) {
        // stays null
      }
      items.add(value);
      texts.add(text);
    }
  }

  /**
   * Refuses JSON text where an object gives a key twice: it is not resolved by taking the last, as
   * the decoder would. Other faults of the text are left to the decoder.
   */
  private static void noKeyTwice(String text) {
    String duplicate = keyTwice(text);
    if (duplicate != null) {
      throw InvalidInput.malformed("body", "the body is not valid JSON: " + duplicate);
    }
  }

  /** What the parser says of a key given twice in the text, or null when there is none. */
  private static String keyTwice(String text) {
    try (JsonParser p = STRICT.createParser(text)) {
      while (p.nextToken() != null) {
        // reading is the check
      }
    } catch (JsonProcessingException e) {
      if (e.getOriginalMessage().startsWith("Duplicate")) {
        return e.getOriginalMessage();
      }
    } catch (IOException e) {
      // not JSON: the decoder says so
    }
    return null;
  }

  static String requiredParam(RoutingContext rc, String name) {
    String value = rc.queryParams().get(name);
    if (value == null || value.isBlank()) {
      throw InvalidInput.malformed(name, "query parameter " + name + " is required");
    }
    return identifier(value, name);
  }

  /** An id in the query string, or null when it is not there. */
  static String optionalParam(RoutingContext rc, String name) {
    String value = rc.queryParams().get(name);
    return value == null ? null : identifier(value, name);
  }

  static String pathId(RoutingContext rc, String name) {
    return identifier(rc.pathParam(name), name);
  }

  static Long optionalInstant(RoutingContext rc, String name) {
    String value = rc.queryParams().get(name);
    return value == null || value.isBlank() ? null : Timestamps.parseMicros(value, name);
  }

  /** The {@code limit} parameter, {@code otherwise} when absent. */
  static int limit(RoutingContext rc, int otherwise) {
    return whole(rc, "limit", otherwise);
  }

  /**
   * A whole-number parameter, {@code otherwise} when absent. Its range is the API document's,
   * checked before the route ({@link ApiValidation}), which also takes {@code 5.0} and {@code 1e2}
   * as whole numbers.
   */
  static int whole(RoutingContext rc, String name, int otherwise) {
    String text = rc.queryParams().get(name);
    try {
      return text == null ? otherwise : new BigDecimal(text.trim()).intValueExact();
    } catch (NumberFormatException | ArithmeticException e) {
      throw InvalidInput.malformed(name, name + " must be a whole number");
    }
  }

  private static String identifier(String value, String name) {
    return Ids.check(value, name);
  }
}
