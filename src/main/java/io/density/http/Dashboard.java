package io.density.http;

import io.vertx.ext.web.Router;

/**
 * {@code GET /ui/}: the dashboard, static files from the classpath's {@code ui/} (the page reads
 * the API with a read token it asks for) and its chart library from the uPlot WebJar, a Maven
 * dependency of the server. Nothing is loaded from elsewhere: the policy header says so to the
 * browser.
 */
final class Dashboard {
  static final String PATH = "/ui";
  private static final String POLICY =
      "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none';"
          + " frame-ancestors 'none'";

  private Dashboard() {}

  static void mount(Router router) {
    StaticPages.mount(router, PATH, POLICY, "uplot", "ui");
  }
}
