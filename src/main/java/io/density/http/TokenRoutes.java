package io.density.http;

import io.density.auth.TokenRequest;
import io.density.auth.TokenRequest.Create;
import io.density.auth.TokenRequest.ListTokens;
import io.density.auth.TokenRequest.Revoke;
import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.bus.Service;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Tokens (admin): {@code POST /v1/tokens} makes one and shows its secret, once; {@code GET
 * /v1/tokens} lists them without secrets; {@code DELETE /v1/tokens/{id}} revokes one.
 */
final class TokenRoutes {
  private final Service<TokenRequest> tokens;

  TokenRoutes(Vertx vertx) {
    this.tokens = new Service<>(vertx, Addresses.TOKENS, TokenRequest.class);
  }

  void mount(Router router) {
    router.post("/v1/tokens").handler(this::create);
    router.get("/v1/tokens").handler(rc -> Responses.reply(rc, tokens.ask(new ListTokens()), 200));
    router.delete("/v1/tokens/:id").handler(this::revoke);
  }

  /** {@code {scope, name?, expires_at?}} → 201 {@code {id, token, scope, ...}}. */
  private void create(RoutingContext rc) {
    Responses.reply(rc, tokens.ask(Create.of(Requests.jsonObject(rc))), 201);
  }

  private void revoke(RoutingContext rc) {
    long id;
    try {
      id = Long.parseLong(rc.pathParam("id"));
    } catch (NumberFormatException e) {
      throw Failure.of(Failure.NOT_FOUND, "id", "unknown token");
    }
    Responses.reply(rc, tokens.ask(new Revoke(id)), 200);
  }
}
