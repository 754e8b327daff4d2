package io.density.api;

import io.density.bus.InvalidInput;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The rules the API document states for request bodies, checked from the document: each JSON body
 * is a schema of its {@code components/schemas} (named {@code *Body}, or {@code *Item} for an item
 * of a bulk request), and a body is checked against it where it enters: by the HTTP layer for every
 * operation whose body refers to one ({@link #ofOperation}), by bulk provisioning for each item, by
 * the command line for the token it makes. Readers of the bodies then convert what the schema
 * cannot say (a time zone that exists, an instant that parses, an id without control characters).
 *
 * <p>A refusal is an {@link InvalidInput} naming the innermost property at fault, by the one rule
 * of docs/api.md: a missing required property, or a value not of its type, is malformed (400); any
 * other rule broken (not one of the enum, out of range, too long, too few items) is 422. The
 * message is made from the rule the schema states ({@code capacity must be at least 0}).
 *
 * <p>{@code format} (uri, date) is left to the readers, as JSON Schema 2020-12 reads it by default:
 * an annotation. Thread-safe: the validators keep no state between calls.
 */
public final class BodyRules {
  private static final JsonObject DOCUMENT = Documents.openApiWithoutFormats();

  /** A body schema with its references replaced by what they refer to, and its validator. */
  private record Rules(JsonObject schema, Validator validator) {}

  private static final Map<String, Rules> RULES = new HashMap<>();
  private static final Map<String, String> BY_OPERATION = new HashMap<>();

  static {
    // Each schema whole, without references: validating through a repository that resolves
    // them costs about twice as much.
    JsonSchemaOptions options =
        new JsonSchemaOptions()
            .setDraft(Draft.DRAFT202012)
            .setBaseUri("app:///")
            .setOutputFormat(OutputFormat.Basic);
    JsonObject schemas = DOCUMENT.getJsonObject("components").getJsonObject("schemas");
    for (String name : schemas.fieldNames()) {
      if (name.endsWith("Body") || name.endsWith("Item")) {
        JsonObject whole = (JsonObject) inline(schemas.getJsonObject(name), 0);
        // A copy: the validator marks the objects it is given with their addresses.
        RULES.put(name, new Rules(whole, Validator.create(JsonSchema.of(whole.copy()), options)));
      }
    }
    Documents.eachOperation(
        DOCUMENT,
        operation -> {
          Object ref = pointer(operation, "requestBody/content/application~1json/schema/$ref");
          if (ref instanceof String schema) {
            BY_OPERATION.put(
                operation.getString("operationId"), schema.substring(schema.lastIndexOf('/') + 1));
          }
        });
  }

  private BodyRules() {}

  /**
   * The schema an operation's JSON body must meet, by the operation's {@code operationId}; null
   * when the operation takes none or reads its body otherwise (datapoints, bulk items).
   */
  public static String ofOperation(String operationId) {
    return BY_OPERATION.get(operationId);
  }

  /** Throws, naming the property at fault, unless {@code body} meets the schema {@code name}. */
  public static void check(String name, JsonObject body) {
    Rules rules = RULES.get(name);
    if (rules == null) {
      throw new IllegalArgumentException("the API document has no body schema " + name);
    }
    OutputUnit verdict = rules.validator().validate(body);
    if (!Boolean.TRUE.equals(verdict.getValid())) {
      throw refusal(
          rules.schema(), body, verdict.getErrors() == null ? List.of() : verdict.getErrors());
    }
  }

  /**
   * The first rule broken, the malformed ones (a property missing, a value not of its type) before
   * the others. A choice ({@code oneOf}, {@code anyOf}) is reported as a whole, with what each of
   * its branches takes; it is malformed when the value is of none of their types.
   */
  private static InvalidInput refusal(JsonObject schema, JsonObject body, List<OutputUnit> errors) {
    List<OutputUnit> leaves = new ArrayList<>();
    for (OutputUnit e : errors) {
      String keyword = keyword(e);
      if (!keyword.equals("properties")
          && !keyword.equals("items")
          && !keyword.equals("allOf")
          && !keyword.equals("$ref")) {
        leaves.add(e);
      }
    }
    OutputUnit first =
        leaves.stream()
            .filter(BodyRules::isMalformed)
            .findFirst()
            .orElse(leaves.isEmpty() ? errors.get(0) : leaves.get(0));
    String location = first.getInstanceLocation();
    String path = path(location);
    if (keyword(first).equals("oneOf") || keyword(first).equals("anyOf")) {
      JsonArray branches = (JsonArray) keywordValue(schema, first.getKeywordLocation());
      Object value = pointer(body, location.replaceFirst("^#?/?", ""));
      String field = field(location, null);
      String message =
          path
              + " must be "
              + branches.stream().map(BodyRules::describe).collect(Collectors.joining(" or "));
      boolean ofTheirTypes = branches.stream().anyMatch(b -> ofItsType(value, (JsonObject) b));
      return ofTheirTypes
          ? new InvalidInput(field, message)
          : InvalidInput.malformed(field, message);
    }
    String property = keyword(first).equals("required") ? missing(first) : null;
    String field = field(location, property);
    String subject =
        property == null ? path : (path.equals("the body") ? "" : path + ".") + property;
    String message = subject + " " + rule(schema, first);
    return isMalformed(first)
        ? InvalidInput.malformed(field, message)
        : new InvalidInput(field, message);
  }

  /** A branch of a choice in words: {@code "capacity"}, an integer from 1 to 100. */
  private static String describe(Object branch) {
    JsonObject b = (JsonObject) branch;
    if (b.containsKey("const")) {
      return values(new JsonArray().add(b.getValue("const")));
    }
    if (b.containsKey("enum")) {
      return "one of " + values(b.getValue("enum"));
    }
    String words = types(b.getValue("type"));
    Object min = b.getValue("minimum");
    Object max = b.getValue("maximum");
    if (min != null && max != null) {
      return words + " from " + min + " to " + max;
    }
    return words + (min != null ? " of at least " + min : max != null ? " of at most " + max : "");
  }

  /** Whether {@code value} is of a type the branch takes (its const's or enum's, or its type). */
  private static boolean ofItsType(Object value, JsonObject branch) {
    List<String> types = new ArrayList<>();
    if (branch.containsKey("const")) {
      types.add(typeOf(branch.getValue("const")));
    }
    if (branch.getValue("enum") instanceof JsonArray values) {
      values.forEach(v -> types.add(typeOf(v)));
    }
    Object type = branch.getValue("type");
    if (type instanceof JsonArray a) {
      a.forEach(t -> types.add(String.valueOf(t)));
    } else if (type != null) {
      types.add(String.valueOf(type));
    }
    String actual = typeOf(value);
    return types.contains(actual) || (actual.equals("integer") && types.contains("number"));
  }

  /** The JSON type of a decoded value. */
  private static String typeOf(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof Integer || value instanceof Long) {
      return "integer";
    }
    if (value instanceof Number) {
      return "number";
    }
    if (value instanceof Boolean) {
      return "boolean";
    }
    if (value instanceof JsonArray) {
      return "array";
    }
    return value instanceof JsonObject ? "object" : "string";
  }

  /** A property missing, or a value not of its type: the input cannot be read (400). */
  private static boolean isMalformed(OutputUnit e) {
    String keyword = keyword(e);
    return keyword.equals("required") || keyword.equals("type");
  }

  /** The keyword an error is about: the last segment of its keyword location. */
  private static String keyword(OutputUnit e) {
    String at = e.getKeywordLocation() == null ? "" : e.getKeywordLocation();
    return at.substring(at.lastIndexOf('/') + 1);
  }

  /** The property a {@code required} error says is missing. */
  private static String missing(OutputUnit e) {
    String error = e.getError() == null ? "" : e.getError();
    int open = error.indexOf('"');
    int close = error.lastIndexOf('"');
    return open >= 0 && close > open ? error.substring(open + 1, close) : "a property";
  }

  /**
   * The field a refusal names: the innermost property of the instance location ({@code
   * #/links/0/sensor_placement} → {@code sensor_placement}), or the property missing; {@code body}
   * for the body itself.
   */
  private static String field(String instanceLocation, String property) {
    if (property != null) {
      return property;
    }
    String[] segments = instanceLocation.replaceFirst("^#?/?", "").split("/");
    for (int i = segments.length - 1; i >= 0; i--) {
      if (!segments[i].isEmpty() && !segments[i].chars().allMatch(Character::isDigit)) {
        return unescape(segments[i]);
      }
    }
    return "body";
  }

  /** The instance location as a reader writes it: {@code links[0].sensor_placement}. */
  private static String path(String instanceLocation) {
    StringBuilder path = new StringBuilder();
    for (String segment : instanceLocation.replaceFirst("^#?/?", "").split("/")) {
      if (segment.isEmpty()) {
        continue;
      }
      if (segment.chars().allMatch(Character::isDigit)) {
        path.append('[').append(segment).append(']');
      } else {
        path.append(path.isEmpty() ? "" : ".").append(unescape(segment));
      }
    }
    return path.isEmpty() ? "the body" : path.toString();
  }

  private static String unescape(String segment) {
    return segment.replace("~1", "/").replace("~0", "~");
  }

  /** What the rule broken asks, in words, from the value the schema gives it. */
  private static String rule(JsonObject schema, OutputUnit e) {
    String keyword = keyword(e);
    Object value = keywordValue(schema, e.getKeywordLocation());
    return switch (keyword) {
      case "required" -> "is required";
      case "type" -> "must be " + types(value);
      case "enum" -> "must be one of " + values(value);
      case "const" -> "must be " + values(new JsonArray().add(value));
      case "minimum" -> "must be at least " + value;
      case "maximum" -> "must be at most " + value;
      case "exclusiveMinimum" -> "must be more than " + value;
      case "exclusiveMaximum" -> "must be less than " + value;
      case "minLength" -> "must have at least " + value + " character" + plural(value);
      case "maxLength" -> "must have at most " + value + " character" + plural(value);
      case "minItems" -> "must hold at least " + value + " item" + plural(value);
      case "maxItems" -> "must hold at most " + value + " item" + plural(value);
      default -> "breaks the API document's rule: " + e.getError();
    };
  }

  private static String plural(Object n) {
    return Integer.valueOf(1).equals(n) ? "" : "s";
  }

  /** {@code integer} → an integer; {@code [integer, "null"]} → an integer or null. */
  private static String types(Object value) {
    List<Object> types =
        value instanceof JsonArray a ? a.getList() : List.of(String.valueOf(value));
    return types.stream()
        .map(
            t ->
                switch (String.valueOf(t)) {
                  case "integer" -> "an integer";
                  case "number" -> "a number";
                  case "string" -> "a string";
                  case "boolean" -> "true or false";
                  case "array" -> "an array";
                  case "object" -> "an object";
                  default -> String.valueOf(t);
                })
        .collect(Collectors.joining(" or "));
  }

  /** The values of an enum as JSON: {@code 1, -1, "+1"}. */
  private static String values(Object value) {
    return value instanceof JsonArray a
        ? a.stream()
            .map(v -> v instanceof String s ? "\"" + s + "\"" : String.valueOf(v))
            .collect(Collectors.joining(", "))
        : String.valueOf(value);
  }

  /** The value of the keyword at a keyword location of {@code schema}. */
  private static Object keywordValue(JsonObject schema, String keywordLocation) {
    return pointer(schema, keywordLocation.replaceFirst("^#?/?", ""));
  }

  /**
   * A schema with each {@code $ref} replaced by (a copy of) the schema it refers to, the
   * reference's own keywords kept beside it. The document's body schemas do not refer to
   * themselves; a chain deeper than 32 is refused as one that does.
   */
  private static Object inline(Object node, int depth) {
    if (depth > 32) {
      throw new IllegalStateException("the API document's body schemas refer to themselves");
    }
    if (node instanceof JsonObject o) {
      JsonObject out = new JsonObject();
      if (o.getValue("$ref") instanceof String ref) {
        out = ((JsonObject) inline(pointer(DOCUMENT, ref.replaceFirst("^#/", "")), depth + 1));
      }
      for (String key : o.fieldNames()) {
        if (!key.equals("$ref")) {
          out.put(key, inline(o.getValue(key), depth + 1));
        }
      }
      return out;
    }
    if (node instanceof JsonArray a) {
      JsonArray out = new JsonArray();
      a.forEach(item -> out.add(inline(item, depth + 1)));
      return out;
    }
    return node;
  }

  /** The node at a JSON pointer (without its leading {@code #/}) under {@code node}, or null. */
  private static Object pointer(Object node, String path) {
    for (String segment : path.split("/")) {
      if (segment.isEmpty()) {
        continue;
      }
      if (node instanceof JsonArray a && segment.chars().allMatch(Character::isDigit)) {
        int i = Integer.parseInt(segment);
        node = i < a.size() ? a.getValue(i) : null;
      } else {
        node = node instanceof JsonObject o ? o.getValue(unescape(segment)) : null;
      }
    }
    return node;
  }
}
