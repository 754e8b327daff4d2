package io.density.cli;

import io.density.cluster.Clustering;
import io.density.config.DensityConfig;
import io.density.node.Server;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code serve} (also with no command): the production server; never embedded databases. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the production server on the configured PostgreSQL and Redis (never embedded"
          + " databases). Applies the schema migrations not yet applied first."
    })
public final class ServeCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    DensityConfig config = null;
    try {
      config = withHttpPortChosen(Startup.configured());
      Vertx vertx = Clustering.vertx(config.cluster()).await();
      Server.deploy(vertx, config).await();
      Runtime.getRuntime()
          .addShutdownHook(new Thread(() -> Startup.shutDown(vertx), "density-shutdown"));
      System.out.println(
          "Density is running: roles "
              + config.roles()
              + (config.roleList().contains("http") ? ", HTTP on port " + config.http().port() : "")
              + (config.cluster().enabled() ? ", in cluster " + config.cluster().name() : ""));
      Startup.keepRunning();
      return 0;
    } catch (Throwable e) {
      System.err.println("Density failed to start: " + StartupFaults.explain(e, config));
      return 1;
    }
  }

  /**
   * HTTP port 0 means "any free port": chosen here, once, so that every HTTP verticle instance
   * shares it (several nodes can then run side by side without choosing ports).
   */
  private static DensityConfig withHttpPortChosen(DensityConfig config) {
    if (config.http().port() != 0) {
      return config;
    }
    try (ServerSocket socket = new ServerSocket(0)) {
      return config.with("http", "port", socket.getLocalPort());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port for HTTP", e);
    }
  }
}
