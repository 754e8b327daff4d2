package io.density.auth;

import io.density.bus.Addresses;
import io.density.bus.Replies;
import io.density.config.DensityConfig;
import io.density.db.Connections;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.Map;
import java.util.function.Function;

/**
 * API tokens on the event bus ({@link Addresses#TOKENS}): made, listed and revoked for the admin
 * routes, and checked for every HTTP verticle. A revocation is published ({@link
 * Addresses#TOKENS_REVOKED}) so that every node stops accepting the token at once. Deployed with
 * the registry role.
 *
 * <p>Config: the {@code postgres} slice.
 */
public final class TokensVerticle extends VerticleBase {
  private Pool pool;

  @Override
  public Future<?> start() {
    pool = Connections.postgres(vertx, config().mapTo(DensityConfig.Postgres.class));
    TokenStore store = new TokenStore(pool);
    Map<String, Function<JsonObject, Future<JsonObject>>> actions =
        Map.of(
            "create", store::create,
            "list", store::list,
            "revoke",
                request ->
                    store
                        .revoke(request)
                        .onSuccess(
                            r ->
                                vertx
                                    .eventBus()
                                    .publish(
                                        Addresses.TOKENS_REVOKED,
                                        new JsonObject().put("id", r.getLong("id")))),
            "check", store::check);
    return vertx
        .eventBus()
        .<JsonObject>consumer(
            Addresses.TOKENS,
            Replies.byAction("token", actions, err -> Replies.unavailable("tokens", err)))
        .completion();
  }

  @Override
  public Future<?> stop() {
    return pool.close();
  }
}
