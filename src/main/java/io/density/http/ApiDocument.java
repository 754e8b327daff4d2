package io.density.http;

import io.density.api.Documents;
import io.vertx.ext.web.Router;

/**
 * Serves the API's documents ({@link Documents}) without a token: the OpenAPI document as written
 * at {@code GET /openapi.yaml} and as JSON at {@code GET /openapi.json}, and the AsyncAPI document
 * of the messages published to brokers at {@code GET /asyncapi.yaml}.
 */
final class ApiDocument {
  private ApiDocument() {}

  static void mount(Router router) {
    router
        .get("/openapi.json")
        .handler(
            rc ->
                rc.response()
                    .putHeader("Content-Type", "application/json")
                    .end(Documents.OPENAPI_JSON));
    router
        .get("/openapi.yaml")
        .handler(
            rc ->
                rc.response()
                    .putHeader("Content-Type", "application/yaml")
                    .end(Documents.OPENAPI_YAML));
    router
        .get("/asyncapi.yaml")
        .handler(
            rc ->
                rc.response()
                    .putHeader("Content-Type", "application/yaml")
                    .end(Documents.ASYNCAPI_YAML));
  }
}
