package io.density.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The documents that describe the server to its clients, read from the classpath once, when the
 * class loads (a document that does not parse fails the start): the OpenAPI document of the HTTP
 * API ({@code src/main/resources/openapi.yaml}), as written and as JSON, and the AsyncAPI document
 * of the messages published to brokers ({@code asyncapi.yaml}).
 */
public final class Documents {
  /** The OpenAPI document as written. */
  public static final String OPENAPI_YAML = read("openapi.yaml");

  /** The OpenAPI document as JSON. */
  public static final String OPENAPI_JSON = toJson("openapi.yaml", OPENAPI_YAML);

  /** The AsyncAPI document as written. */
  public static final String ASYNCAPI_YAML = read("asyncapi.yaml");

  static {
    toJson("asyncapi.yaml", ASYNCAPI_YAML);
  }

  private Documents() {}

  /**
   * The OpenAPI document as JSON, a copy of its own, without its {@code format} keywords: what the
   * server checks requests against, reading {@code format} (date, uri) as an annotation, as JSON
   * Schema 2020-12 does by default, since the routes parse those values by rules that say more.
   */
  public static JsonObject openApiWithoutFormats() {
    JsonObject document = new JsonObject(OPENAPI_JSON);
    eachObject(
        document,
        (key, object) -> {
          if (object.getValue("format") instanceof String) {
            object.remove("format");
          }
        });
    return document;
  }

  /** Each operation of an OpenAPI document (the objects under each path but its parameters). */
  public static void eachOperation(JsonObject document, Consumer<JsonObject> operation) {
    for (String path : document.getJsonObject("paths").fieldNames()) {
      JsonObject item = document.getJsonObject("paths").getJsonObject(path);
      for (String method : item.fieldNames()) {
        if (item.getValue(method) instanceof JsonObject op) {
          operation.accept(op);
        }
      }
    }
  }

  /**
   * Each object inside {@code node}, at any depth, with the key it is under (null for an item of an
   * array), the outer ones first: {@code visit} may change the object it is given.
   */
  public static void eachObject(JsonObject node, BiConsumer<String, JsonObject> visit) {
    for (String key : new ArrayList<>(node.fieldNames())) {
      Object value = node.getValue(key);
      if (value instanceof JsonObject child) {
        visit.accept(key, child);
        eachObject(child, visit);
      } else if (value instanceof JsonArray array) {
        for (Object item : array) {
          if (item instanceof JsonObject o) {
            visit.accept(null, o);
            eachObject(o, visit);
          }
        }
      }
    }
  }

  private static String read(String name) {
    try (InputStream in = Documents.class.getResourceAsStream("/" + name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String toJson(String name, String yaml) {
    try {
      return new ObjectMapper().writeValueAsString(new YAMLMapper().readTree(yaml));
    } catch (IOException e) {
      throw new UncheckedIOException(name + " does not parse", e);
    }
  }
}
