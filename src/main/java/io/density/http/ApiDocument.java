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
 * {@code GET /openapi.yaml} and as JSON at {@code GET /openapi.json}, without a token. Read and
 * converted once, when the class loads: a document that does not parse fails the start.
 */
final class ApiDocument {
  static final String YAML = read();
  static final String JSON = toJson(YAML);

  private ApiDocument() {}

  static void mount(Router router) {
    router
        .get("/openapi.json")
        .handler(rc -> rc.response().putHeader("Content-Type", "application/json").end(JSON));
    router
        .get("/openapi.yaml")
        .handler(rc -> rc.response().putHeader("Content-Type", "application/yaml").end(YAML));
  }

  private static String read() {
    try (InputStream in = ApiDocument.class.getResourceAsStream("/openapi.yaml")) {
      if (in == null) {
        throw new IllegalStateException("openapi.yaml is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String toJson(String yaml) {
    try {
      return new ObjectMapper().writeValueAsString(new YAMLMapper().readTree(yaml));
    } catch (IOException e) {
      throw new UncheckedIOException("openapi.yaml does not parse", e);
    }
  }
}
