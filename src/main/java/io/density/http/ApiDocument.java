package io.density.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The OpenAPI document of the API ({@code src/main/resources/openapi.yaml}), served as written at
 * {@code GET /openapi.yaml} and as JSON at {@code GET /openapi.json}, and the AsyncAPI document of
 * the messages published to brokers ({@code asyncapi.yaml}, at {@code GET /asyncapi.yaml}), without
 * a token. Read and converted once, when the class loads: a document that does not parse fails the
 * start.
 */
final class ApiDocument {
  static final String YAML = read("openapi.yaml");
  static final String JSON = toJson("openapi.yaml", YAML);
  static final String ASYNC_YAML = read("asyncapi.yaml");

  static {
    toJson("asyncapi.yaml", ASYNC_YAML);
  }

  private ApiDocument() {}

  static void mount(Router router) {
    router
        .get("/openapi.json")
        .handler(rc -> rc.response().putHeader("Content-Type", "application/json").end(JSON));
    router
        .get("/openapi.yaml")
        .handler(rc -> rc.response().putHeader("Content-Type", "application/yaml").end(YAML));
    router
        .get("/asyncapi.yaml")
        .handler(rc -> rc.response().putHeader("Content-Type", "application/yaml").end(ASYNC_YAML));
  }

  private static String read(String name) {
    try (InputStream in = ApiDocument.class.getResourceAsStream("/" + name)) {
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
