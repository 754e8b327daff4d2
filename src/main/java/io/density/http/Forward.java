package io.density.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

/**
 * The named timeouts of the routes' requests, and the way routes ask the persistence verticle's
 * JSON addresses (replay, retention, rebuild, reset): the reply's JSON is the answer, a failure
 * keeps its {@code Failure} code for the one failure handler, {@link Responses#failed}. The typed
 * services (registry, tokens, alerts, history, query) are asked through their {@code bus.Service}
 * client.
 */
final class Forward {
  /** For work that re-derives counts (replay, retention): it may take long. */
  static final DeliveryOptions LONG_WORK = new DeliveryOptions().setSendTimeout(3_600_000);

  /** For a rebuild of the realtime state, bulk provisioning and long reads of history. */
  static final DeliveryOptions MINUTES = new DeliveryOptions().setSendTimeout(600_000);

  static final DeliveryOptions DEFAULT = new DeliveryOptions();

  private final Vertx vertx;

  Forward(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Asks the address with the default timeout. */
  Future<JsonObject> ask(String address, Object body) {
    return ask(address, body, DEFAULT);
  }

  Future<JsonObject> ask(String address, Object body, DeliveryOptions options) {
    return vertx.eventBus().<JsonObject>request(address, body, options).map(Message::body);
  }
}
