package io.density.cli;

import io.density.config.DensityConfig;
import io.density.node.Server;
import io.density.telemetry.LogLines;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;

/** What the commands that start a server or reach the databases share. */
public final class Startup {
  private Startup() {}

  /** Set by serve and dev: the process goes on running after the command returns. */
  private static volatile boolean running;

  /** Whether a command left a server running (the process must then not exit). */
  public static boolean running() {
    return running;
  }

  static void keepRunning() {
    running = true;
  }

  /** The configuration, read once; log lines take their format from it before anything logs. */
  static DensityConfig configured() {
    DensityConfig config = DensityConfig.load(System.getenv());
    LogLines.install(config.logging());
    return config;
  }

  /**
   * On SIGTERM: readiness false, requests in flight answered, shards and leaderships handed over,
   * the cluster left; at most 10 s, after which the JVM exits anyway.
   */
  static void shutDown(Vertx vertx) {
    System.err.println("Density is shutting down (SIGTERM)");
    try {
      Server.shutdown(vertx).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      System.err.println("Density stopped");
    } catch (Exception e) {
      System.err.println("Density did not stop cleanly within 10 s: " + e);
    }
  }
}
