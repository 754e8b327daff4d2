package io.density.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent.LifecycleState;
import com.hazelcast.instance.impl.LifecycleServiceImpl;
import io.density.config.DensityConfig;
import io.density.support.Await;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** A node of a real (one-member) Hazelcast cluster, stopped while Hazelcast merges. */
class ClusterManagerTest {

  /**
   * Hazelcast fires the merge's events while it holds its lifecycle lock; the node leaving holds
   * the cluster manager's monitor and waits for that lock. The node must still stop.
   */
  @Test
  void stopsWhileHazelcastMerges() throws Exception {
    DensityConfig config =
        DensityConfig.load(System.getenv())
            .with("cluster", "enabled", true)
            .with("cluster", "name", "merge-" + UUID.randomUUID());
    Vertx vertx = Clustering.vertx(config.cluster()).await();
    HazelcastClusterManager manager =
        (HazelcastClusterManager) ((VertxInternal) vertx).clusterManager();
    HazelcastInstance hazelcast = manager.getHazelcastInstance();
    LifecycleServiceImpl lifecycle = (LifecycleServiceImpl) hazelcast.getLifecycleService();

    AtomicReference<Future<Void>> closing = new AtomicReference<>();
    AtomicReference<Boolean> leaving = new AtomicReference<>();
    CompletableFuture<Void> merge =
        CompletableFuture.runAsync(
            () ->
                lifecycle.runUnderLifecycleLock(
                    () -> {
                      // The node starts leaving while the lock is held, as a merge would hold it.
                      closing.set(vertx.close());
                      leaving.set(Await.until(() -> !manager.isActive(), Duration.ofSeconds(30)));
                      lifecycle.fireLifecycleEvent(LifecycleState.MERGING);
                      lifecycle.fireLifecycleEvent(LifecycleState.MERGED);
                    }));

    merge.get(30, TimeUnit.SECONDS);
    assertTrue(leaving.get(), "the node began to leave while the lock was held");
    closing.get().await(60, TimeUnit.SECONDS);
    assertTrue(closing.get().succeeded(), "the node stopped");
    assertFalse(lifecycle.isRunning(), "Hazelcast shut down");
  }
}
