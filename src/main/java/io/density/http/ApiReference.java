package io.density.http;

import io.vertx.ext.web.Router;

/**
 * {@code GET /docs/}: the API reference, the OpenAPI document ({@link ApiDocument}) rendered by
 * Swagger UI from its WebJar, a Maven dependency of the server; public like the document. Nothing
 * is loaded from elsewhere, and the policy header allows no inline script or style at all: Swagger
 * UI runs without them (docs/api.md says why this renderer).
 */
final class ApiReference {
  static final String PATH = "/docs";

  /**
   * Scripts, styles, fonts and requests from this server only; images from it and {@code data:}
   * (Swagger UI's icons are data URLs in its stylesheet); no inline code, no frames, no forms sent
   * elsewhere.
   */
  static final String POLICY =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
          + " font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none';"
          + " form-action 'self'; frame-ancestors 'none'";

  private ApiReference() {}

  static void mount(Router router) {
    StaticPages.mount(router, PATH, POLICY, "swagger-ui", "apidocs");
  }
}
