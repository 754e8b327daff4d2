package io.density.http;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Tokens (admin): {@code POST /v1/tokens} makes one and shows its secret, once; {@code GET
 * /v1/tokens} lists them without secrets; {@code DELETE /v1/tokens/{id}} revokes one.
 */
final class TokenRoutes {
  private final Forward forward;

  TokenRoutes(Vertx vertx) {
    this.forward = new Forward(vertx);
  }

  void mount(Router router) {
    router.post("/v1/tokens").handler(this::create);
    router.get("/v1/tokens").handler(rc -> Responses.reply(rc, ask("list", new JsonObject()), 200));
    router.delete("/v1/tokens/:id").handler(this::revoke);
  }

  /** {@code {scope, name?, expires_at?}} → 201 {@code {id, token, scope, ...}}. */
  private void create(RoutingContext rc) {
    Responses.reply(rc, ask("create", Requests.jsonObject(rc)), 201);
  }

  private void revoke(RoutingContext rc) {
    long id;
    try {
      id = Long.parseLong(rc.pathParam("id"));
    } catch (NumberFormatException e) {
      throw Failure.of(Failure.NOT_FOUND, "id", "unknown token");
    }
    Responses.reply(rc, ask("revoke", new JsonObject().put("id", id)), 200);
  }

  private Future<JsonObject> ask(String action, JsonObject body) {
    return forward.ask(Addresses.TOKENS, action, body, Forward.DEFAULT);
  }
}
