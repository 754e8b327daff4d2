package io.density.http;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;

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
    // A route of /ui matches /ui/ too.
    router
        .get(PATH)
        .handler(
            rc -> {
              if (rc.request().path().equals(PATH)) {
                rc.redirect(PATH + "/");
              } else {
                rc.next();
              }
            });
    router
        .route(PATH + "/*")
        .handler(
            rc -> {
              rc.response()
                  .putHeader("Content-Security-Policy", POLICY)
                  .putHeader("X-Content-Type-Options", "nosniff")
                  .putHeader("Referrer-Policy", "no-referrer");
              rc.next();
            });
    // The WebJar's files under /ui/lib/<version>/: the page names the version of the pom.
    router.get(PATH + "/lib/*").handler(StaticHandler.create("META-INF/resources/webjars/uplot"));
    // The page changes with the server: no day-long caching of it.
    router
        .get(PATH + "/*")
        .handler(StaticHandler.create("ui").setCachingEnabled(false).setIndexPage("index.html"));
  }
}
