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
    return withoutFormats(new JsonObject(OPENAPI_JSON));
  }

  private static JsonObject withoutFormats(JsonObject node) {
    for (String key : new ArrayList<>(node.fieldNames())) {
      Object value = node.getValue(key);
      if (key.equals("format") && value instanceof String) {
        node.remove(key);
      } else if (value instanceof JsonObject child) {
        withoutFormats(child);
      } else if (value instanceof JsonArray array) {
        array.forEach(
            item -> {
              if (item instanceof JsonObject o) {
                withoutFormats(o);
              }
            });
      }
    }
    return node;
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
