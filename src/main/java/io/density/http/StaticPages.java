package io.density.http;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * Mounts a page of static files served by the server itself (the dashboard, the API reference):
 * {@code path} redirects to {@code path/}, every answer under it carries the page's
 * Content-Security-Policy, the library's WebJar is served under {@code path/lib/} (the page names
 * the version of the pom), and the page's own files from the classpath folder {@code resources},
 * never cached for long, since they change with the server.
 */
final class StaticPages {
  private StaticPages() {}

  static void mount(Router router, String path, String policy, String webJar, String resources) {
    // A route of /x matches /x/ too.
    router
        .get(path)
        .handler(
            rc -> {
              if (rc.request().path().equals(path)) {
                rc.redirect(path + "/");
              } else {
                rc.next();
              }
            });
    router
        .route(path + "/*")
        .handler(
            rc -> {
              rc.response()
                  .putHeader("Content-Security-Policy", policy)
                  .putHeader("X-Content-Type-Options", "nosniff")
                  .putHeader("Referrer-Policy", "no-referrer");
              rc.next();
            });
    router
        .get(path + "/lib/*")
        .handler(StaticHandler.create("META-INF/resources/webjars/" + webJar));
    router
        .get(path + "/*")
        .handler(
            StaticHandler.create(resources).setCachingEnabled(false).setIndexPage("index.html"));
  }
}
