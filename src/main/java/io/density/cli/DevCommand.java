package io.density.cli;

import io.density.cluster.Clustering;
import io.density.config.DensityConfig;
import io.density.dev.DevMode;
import io.density.node.Server;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code dev}: the server on embedded PostgreSQL and Redis, with the sample building. */
@Command(
    name = "dev",
    mixinStandardHelpOptions = true,
    description = "Runs the server with embedded PostgreSQL and Redis and sample data.")
public final class DevCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    // With metrics, as in production: GET /metrics answers in dev mode too.
    Vertx vertx = Clustering.standalone();
    DensityConfig config = null;
    try {
      Startup.configured();
      config = DevMode.config(System.getenv(), () -> Startup.shutDown(vertx));
      DensityConfig started = config;
      System.out.println(
          Server.deploy(vertx, started).compose(v -> DevMode.welcome(vertx, started)).await());
      Startup.keepRunning();
      return 0;
    } catch (Throwable e) {
      System.err.println("Density failed to start: " + StartupFaults.explain(e, config));
      return 1;
    }
  }
}
