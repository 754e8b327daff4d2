package io.density.node;

import io.density.alerts.AlertsVerticle;
import io.density.auth.TokensVerticle;
import io.density.cluster.NodeState;
import io.density.config.DensityConfig;
import io.density.counter.CounterVerticle;
import io.density.db.Schema;
import io.density.egress.EgressVerticle;
import io.density.history.HistoryVerticle;
import io.density.http.HttpVerticle;
import io.density.ingest.DatapointBatch;
import io.density.mqtt.MqttVerticle;
import io.density.persistence.PersistenceVerticle;
import io.density.query.QueryVerticle;
import io.density.registry.RegistryVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Applies the schema and deploys the verticles, each with its slice of the configuration. The
 * counter comes first (persistence asks it whether Redis holds the realtime state), HTTP last (it
 * only opens its port once every consumer behind it is registered).
 */
public final class Server {
  private static final Logger LOG = Logger.getLogger(Server.class.getName());

  private Server() {}

  /** Deploys the verticles of the node's roles (all of them by default). */
  public static Future<Void> deploy(Vertx vertx, DensityConfig config) {
    DatapointBatch.registerCodec(vertx);
    JsonObject all = config.toJson();
    List<String> roles = config.roleList();
    Map<String, Supplier<Future<String>>> deployments = new LinkedHashMap<>();
    deployments.put(
        "counter",
        () -> vertx.deployVerticle(CounterVerticle.class, with(all.getJsonObject("redis"))));
    deployments.put(
        "persistence",
        () ->
            vertx.deployVerticle(
                PersistenceVerticle.class, with(slices(all, "postgres", "ingest", "egress"))));
    deployments.put(
        "query",
        () -> vertx.deployVerticle(QueryVerticle.class, with(slices(all, "postgres", "redis"))));
    deployments.put(
        "registry",
        () -> vertx.deployVerticle(RegistryVerticle.class, with(all.getJsonObject("postgres"))));
    deployments.put(
        "tokens",
        () -> vertx.deployVerticle(TokensVerticle.class, with(all.getJsonObject("postgres"))));
    deployments.put(
        "history",
        () ->
            vertx.deployVerticle(HistoryVerticle.class, with(slices(all, "postgres", "history"))));
    deployments.put(
        "alerts",
        () ->
            vertx.deployVerticle(
                AlertsVerticle.class, with(slices(all, "postgres", "redis", "alerts", "egress"))));
    deployments.put(
        "http",
        () ->
            vertx.deployVerticle(
                HttpVerticle.class,
                with(slices(all, "http", "ingest", "auth", "logging")
                        .put("roles", new JsonArray(roles)))
                    .setInstances(config.http().instances())));
    if (config.mqtt().enabled()) {
      deployments.put(
          "mqtt",
          () ->
              vertx.deployVerticle(
                  MqttVerticle.class,
                  with(slices(all, "mqtt", "ingest", "http").put("roles", new JsonArray(roles)))));
    }
    if (config.egress().on()) {
      deployments.put(
          "egress",
          () ->
              vertx.deployVerticle(
                  EgressVerticle.class, with(slices(all, "postgres", "egress", "mqtt"))));
    }
    if (roles.contains("http") && !config.auth().enabled()) {
      LOG.warning(
          "authentication is off (auth.enabled / DENSITY_AUTH=off): anyone who reaches the HTTP"
              + " port can write and read everything; only for a closed network");
    }
    if (roles.contains("alerts") && config.alerts().webhookPrivateTargets()) {
      LOG.warning(
          "webhooks may target private addresses (alerts.webhookPrivateTargets /"
              + " DENSITY_WEBHOOK_PRIVATE_TARGETS=on): an admin token can make this node call"
              + " loopback and internal services; only for a closed network");
    }
    boolean usesPostgres = roles.stream().anyMatch(r -> !r.equals("http") && !r.equals("counter"));
    Future<Void> chain = usesPostgres ? applySchema(vertx, config) : Future.succeededFuture();
    List<String> deployed = new ArrayList<>();
    for (Map.Entry<String, Supplier<Future<String>>> d : deployments.entrySet()) {
      // Tokens are served with the registry; MQTT ingest comes in where HTTP does.
      String role =
          switch (d.getKey()) {
            case "tokens" -> "registry";
            case "mqtt" -> "http";
            case "egress" -> "persistence";
            default -> d.getKey();
          };
      if (roles.contains(role)) {
        chain = chain.compose(v -> d.getValue().get().map(deployed::add).mapEmpty());
      }
    }
    return chain.onSuccess(v -> NodeState.deployed(vertx, new JsonArray(deployed)));
  }

  /**
   * Stops the node gracefully, as on SIGTERM: readiness turns false, then the verticles stop in the
   * reverse order of their start — HTTP first (no new requests; those in flight are answered), then
   * the rest, persistence answering everything it took and handing its shards over — and the node
   * leaves the cluster.
   */
  public static Future<Void> shutdown(Vertx vertx) {
    NodeState.draining(vertx);
    JsonArray ids = NodeState.deployments(vertx);
    Future<Void> chain = Future.succeededFuture();
    for (int i = ids.size() - 1; i >= 0; i--) {
      String id = ids.getString(i);
      chain = chain.compose(v -> vertx.undeploy(id)).recover(err -> Future.succeededFuture());
    }
    return chain.compose(v -> vertx.close());
  }

  /**
   * The schema, the counter and persistence: what writes derived state (and the replay command
   * needs).
   */
  public static Future<Void> deployStorage(Vertx vertx, DensityConfig config) {
    return deploy(vertx, config.withRoles("counter,persistence"));
  }

  private static Future<Void> applySchema(Vertx vertx, DensityConfig config) {
    return Schema.apply(vertx, config.postgres());
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
