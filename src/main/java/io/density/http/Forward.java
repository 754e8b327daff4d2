package io.density.http;

import io.density.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

/**
 * The one way routes ask the verticles: a request to an address, naming the operation in the {@link
 * Addresses#ACTION} header where the address serves several; the reply's JSON is the answer, a
 * failure keeps its {@code Failure} code for the one failure handler, {@link Responses#failed}.
 */
final class Forward {
  /** For work that re-derives counts (replay, retention): it may take long. */
  static final DeliveryOptions LONG_WORK = new DeliveryOptions().setSendTimeout(3_600_000);

  /** For a rebuild of the realtime state, and bulk provisioning. */
  static final DeliveryOptions MINUTES = new DeliveryOptions().setSendTimeout(600_000);

  static final DeliveryOptions DEFAULT = new DeliveryOptions();

  private final Vertx vertx;

  Forward(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Asks the address (a single-operation one) with the default timeout. */
  Future<JsonObject> ask(String address, Object body) {
    return ask(address, null, body, DEFAULT);
  }

  /** Asks the address for an operation (null: the address does one thing). */
  Future<JsonObject> ask(String address, String action, Object body, DeliveryOptions options) {
    DeliveryOptions sent = options;
    if (action != null) {
      sent = new DeliveryOptions(options).addHeader(Addresses.ACTION, action);
    }
    return vertx.eventBus().<JsonObject>request(address, body, sent).map(Message::body);
  }
}
