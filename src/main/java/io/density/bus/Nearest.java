package io.density.bus;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;

/**
 * Requests to a service this node serves itself stay on this node. The clustered event bus hands a
 * request to the nodes with a consumer of its address in turn; every node's services read and write
 * the same PostgreSQL and Redis, so the node that was asked can answer without a hop, and a node
 * cut off from the cluster (its bus connections lost) is never waited on for a service this node
 * has too: a request that went there would wait for its whole timeout and fail.
 */
public final class Nearest {
  private static final String SERVED = "density.bus.served";

  private Nearest() {}

  /** This node serves {@code address} from now on, for as long as it runs. */
  public static void serving(Vertx vertx, String address) {
    vertx.sharedData().getLocalMap(SERVED).put(address, true);
  }

  /**
   * Serves {@code address} with {@code handler}: once registered, this node's requests stay here.
   */
  public static <T> Future<Void> serve(Vertx vertx, String address, Handler<Message<T>> handler) {
    return vertx
        .eventBus()
        .consumer(address, handler)
        .completion()
        .onSuccess(v -> serving(vertx, address));
  }

  /** {@code options} for a request to {@code address}: kept on this node when it serves it. */
  public static DeliveryOptions options(Vertx vertx, String address, DeliveryOptions options) {
    return vertx.sharedData().getLocalMap(SERVED).containsKey(address)
        ? new DeliveryOptions(options).setLocalOnly(true)
        : options;
  }

  /** A request to {@code address}, on this node when it serves it. */
  public static <T> Future<Message<T>> request(
      Vertx vertx, String address, Object body, DeliveryOptions options) {
    return vertx.eventBus().request(address, body, options(vertx, address, options));
  }

  /** A request to {@code address} with the default timeout, on this node when it serves it. */
  public static <T> Future<Message<T>> request(Vertx vertx, String address, Object body) {
    return request(vertx, address, body, new DeliveryOptions());
  }
}
