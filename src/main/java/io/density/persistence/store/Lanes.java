package io.density.persistence.store;

import io.vertx.core.Future;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The counting shards a persistence verticle owns, and their lanes: work on a shard's spaces that
 * must not interleave with its parts runs in its lane.
 */
public interface Lanes {
  /** The shards owned now, in order. */
  Set<Integer> owned();

  /**
   * Runs a task in a shard's lane, after what is queued there, while the shard is still owned here
   * when its turn comes (else it is skipped: the new owner does it).
   */
  <T> Future<T> inLane(int shard, Supplier<Future<T>> task);
}
