package io.density;

import io.density.config.DensityConfig;
import io.density.counter.CounterVerticle;
import io.density.db.Connections;
import io.density.db.Schema;
import io.density.history.HistoryVerticle;
import io.density.http.HttpVerticle;
import io.density.persistence.PersistenceVerticle;
import io.density.query.QueryVerticle;
import io.density.registry.RegistryVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;

/**
 * Applies the schema and deploys the verticles, each with its slice of the configuration. The
 * counter comes first (persistence asks it whether Redis holds the realtime state), HTTP last (it
 * only opens its port once every consumer behind it is registered).
 */
public final class Server {
  private Server() {}

  public static Future<Void> deploy(Vertx vertx, DensityConfig config) {
    JsonObject all = config.toJson();
    return deployStorage(vertx, config)
        .compose(
            v -> vertx.deployVerticle(QueryVerticle.class, with(slices(all, "postgres", "redis"))))
        .compose(
            v -> vertx.deployVerticle(RegistryVerticle.class, with(all.getJsonObject("postgres"))))
        .compose(
            v -> vertx.deployVerticle(HistoryVerticle.class, with(all.getJsonObject("postgres"))))
        .compose(
            v ->
                vertx.deployVerticle(
                    HttpVerticle.class,
                    with(slices(all, "http", "ingest")).setInstances(config.http().instances())))
        .mapEmpty();
  }

  /**
   * The schema, the counter and persistence: what writes derived state (and the replay command
   * needs).
   */
  public static Future<Void> deployStorage(Vertx vertx, DensityConfig config) {
    JsonObject all = config.toJson();
    Pool schemaPool = Connections.postgres(vertx, config.postgres());
    return Schema.apply(schemaPool)
        .eventually(schemaPool::close)
        .compose(v -> vertx.deployVerticle(CounterVerticle.class, with(all.getJsonObject("redis"))))
        .compose(
            v ->
                vertx.deployVerticle(
                    PersistenceVerticle.class, with(slices(all, "postgres", "ingest"))))
        .mapEmpty();
  }

  private static DeploymentOptions with(JsonObject config) {
    return new DeploymentOptions().setConfig(config);
  }

  private static JsonObject slices(JsonObject all, String... names) {
    JsonObject out = new JsonObject();
    for (String name : names) {
      out.put(name, all.getJsonObject(name));
    }
    return out;
  }
}
