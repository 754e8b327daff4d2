package io.density.bus;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;

/**
 * A service on the event bus, typed: one address (in {@link Addresses}) that takes the records of
 * one sealed request type, each record an operation. The record carries input already checked where
 * it entered (HTTP, MQTT, the command line), so the service trusts it. A reply is the JSON object
 * that is the answer, or a record of the service's own where a node's code reads the answer (the
 * token check); a failure a {@link ReplyException} with a {@link Failure} code.
 *
 * <p>An instance is the service's client: {@link #ask} sends a request and gives the reply, on this
 * node when it serves the address too ({@link Nearest}). {@link #serve} is the consumer side.
 *
 * @param <R> the sealed type of the service's requests
 */
public final class Service<R> {
  private static final DeliveryOptions DEFAULT = new DeliveryOptions();

  private final Vertx vertx;
  private final String address;

  /** A client of the service at {@code address}, whose requests are the records of {@code R}. */
  public Service(Vertx vertx, String address, Class<R> requests) {
    RecordCodec.register(vertx, requests);
    this.vertx = vertx;
    this.address = address;
  }

  /** Asks with the default timeout (30 s). */
  public Future<JsonObject> ask(R request) {
    return ask(request, DEFAULT);
  }

  public Future<JsonObject> ask(R request, DeliveryOptions options) {
    return ask(request, JsonObject.class, options);
  }

  /**
   * Asks for an answer of type {@code T}: a record of the service's own (a codec made the default
   * one for it with {@link RecordCodec#registerReply}), or a JSON object.
   */
  public <T> Future<T> ask(R request, Class<T> answer, DeliveryOptions options) {
    return vertx
        .eventBus()
        .request(address, request, Nearest.options(vertx, address, options))
        .map(m -> answer.cast(m.body()));
  }

  /**
   * Serves {@code address}: each request is answered with what {@code answer} gives for it; a
   * failure (also a throw) with what {@code failure} turns it into.
   */
  public static <R> MessageConsumer<R> serve(
      Vertx vertx,
      String address,
      Class<R> requests,
      Function<R, ? extends Future<?>> answer,
      Function<Throwable, ReplyException> failure) {
    RecordCodec.register(vertx, requests);
    MessageConsumer<R> consumer =
        vertx
            .eventBus()
            .consumer(
                address,
                (Message<R> message) ->
                    Future.succeededFuture(message.body())
                        .<Object>compose(r -> answer.apply(r).map(a -> a))
                        .onSuccess(message::reply)
                        .onFailure(err -> message.reply(failure.apply(err))));
    consumer.completion().onSuccess(v -> Nearest.serving(vertx, address));
    return consumer;
  }
}
