package io.density.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.shareddata.LocalMap;

/**
 * What this node's Vert.x knows of its own lifecycle: the verticles it deployed, in order, and
 * whether it is ready (every verticle of its roles deployed, not shutting down), which {@code GET
 * /ready} reports.
 */
public final class NodeState {
  private static final String DEPLOYMENTS = "deployments";
  private static final String READY = "ready";

  private NodeState() {}

  /** Every verticle of the node's roles is deployed: the node takes work. */
  public static void deployed(Vertx vertx, JsonArray deploymentIds) {
    node(vertx).put(DEPLOYMENTS, deploymentIds);
    node(vertx).put(READY, true);
  }

  /** The node is shutting down: readiness turns false first. */
  public static void draining(Vertx vertx) {
    node(vertx).put(READY, false);
  }

  public static boolean ready(Vertx vertx) {
    return Boolean.TRUE.equals(node(vertx).get(READY));
  }

  /** The ids of the verticles deployed, in the order they started. */
  public static JsonArray deployments(Vertx vertx) {
    return (JsonArray) node(vertx).getOrDefault(DEPLOYMENTS, new JsonArray());
  }

  private static LocalMap<String, Object> node(Vertx vertx) {
    return vertx.sharedData().getLocalMap("density.node");
  }
}
