package io.density;

import io.density.auth.TokenStore;
import io.density.bus.Addresses;
import io.density.bus.InvalidInput;
import io.density.cluster.Clustering;
import io.density.config.DensityConfig;
import io.density.db.Connections;
import io.density.db.Schema;
import io.density.dev.DevMode;
import io.density.telemetry.LogLines;
import io.density.time.Timestamps;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -jar density.jar [serve|dev|token ...]}.
 *
 * <ul>
 *   <li>{@code serve} (the default): the production server on the configured PostgreSQL and Redis;
 *       never starts embedded databases.
 *   <li>{@code dev}: the server with embedded databases and sample data.
 *   <li>{@code replay [--from T] [--to T]}: rebuilds the derived state from the raw log (all of it,
 *       or the datapoints of a window) on the configured databases, then exits. Run it while no
 *       server writes to them; on a running server use {@code POST /v1/admin/replay}.
 *   <li>{@code token create --scope ingest|read|admin [--name NAME]}: makes an API token in the
 *       configured database and prints it, alone, on the last line (it is never shown again).
 * </ul>
 */
public final class Main {
  private Main() {}

  private static final String USAGE =
      "usage: java -jar density.jar [serve | dev | replay [--from T] [--to T]"
          + " | token create --scope ingest|read|admin [--name NAME] | help]";

  /** A wrong command line: says why and how, touches nothing, exits 2. */
  private static void usage(String problem) {
    System.err.println(problem);
    System.err.println(USAGE);
    System.exit(2);
  }

  /** What went wrong at start, in a sentence that names the setting to fix, not a stack trace. */
  static String explain(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? root.toString() : root.getMessage();
    if (root instanceof java.net.BindException) {
      return "the HTTP port is taken (" + message + "): set DENSITY_HTTP_PORT to a free one";
    }
    if (root instanceof java.net.ConnectException || message.contains("Connection refused")) {
      String where = "the configured address";
      for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
        if (t.getMessage() != null && t.getMessage().contains("Connection refused: ")) {
          where = t.getMessage().replaceFirst(".*Connection refused: /?", "");
          break;
        }
      }
      return "nothing answers at "
          + where
          + ": check that PostgreSQL (DENSITY_PG_URL) and Redis (DENSITY_REDIS_URL) run there";
    }
    if (message.contains("password authentication failed") || message.contains("(28")) {
      return "PostgreSQL refused the login ("
          + message
          + "): check the user and password in DENSITY_PG_URL";
    }
    return message;
  }

  public static void main(String[] args) {
    String command = args.length == 0 ? "serve" : args[0];
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    switch (command) {
      case "serve" -> {
        if (rest.length > 0) {
          usage(
              "serve takes no arguments (configuration comes from conf/ and DENSITY_*): "
                  + rest[0]);
        }
        serve();
      }
      case "help", "--help", "-h" -> {
        System.out.println(USAGE);
        System.exit(0);
      }
      case "dev" -> dev();
      case "replay" -> replay(rest);
      case "token" -> token(rest);
      default -> usage("unknown command " + command);
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

  /** The configuration, read once; log lines take their format from it before anything logs. */
  private static DensityConfig configured() {
    DensityConfig config = DensityConfig.load(System.getenv());
    LogLines.install(config.logging());
    return config;
  }

  private static void dev() {
    Vertx vertx = Vertx.vertx();
    try {
      configured();
      DensityConfig config = DevMode.config(System.getenv());
      System.out.println(
          Server.deploy(vertx, config).compose(v -> DevMode.welcome(vertx, config)).await());
    } catch (Throwable e) {
      System.err.println("Density failed to start: " + explain(e));
      System.exit(1);
    }
  }

  private static void replay(String[] args) {
    JsonObject window = new JsonObject();
    try {
      for (int i = 0; i < args.length; i += 2) {
        String name = args[i].replaceFirst("^--", "");
        if (!(name.equals("from") || name.equals("to")) || i + 1 >= args.length) {
          throw new InvalidInput(args[i], "replay takes --from T and --to T (ISO-8601)");
        }
        window.put(name, Timestamps.parseMicros(args[i + 1], name));
      }
    } catch (InvalidInput e) {
      System.err.println(e.getMessage());
      System.exit(2);
    }
    Vertx vertx = Vertx.vertx();
    try {
      JsonObject result =
          Server.deployStorage(vertx, configured())
              .compose(
                  v ->
                      vertx
                          .eventBus()
                          .<JsonObject>request(
                              Addresses.REPLAY,
                              window,
                              new DeliveryOptions().setSendTimeout(86_400_000))
                          .map(m -> m.body()))
              .await();
      System.out.println(result.encodePrettily());
      vertx.close().await();
    } catch (RuntimeException e) {
      System.err.println("replay failed: " + e.getMessage());
      System.exit(1);
    }
  }

  private static void token(String[] args) {
    JsonObject request = new JsonObject();
    boolean create = args.length > 0 && args[0].equals("create");
    for (int i = 1; create && i < args.length; i += 2) {
      String name = args[i].replaceFirst("^--", "");
      if (!(name.equals("scope") || name.equals("name")) || i + 1 >= args.length) {
        create = false;
      } else {
        request.put(name, args[i + 1]);
      }
    }
    if (!create || !request.containsKey("scope")) {
      System.err.println(
          "usage: java -jar density.jar token create --scope ingest|read|admin [--name NAME]");
      System.exit(2);
    }
    Vertx vertx = Vertx.vertx();
    try {
      DensityConfig config = configured();
      Pool pool = Connections.postgres(vertx, config.postgres());
      JsonObject token =
          Schema.apply(pool)
              .compose(v -> new TokenStore(pool).create(request))
              .eventually(pool::close)
              .await();
      System.out.println(
          "token "
              + token.getLong("id")
              + " ("
              + token.getString("scope")
              + (token.getString("name") == null ? "" : ", " + token.getString("name"))
              + "); keep it now, it is not shown again:");
      System.out.println(token.getString("token"));
      vertx.close().await();
    } catch (Throwable e) {
      System.err.println("token create failed: " + explain(e));
      System.exit(1);
    }
  }

  /**
   * On SIGTERM: readiness false, requests in flight answered, shards and leaderships handed over,
   * the cluster left; at most 10 s, after which the JVM exits anyway.
   */
  private static void shutDown(Vertx vertx) {
    System.err.println("Density is shutting down (SIGTERM)");
    try {
      Server.shutdown(vertx).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      System.err.println("Density stopped");
    } catch (Exception e) {
      System.err.println("Density did not stop cleanly within 10 s: " + e);
    }
  }

  private static void serve() {
    try {
      DensityConfig config = withHttpPortChosen(configured());
      Vertx vertx = Clustering.vertx(config.cluster()).await();
      Server.deploy(vertx, config).await();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> shutDown(vertx), "density-shutdown"));
      System.out.println(
          "Density is running: roles "
              + config.roles()
              + (config.roleList().contains("http") ? ", HTTP on port " + config.http().port() : "")
              + (config.cluster().enabled() ? ", in cluster " + config.cluster().name() : ""));
    } catch (Throwable e) {
      System.err.println("Density failed to start: " + explain(e));
      System.exit(1);
    }
  }
}
