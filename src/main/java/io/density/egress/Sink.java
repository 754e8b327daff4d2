package io.density.egress;

import io.vertx.core.Future;
import java.util.List;

/**
 * A broker that takes the outbox's changes, in the order given. The publisher gives each sink the
 * changes of the spaces it publishes, in order per key, and re-sends from the first change a sink
 * did not acknowledge; so a sink publishes at least once and may see a change again.
 */
public interface Sink {

  /** Names the sink in logs, metrics and readiness details ({@code mqtt}, {@code nats}). */
  String name();

  /**
   * Publishes the changes in order and completes once the broker has acknowledged every one of
   * them; fails as soon as one is not acknowledged (broker unreachable, refused, timed out).
   */
  Future<Void> publish(List<Change> changes);

  /** Why the sink cannot publish now (a readiness detail), or null while it can. */
  String problem();

  /** Closes the connection to the broker. */
  Future<Void> close();
}
