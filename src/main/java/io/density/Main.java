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
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code java -jar density.jar [serve | dev | replay | token create | schema migrate | load |
 * help]}.
 *
 * <ul>
 *   <li>{@code serve} (also with no command): the production server on the configured PostgreSQL
 *       and Redis; never starts embedded databases.
 *   <li>{@code dev}: the server with embedded databases and sample data.
 *   <li>{@code replay [--from T] [--to T]}: rebuilds the derived state from the raw log (all of it,
 *       or the datapoints of a window) on the configured databases, then exits. Run it while no
 *       server writes to them; on a running server use {@code POST /v1/admin/replay}.
 *   <li>{@code token create --scope ingest|read|admin [--name NAME] [--expires T]}: makes an API
 *       token in the configured database and prints it, alone, on the last line (it is never shown
 *       again).
 *   <li>{@code schema migrate}: applies the schema migrations not yet applied, then exits (the
 *       server does the same at start).
 *   <li>{@code load TOOL [OPTIONS]}: runs a load tool of {@code density-load.jar}, the jar of its
 *       own beside this one, in a JVM of its own, and exits with its status.
 * </ul>
 *
 * <p>Exit codes: 0 done (or, for serve and dev, running); 1 a fault at run time, said in a sentence
 * that names the setting to fix; 2 a wrong command line (unknown command or flag, a missing or
 * malformed value), reported before anything is read or connected.
 */
@Command(
    name = "density.jar",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Density: people counting. With no command, runs serve.",
    subcommands = {
      Main.Serve.class,
      Main.Dev.class,
      Main.Replay.class,
      Main.Token.class,
      Main.SchemaCommand.class,
      Main.Load.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Callable<Integer> {
  /** Set by serve and dev: the process goes on running after the command returns. */
  private static volatile boolean running;

  private static final Map<String, String> EXIT_CODES = new LinkedHashMap<>();

  static {
    EXIT_CODES.put("0", "done (serve and dev: started and running)");
    EXIT_CODES.put("1", "a fault at run time, said in a sentence that names the setting to fix");
    EXIT_CODES.put(
        "2",
        "a wrong command line (unknown command or flag, a missing or malformed value);"
            + " nothing was read or connected");
  }

  public static void main(String[] args) {
    int exit = commandLine().execute(args);
    if (exit != 0 || !running) {
      System.exit(exit);
    }
  }

  /** The command line with the headings and exit codes every command's help shows. */
  static CommandLine commandLine() {
    CommandLine line = new CommandLine(new Main());
    // Everything after the tool's name is the tool's, --help included.
    line.getSubcommands().get("load").setStopAtPositional(true);
    style(line);
    return line;
  }

  private static void style(CommandLine line) {
    line.getCommandSpec()
        .usageMessage()
        .synopsisHeading("usage: ")
        .exitCodeListHeading("%nExit codes:%n")
        .exitCodeList(EXIT_CODES);
    line.getCommandSpec()
        .usageMessage()
        .footerHeading("%n")
        .footer(
            "Configuration comes from conf/config.json and DENSITY_* environment variables"
                + " (README, Configuration).");
    line.getSubcommands().values().forEach(Main::style);
  }

  /** No command: serve. */
  @Override
  public Integer call() {
    return serve();
  }

  /** The version of the jar (its manifest), or "development" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"Density " + (version == null ? "(development build)" : version)};
    }
  }

  @Command(
      name = "serve",
      mixinStandardHelpOptions = true,
      description = {
        "Runs the production server on the configured PostgreSQL and Redis (never embedded"
            + " databases). Applies the schema migrations not yet applied first."
      })
  static final class Serve implements Callable<Integer> {
    @Override
    public Integer call() {
      return serve();
    }
  }

  @Command(
      name = "dev",
      mixinStandardHelpOptions = true,
      description = "Runs the server with embedded PostgreSQL and Redis and sample data.")
  static final class Dev implements Callable<Integer> {
    @Override
    public Integer call() {
      return dev();
    }
  }

  @Command(
      name = "replay",
      mixinStandardHelpOptions = true,
      description = {
        "Rebuilds the derived state from the raw log on the configured databases, then exits:"
            + " all of it, or the datapoints of the window --from/--to. Run it while no server"
            + " writes to them; on a running server use POST /v1/admin/replay.",
        "Progress goes to standard error (each step, and how many spaces are recounted every"
            + " second); the summary, as JSON, to standard output."
      })
  static final class Replay implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--from", paramLabel = "T", description = "start of the window (ISO-8601)")
    String from;

    @Option(names = "--to", paramLabel = "T", description = "end of the window (ISO-8601)")
    String to;

    @Override
    public Integer call() {
      JsonObject window = new JsonObject();
      try {
        if (from != null) {
          window.put("from", Timestamps.parseMicros(from, "from"));
        }
        if (to != null) {
          window.put("to", Timestamps.parseMicros(to, "to"));
        }
      } catch (InvalidInput e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      return replay(window);
    }
  }

  @Command(
      name = "token",
      mixinStandardHelpOptions = true,
      description = "API tokens.",
      subcommands = {Main.TokenCreate.class})
  static final class Token {}

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = {
        "Makes an API token in the configured database and prints it, alone, on the last line;"
            + " it is never shown again."
      })
  static final class TokenCreate implements Callable<Integer> {
    private static final List<String> SCOPES = List.of("ingest", "read", "admin");

    @Spec CommandSpec spec;

    @Option(
        names = "--scope",
        required = true,
        paramLabel = "ingest|read|admin",
        description = "what the token may do")
    String scope;

    @Option(names = "--name", paramLabel = "NAME", description = "a name to tell tokens apart")
    String name;

    @Option(
        names = "--expires",
        paramLabel = "T",
        description = "when the token stops working (ISO-8601 instant, e.g. 2027-01-01T00:00:00Z)")
    String expires;

    @Override
    public Integer call() {
      if (!SCOPES.contains(scope)) {
        throw new ParameterException(
            spec.commandLine(), "--scope is one of ingest, read, admin: " + scope);
      }
      JsonObject request = new JsonObject().put("scope", scope);
      if (name != null) {
        request.put("name", name);
      }
      if (expires != null) {
        try {
          request.put("expires_at", Instant.parse(expires).toString());
        } catch (DateTimeParseException e) {
          throw new ParameterException(
              spec.commandLine(), "--expires is an ISO-8601 instant: " + expires);
        }
      }
      return token(request);
    }
  }

  @Command(
      name = "schema",
      mixinStandardHelpOptions = true,
      description = "The database schema.",
      subcommands = {Main.SchemaMigrate.class})
  static final class SchemaCommand {}

  @Command(
      name = "migrate",
      mixinStandardHelpOptions = true,
      description = {
        "Applies the schema migrations (sql/V<n>__*.sql) not yet applied to the configured"
            + " PostgreSQL database and records them in its table "
            + Schema.HISTORY
            + ", then exits. The server does the same at start; run this to upgrade before"
            + " starting a new release. A database made before migrations were recorded is"
            + " baselined at version "
            + Schema.BASELINE
            + " (its scripts are not run again)."
      })
  static final class SchemaMigrate implements Callable<Integer> {
    @Override
    public Integer call() {
      try {
        DensityConfig config = configured();
        System.out.println(Schema.migrate(config.postgres()));
        return 0;
      } catch (Throwable e) {
        System.err.println("schema migrate failed: " + explain(e));
        return 1;
      }
    }
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
        Matcher jdbc = JDBC_REFUSED.matcher(t.getMessage() == null ? "" : t.getMessage());
        if (jdbc.find()) {
          where = jdbc.group(1);
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

  /** How the JDBC driver says that nothing answers: "Connection to HOST:PORT refused." */
  private static final Pattern JDBC_REFUSED = Pattern.compile("Connection to (\\S+) refused");

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

  @Command(
      name = "load",
      mixinStandardHelpOptions = true,
      description = {
        "Runs a load tool against a running server: replay, bench, late, events, overload or"
            + " mqtt (`load TOOL --help` prints the tool's options). The tools are a jar of their"
            + " own, density-load.jar, so that this one holds the server only; it is looked for"
            + " beside this jar (DENSITY_LOAD_JAR names another), started in a JVM of its own, and"
            + " its exit status is this command's: 0 done, 1 failed requests, 2 a wrong tool line."
      })
  static final class Load implements Callable<Integer> {
    @Parameters(
        arity = "1..*",
        paramLabel = "TOOL [OPTIONS]",
        description = "the tool and its options, passed on as they are")
    List<String> tool;

    @Override
    public Integer call() {
      Path jar = loadJar();
      if (!Files.isRegularFile(jar)) {
        System.err.println(
            "load: the load tools are not at "
                + jar
                + "; `mvn package` builds target/density-load.jar beside target/density.jar, and"
                + " DENSITY_LOAD_JAR names it when it is elsewhere");
        return 1;
      }
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-jar");
      command.add(jar.toString());
      command.addAll(tool);
      try {
        return new ProcessBuilder(command).inheritIO().start().waitFor();
      } catch (IOException e) {
        System.err.println("load: cannot start " + jar + ": " + e.getMessage());
        return 1;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 1;
      }
    }

    /** DENSITY_LOAD_JAR, else density-load.jar in the directory of this jar (or of its classes). */
    private static Path loadJar() {
      String named = System.getenv("DENSITY_LOAD_JAR");
      if (named != null && !named.isBlank()) {
        return Path.of(named);
      }
      try {
        Path here = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return here.toAbsolutePath().getParent().resolve("density-load.jar");
      } catch (URISyntaxException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** The configuration, read once; log lines take their format from it before anything logs. */
  private static DensityConfig configured() {
    DensityConfig config = DensityConfig.load(System.getenv());
    LogLines.install(config.logging());
    return config;
  }

  private static int dev() {
    Vertx vertx = Vertx.vertx();
    try {
      configured();
      DensityConfig config = DevMode.config(System.getenv(), () -> shutDown(vertx));
      System.out.println(
          Server.deploy(vertx, config).compose(v -> DevMode.welcome(vertx, config)).await());
      running = true;
      return 0;
    } catch (Throwable e) {
      System.err.println("Density failed to start: " + explain(e));
      return 1;
    }
  }

  private static int replay(JsonObject window) {
    Vertx vertx = Vertx.vertx();
    try {
      vertx
          .eventBus()
          .<JsonObject>localConsumer(
              Addresses.REPLAY_PROGRESS, m -> System.err.println(progressLine(m.body())));
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
      return 0;
    } catch (Throwable e) {
      System.err.println("replay failed: " + explain(e));
      return 1;
    }
  }

  /** A replay's progress ({@link Addresses#REPLAY_PROGRESS}) as a line for people. */
  static String progressLine(JsonObject p) {
    String seconds = String.format(Locale.ROOT, "%.1f s", p.getLong("elapsed_ms") / 1000.0);
    String step =
        switch (p.getString("state")) {
          case "waiting" -> "waiting for the ingest pipeline to drain";
          case "attributing" -> "attributing the datapoints again";
          case "recounting" -> {
            int total = p.getInteger("spaces_total");
            int done = p.getInteger("spaces_recounted");
            yield String.format(
                Locale.ROOT,
                "%,d of %,d spaces recounted (%d%%)",
                done,
                total,
                total == 0 ? 100 : done * 100L / total);
          }
          case "reloading" -> "reloading the realtime state";
          case "done" ->
              String.format(
                  Locale.ROOT, "done, %,d spaces recounted", p.getInteger("spaces_recounted"));
          default -> p.getString("state") + ": " + p.getString("error");
        };
    return "replay " + p.getString("id") + ": " + step + " [" + seconds + "]";
  }

  private static int token(JsonObject request) {
    Vertx vertx = Vertx.vertx();
    try {
      DensityConfig config = configured();
      Pool pool = Connections.postgres(vertx, config.postgres());
      JsonObject token =
          Schema.apply(vertx, config.postgres())
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
      return 0;
    } catch (Throwable e) {
      System.err.println("token create failed: " + explain(e));
      return 1;
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

  private static int serve() {
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
      running = true;
      return 0;
    } catch (Throwable e) {
      System.err.println("Density failed to start: " + explain(e));
      return 1;
    }
  }
}
