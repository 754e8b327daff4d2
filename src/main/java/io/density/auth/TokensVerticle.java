package io.density.auth;

import io.density.bus.Addresses;
import io.density.bus.RecordCodec;
import io.density.bus.Replies;
import io.density.bus.Service;
import io.density.config.DensityConfig;
import io.density.db.Connections;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;

/**
 * API tokens on the event bus ({@link Addresses#TOKENS}): made, listed and revoked for the admin
 * routes, and checked for every HTTP verticle. A revocation is published ({@link
 * Addresses#TOKENS_REVOKED}) so that every node stops accepting the token at once. Deployed with
 * the registry role.
 *
 * <p>Config: the {@code postgres} slice.
 */
public final class TokensVerticle extends VerticleBase implements TokenRequest.Operations {
  private Pool pool;

  private TokenStore store;

  @Override
  public Future<?> start() {
    pool = Connections.postgres(vertx, config().mapTo(DensityConfig.Postgres.class), "tokens");
    store = new TokenStore(pool);
    RecordCodec.registerReply(vertx, TokenRequest.Grant.class);
    return Service.serve(
            vertx,
            Addresses.TOKENS,
            TokenRequest.class,
            r -> r.carryOut(this),
            err -> Replies.unavailable("tokens", err))
        .completion();
  }

  @Override
  public Future<JsonObject> create(TokenRequest.Create r) {
    return store.create(r);
  }

  @Override
  public Future<JsonObject> list(TokenRequest.ListTokens r) {
    return store.list();
  }

  @Override
  public Future<JsonObject> revoke(TokenRequest.Revoke r) {
    return store
        .revoke(r.id())
        .onSuccess(
            revoked ->
                vertx
                    .eventBus()
                    .publish(Addresses.TOKENS_REVOKED, new JsonObject().put("id", r.id())));
  }

  @Override
  public Future<TokenRequest.Grant> check(TokenRequest.Check r) {
    return store.check(r.hash());
  }

  @Override
  public Future<?> stop() {
    return pool.close();
  }
}
