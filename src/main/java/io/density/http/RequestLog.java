package io.density.http;

import io.density.telemetry.AccessRecord;
import io.density.telemetry.RequestIds;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The first handler of every request: gives it an id (its {@code X-Request-Id} when sane, else a
 * new one), binds the id to the request's context so that every line logged on its behalf names it,
 * returns it in the {@code X-Request-Id} header of whatever answer is sent (errors included), and
 * writes the access line when the answer is complete: method, path (never the query, nor any
 * header), status, duration, bytes.
 */
final class RequestLog implements Handler<RoutingContext> {
  static final Logger ACCESS = Logger.getLogger("io.density.http.access");

  /** The routing context key of the request's id. */
  static final String KEY = "requestId";

  private final boolean access;

  RequestLog(boolean access) {
    this.access = access;
  }

  @Override
  public void handle(RoutingContext rc) {
    HttpServerRequest request = rc.request();
    String id = RequestIds.accept(request.getHeader(RequestIds.HEADER));
    RequestIds.bind(id);
    rc.put(KEY, id);
    rc.addHeadersEndHandler(v -> rc.response().putHeader(RequestIds.HEADER, id));
    if (access && ACCESS.isLoggable(Level.INFO)) {
      long start = System.nanoTime();
      String path = request.path() == null ? "-" : request.path();
      rc.addEndHandler(
          ar ->
              ACCESS.log(
                  new AccessRecord(
                      ACCESS.getName(),
                      id,
                      request.method().name(),
                      path,
                      rc.response().getStatusCode(),
                      (System.nanoTime() - start) / 1_000_000,
                      rc.response().bytesWritten(),
                      // The end handlers also fire, failed, for a request answered by the
                      // failure or error handlers (a 404): ended tells an answer from a close.
                      rc.response().ended())));
    }
    rc.next();
  }
}
