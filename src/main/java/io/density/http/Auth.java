package io.density.http;

import io.density.auth.Scope;
import io.density.auth.TokenRequest;
import io.density.auth.TokenStore;
import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.bus.RecordCodec;
import io.density.bus.Service;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.Map;

/**
 * Bearer tokens, checked before anything of the request is read: a missing, unknown, expired or
 * revoked token gets 401, a token without the scope the route needs 403. What a route needs:
 * nothing for the health endpoints, the API document, its rendering under {@code /docs/} and the
 * dashboard's static files under {@code /ui/} (the page asks for a read token and sends it with
 * each of its API requests); {@code ingest} for the datapoint routes; {@code read} for every other
 * GET; {@code admin} for everything else, tokens and every {@code /v1/admin/} route (the progress
 * of replays too) included.
 *
 * <p>Each HTTP verticle remembers what it learnt of a token (by its hash) for a second, so a
 * revoked or expired token stops working everywhere within a second; a revocation published on the
 * event bus makes every node forget the token at once. While tokens cannot be checked (PostgreSQL
 * unreachable), a token this verticle knew good within the last {@code STALE_MS} keeps its scope
 * until its expiry: nothing can be revoked meanwhile, and reads from Redis go on.
 */
final class Auth implements Handler<RoutingContext> {
  private static final long FRESH_MS = 1_000;
  private static final long STALE_MS = 15 * 60_000;
  private static final int MAX_REMEMBERED = 10_000;
  private static final DeliveryOptions CHECK = new DeliveryOptions().setSendTimeout(5_000);

  /**
   * What is known of a token: its id and scope (null: not a token in force), its expiry (epoch ms)
   * and since when.
   */
  private record Known(long id, Scope scope, long expires, long at) {
    boolean goodWhileUnchecked(long now) {
      return scope != null && now - at < STALE_MS && now < expires;
    }
  }

  /** Where a request's routes find the scope of its token ({@link #scope}). */
  private static final String SCOPE = "density.scope";

  private final Vertx vertx;
  private final Service<TokenRequest> tokens;
  private final Map<String, Known> known = new HashMap<>();

  Auth(Vertx vertx) {
    this.vertx = vertx;
    this.tokens = new Service<>(vertx, Addresses.TOKENS, TokenRequest.class);
    RecordCodec.registerReply(vertx, TokenRequest.Grant.class);
    vertx
        .eventBus()
        .<JsonObject>consumer(
            Addresses.TOKENS_REVOKED,
            m -> known.values().removeIf(k -> k.id == m.body().getLong("id")));
  }

  /**
   * The scope a request needs; null for the resources open to everyone. Decided on the path the
   * router dispatches (dot segments removed, slashes collapsed, unreserved characters decoded), so
   * no spelling of a path reaches a route without that route's check; anything not named open here
   * needs a token.
   */
  static Scope needed(HttpMethod method, String path) {
    String resource =
        path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    if (resource.equals("/health")
        || resource.equals("/ready")
        || resource.equals("/openapi.json")
        || resource.equals("/openapi.yaml")
        || resource.equals("/asyncapi.yaml")) {
      return null;
    }
    if ((method == HttpMethod.GET || method == HttpMethod.HEAD)
        && (resource.equals(Dashboard.PATH)
            || resource.startsWith(Dashboard.PATH + "/")
            || resource.equals(ApiReference.PATH)
            || resource.startsWith(ApiReference.PATH + "/"))) {
      return null;
    }
    if (resource.startsWith("/v1/tokens") || resource.startsWith("/v1/admin/")) {
      return Scope.ADMIN;
    }
    if (method == HttpMethod.POST
        && (resource.equals("/send") || resource.equals("/v1/datapoints"))) {
      return Scope.INGEST;
    }
    return method == HttpMethod.GET || method == HttpMethod.HEAD ? Scope.READ : Scope.ADMIN;
  }

  @Override
  public void handle(RoutingContext rc) {
    Scope needed = needed(rc.request().method(), rc.normalizedPath());
    if (needed == null) {
      rc.next();
      return;
    }
    String header = rc.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      unauthenticated(rc, "an Authorization: Bearer <token> header is required");
      return;
    }
    String hash = TokenStore.hash(header.substring(7).trim());
    Known k = known.get(hash);
    if (k != null && System.currentTimeMillis() - k.at < FRESH_MS) {
      decide(rc, k, needed);
      return;
    }
    HttpServerRequest request = rc.request();
    boolean paused = !request.isEnded();
    if (paused) {
      request.pause(); // the body waits until the token is known good
    }
    tokens
        .ask(new TokenRequest.Check(hash), TokenRequest.Grant.class, CHECK)
        .onComplete(
            ar -> {
              Known now;
              long time = System.currentTimeMillis();
              if (ar.succeeded()) {
                TokenRequest.Grant grant = ar.result();
                now =
                    new Known(
                        grant.id(),
                        grant.scope(),
                        grant.expiresAt() == null ? Long.MAX_VALUE : grant.expiresAt(),
                        time);
                remember(hash, now);
              } else if (ar.cause() instanceof ReplyException re
                  && re.failureType() == ReplyFailure.RECIPIENT_FAILURE
                  && re.failureCode() == Failure.UNAUTHENTICATED) {
                now = new Known(-1, null, 0, time);
                remember(hash, now);
              } else if (k != null && k.goodWhileUnchecked(time)) {
                now = k; // tokens cannot be checked: one known good keeps its scope a while
              } else {
                Responses.error(rc, 503, null, "tokens cannot be checked now, retry");
                return;
              }
              decide(rc, now, needed);
              if (paused && !request.isEnded()) {
                request.resume();
              }
            });
  }

  private void remember(String hash, Known k) {
    if (known.size() >= MAX_REMEMBERED) {
      known.clear();
    }
    known.put(hash, k);
  }

  private static void decide(RoutingContext rc, Known k, Scope needed) {
    if (k.scope == null) {
      unauthenticated(rc, "the token is unknown, expired or revoked");
    } else if (!k.scope.grants(needed)) {
      Responses.error(
          rc,
          403,
          "Authorization",
          "this token's scope is " + k.scope.label() + "; this request needs " + needed.label());
    } else {
      rc.put(SCOPE, k.scope);
      rc.next();
    }
  }

  /**
   * The scope of the request's token, for a route whose answer depends on it; null when
   * authentication is off (every caller may then do everything).
   */
  static Scope scope(RoutingContext rc) {
    return rc.get(SCOPE);
  }

  private static void unauthenticated(RoutingContext rc, String message) {
    rc.response().putHeader("WWW-Authenticate", "Bearer");
    Responses.error(rc, 401, "Authorization", message);
  }
}
