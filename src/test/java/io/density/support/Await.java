package io.density.support;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waiting for a condition that asynchronous work makes true, up to a deadline. */
public final class Await {
  private Await() {}

  /**
   * Polls the condition (every few milliseconds, yielding the CPU) until it holds or time is up.
   */
  public static boolean until(BooleanSupplier condition, Duration deadline) {
    Instant end = Instant.now().plus(deadline);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(end)) {
        return false;
      }
      LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
    }
    return true;
  }
}
