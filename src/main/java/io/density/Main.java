package io.density;

import io.density.config.DensityConfig;
import io.density.dev.DevMode;
import io.density.load.LoadMain;
import io.vertx.core.Vertx;
import java.util.Arrays;

/**
 * {@code java -jar density.jar [serve|dev|load ...]}.
 *
 * <ul>
 *   <li>{@code serve} (the default): the production server on the configured PostgreSQL and Redis;
 *       never starts embedded databases.
 *   <li>{@code dev}: the server with embedded databases and sample data.
 *   <li>{@code load ...}: the load tools of {@code load/} against a running server.
 * </ul>
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    String command = args.length == 0 ? "serve" : args[0];
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    switch (command) {
      case "serve" -> serve();
      case "dev" -> dev();
      case "load" -> LoadMain.main(rest);
      default -> {
        System.err.println("usage: java -jar density.jar [serve | dev | load <tool> ...]");
        System.exit(2);
      }
    }
  }

  private static void dev() {
    Vertx vertx = Vertx.vertx();
    try {
      System.out.println(DevMode.start(vertx, System.getenv()).await());
    } catch (RuntimeException e) {
      System.err.println("Density failed to start: " + e.getMessage());
      System.exit(1);
    }
  }

  private static void serve() {
    DensityConfig config = DensityConfig.load(System.getenv());
    Vertx vertx = Vertx.vertx();
    try {
      Server.deploy(vertx, config).await();
    } catch (RuntimeException e) {
      System.err.println("Density failed to start: " + e.getMessage());
      vertx.close();
      System.exit(1);
    }
    System.out.println("Density is listening on port " + config.http().port());
  }
}
