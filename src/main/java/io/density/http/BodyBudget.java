package io.density.http;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Request bodies, shared fairly. A request with a body reserves its declared length (the body limit
 * when it declares none) before the body is read, and frees it when its answer is sent or its
 * connection closes. Three rules:
 *
 * <ul>
 *   <li>the HTTP verticle holds at most {@code budget} bytes of bodies at once;
 *   <li>one client address ({@link ClientAddress}) holds at most {@code perClient} of them;
 *   <li>a body must keep arriving: after the first {@code graceMs}, at least {@code minRate} bytes
 *       a second on average since the request began, or the request is answered 408 and its
 *       connection closed. This is the main defence, since a whole fleet may share one ingest
 *       token: a client cannot keep its reservation by sending a byte now and then.
 * </ul>
 *
 * A request over the first two is answered 429 with {@code Retry-After} at once, its body unread,
 * so a burst of large requests costs neither memory nor work. A single request always passes when
 * nothing else is held (by anyone, or by its client), so the largest allowed body is never refused.
 */
final class BodyBudget implements Handler<RoutingContext> {
  private static final long CHECK_MS = 500;

  /** A body being received: for the rate rule. */
  private record Upload(RoutingContext rc, long startMs) {}

  private final long budget;
  private final long perClient;
  private final long maxBody;
  private final long minRate;
  private final long graceMs;
  private final ClientAddress clients;
  private final Map<String, Long> heldBy = new HashMap<>();
  private final Set<Upload> uploads = new LinkedHashSet<>();
  private long held;

  BodyBudget(
      Vertx vertx,
      long budget,
      long perClient,
      long maxBody,
      long minRate,
      long graceMs,
      ClientAddress clients) {
    this.budget = budget;
    this.perClient = perClient;
    this.maxBody = maxBody;
    this.minRate = minRate;
    this.graceMs = graceMs;
    this.clients = clients;
    vertx.setPeriodic(CHECK_MS, id -> refuseSlowUploads());
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
    String client = clients.of(rc.request());
    long ofClient = heldBy.getOrDefault(client, 0L);
    if (held > 0 && held + size > budget) {
      Responses.error(
          rc, 429, null, "the server holds as many request bodies as it may at once: retry");
      return;
    }
    if (ofClient > 0 && ofClient + size > perClient) {
      Responses.error(
          rc,
          429,
          null,
          "this client address holds as many request bodies as one address may at once: retry");
      return;
    }
    held += size;
    heldBy.put(client, ofClient + size);
    Upload upload = new Upload(rc, System.currentTimeMillis());
    if (!rc.request().isEnded()) {
      uploads.add(upload);
    }
    rc.addEndHandler(
        v -> {
          uploads.remove(upload);
          held -= size;
          heldBy.computeIfPresent(client, (c, n) -> n - size == 0 ? null : n - size);
        });
    rc.next();
  }

  /** Answers 408 and closes the connection of each body that arrives too slowly. */
  private void refuseSlowUploads() {
    long now = System.currentTimeMillis();
    // Over a copy: answering one upload runs its end handler, which takes it out of the set.
    for (Upload upload : uploads.toArray(Upload[]::new)) {
      HttpServerRequest request = upload.rc.request();
      if (request.isEnded() || upload.rc.response().ended()) {
        uploads.remove(upload);
        continue;
      }
      long late = now - upload.startMs - graceMs;
      if (late > 0 && request.bytesRead() < minRate * late / 1000) {
        uploads.remove(upload);
        HttpConnection connection = request.connection();
        upload.rc.response().putHeader("Connection", "close");
        upload.rc.addEndHandler(v -> connection.close());
        Responses.error(
            upload.rc,
            408,
            "body",
            "the body arrived slower than "
                + minRate
                + " bytes a second: the connection is closed, nothing of it was stored");
      }
    }
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
