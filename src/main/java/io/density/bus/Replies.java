package io.density.bus;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;

/** Event-bus consumers that always answer: with the result, or with a failure code. */
public final class Replies {
  private Replies() {}

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
            .onFailure(
                err ->
                    message.reply(
                        err instanceof ReplyException re
                            ? re
                            : Failure.unavailable(who + " failed: " + err.getMessage())));
  }
}
