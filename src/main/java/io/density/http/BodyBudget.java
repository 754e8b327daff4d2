package io.density.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;

/**
 * A bound on the request bodies an HTTP verticle holds at once: a request with a body reserves its
 * declared length (the body limit when it declares none) before the body is read, and frees it when
 * its answer is sent. A request that would go over is answered 429 with {@code Retry-After} at
 * once, its body unread, so a burst of large requests costs neither memory nor work. A single
 * request always passes when nothing else is held, so the largest allowed body is never refused.
 */
final class BodyBudget implements Handler<RoutingContext> {
  private final long budget;
  private final long maxBody;
  private long held;

  BodyBudget(long budget, long maxBody) {
    this.budget = budget;
    this.maxBody = maxBody;
  }

  @Override
  public void handle(RoutingContext rc) {
    HttpMethod method = rc.request().method();
    if (method != HttpMethod.POST
        && method != HttpMethod.PUT
        && method != HttpMethod.PATCH
        && method != HttpMethod.DELETE) {
      rc.next();
      return;
    }
    long size = declared(rc.request().getHeader("Content-Length"));
    if (held > 0 && held + size > budget) {
      Responses.error(
          rc, 429, null, "the server holds as many request bodies as it may at once: retry");
      return;
    }
    held += size;
    rc.addEndHandler(v -> held -= size);
    rc.next();
  }

  private long declared(String contentLength) {
    if (contentLength == null) {
      return maxBody;
    }
    try {
      return Math.max(0, Math.min(maxBody, Long.parseLong(contentLength.trim())));
    } catch (NumberFormatException e) {
      return maxBody;
    }
  }
}
