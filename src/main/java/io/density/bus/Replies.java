package io.density.bus;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.function.Function;

/**
 * Event-bus consumers that always answer: with the result, or with a failure code. The one reply
 * convention: a JSON object, or a {@link ReplyException} carrying a {@link Failure} code.
 */
public final class Replies {
  private Replies() {}

  /**
   * A consumer of an address that serves several operations, named by the {@link Addresses#ACTION}
   * header; an unknown one is {@link Failure#INVALID}. Answers as {@link #answering}; {@code
   * failure} turns what is not yet a failure code into one.
   */
  public static Handler<Message<JsonObject>> byAction(
      String who,
      Map<String, Function<JsonObject, Future<JsonObject>>> actions,
      Function<Throwable, ReplyException> failure) {
    return message -> {
      Function<JsonObject, Future<JsonObject>> action =
          actions.get(message.headers().get(Addresses.ACTION));
      if (action == null) {
        message.reply(Failure.invalid(Addresses.ACTION, "unknown " + who + " action"));
        return;
      }
      Future.succeededFuture(message.body())
          .compose(action)
          .onSuccess(message::reply)
          .onFailure(err -> message.reply(failure.apply(err)));
    };
  }

  /** What is not a failure code yet becomes {@link Failure#UNAVAILABLE}, naming who failed. */
  public static ReplyException unavailable(String who, Throwable err) {
    return err instanceof ReplyException re
        ? re
        : Failure.unavailable(who + " failed: " + err.getMessage());
  }

  /**
   * A consumer answering each request with {@code answer}'s result; a {@link ReplyException} is
   * passed on as it is, anything else (also a throw) becomes {@link Failure#UNAVAILABLE} naming
   * {@code who} failed.
   */
  public static Handler<Message<JsonObject>> answering(
      String who, Function<JsonObject, Future<JsonObject>> answer) {
    return message ->
        Future.succeededFuture(message.body())
            .compose(answer)
            .onSuccess(message::reply)
            .onFailure(err -> message.reply(unavailable(who, err)));
  }
}
