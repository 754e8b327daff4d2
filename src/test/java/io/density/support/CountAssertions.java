package io.density.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** A server's count answers held against the contract's. */
public final class CountAssertions {
  private CountAssertions() {}

  /**
   * The space's realtime count, and its count as of every step from {@code from} (included) to
   * {@code to} (excluded), as the server answers them, equal the contract's.
   */
  public static void assertCountsLikeTheContract(
      TestServer server,
      ContractModel contract,
      String space,
      Instant from,
      Instant to,
      Duration step) {
    assertEquals(
        contract.realtime(space),
        server.get("/v1/spaces/" + space + "/count").json().getInteger("count"),
        space + " now");
    // Realtime counts are right at once; stored ones once held corrections are written.
    server.awaitCorrectionsWritten();
    for (Instant t = from; t.isBefore(to); t = t.plus(step)) {
      assertEquals(
          contract.countAsOf(space, t),
          server.get("/v1/spaces/" + space + "/count?at=" + t).json().getInteger("count"),
          space + " as of " + t);
    }
  }

  /** The space's count as of every {@code every}th of its effects equals the contract's. */
  public static void assertCountsAtEffects(
      TestServer server, ContractModel contract, String space, int every) {
    server.awaitCorrectionsWritten();
    List<Instant> effects = contract.effectTimes(space);
    for (int i = 0; i < effects.size(); i += every) {
      Instant t = effects.get(i);
      assertEquals(
          contract.countAsOf(space, t),
          server.get("/v1/spaces/" + space + "/count?at=" + t).json().getInteger("count"),
          space + " as of its effect at " + t);
    }
  }
}
