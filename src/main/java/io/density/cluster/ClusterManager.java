package io.density.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.core.LifecycleEvent;
import io.vertx.core.Completable;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * Vert.x's Hazelcast cluster manager, with its lifecycle callback taken off Hazelcast's thread.
 *
 * <p>Hazelcast fires {@code MERGING} and {@code MERGED} while it holds its lifecycle lock (a node
 * rejoining after a split), and the cluster manager handles them under its own monitor. Leaving
 * takes the two in the other order: it holds the monitor while it shuts Hazelcast down, which waits
 * for the lifecycle lock. A node stopped while it merged waited for ever. Here the event is handed
 * to a thread of its own, in order, so Hazelcast's lock is never held while the monitor is awaited.
 */
final class ClusterManager extends HazelcastClusterManager {
  private final ExecutorService lifecycleEvents =
      Executors.newSingleThreadExecutor(
          task -> {
            Thread thread = new Thread(task, "density-hazelcast-lifecycle");
            thread.setDaemon(true);
            return thread;
          });

  ClusterManager(Config config) {
    super(config);
  }

  @Override
  public void stateChanged(LifecycleEvent event) {
    try {
      lifecycleEvents.execute(() -> super.stateChanged(event));
    } catch (RejectedExecutionException leftAlready) {
      // The node has left: the cluster manager ignores events from then on anyway.
    }
  }

  @Override
  public void leave(Completable<Void> promise) {
    super.leave(
        (result, failure) -> {
          lifecycleEvents.shutdown();
          promise.complete(result, failure);
        });
  }
}
