package io.density.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.RoutingContext;
import java.util.HashSet;
import java.util.Set;

/**
 * At most so many open connections per HTTP verticle. A connection beyond the limit is taken, so
 * that its first request can be told why (503, JSON) before it is closed; it never reaches a route
 * or the token check.
 */
final class ConnectionLimit implements Handler<RoutingContext> {
  private final int limit;
  private final int nodeLimit;
  private final Set<HttpConnection> refused = new HashSet<>();
  private int open;

  ConnectionLimit(int limit, int nodeLimit) {
    this.limit = limit;
    this.nodeLimit = nodeLimit;
  }

  /** Counts the server's connections. */
  void watch(HttpServer server) {
    server.connectionHandler(
        connection -> {
          if (++open > limit) {
            refused.add(connection);
          }
          connection.closeHandler(
              v -> {
                open--;
                refused.remove(connection);
              });
        });
  }

  @Override
  public void handle(RoutingContext rc) {
    HttpConnection connection = rc.request().connection();
    if (!refused.contains(connection)) {
      rc.next();
      return;
    }
    rc.response().putHeader("Connection", "close").endHandler(v -> connection.close());
    Responses.error(
        rc, 503, null, "too many open connections (at most " + nodeLimit + " per node): retry");
  }
}
