package io.density.bus;

import io.vertx.core.eventbus.ReplyException;

/**
 * The one reply convention: a JSON object, or a {@link ReplyException} carrying a {@link Failure}
 * code ({@link Service#serve} answers so).
 */
public final class Replies {
  private Replies() {}

  /** What is not a failure code yet becomes {@link Failure#UNAVAILABLE}, naming who failed. */
  public static ReplyException unavailable(String who, Throwable err) {
    return err instanceof ReplyException re
        ? re
        : Failure.unavailable(who + " failed: " + err.getMessage());
  }
}
