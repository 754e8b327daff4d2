package io.density.support;

import com.hazelcast.config.Config;
import io.density.auth.Scope;
import io.density.auth.TokenRequest;
import io.density.auth.TokenStore;
import io.density.cluster.Clustering;
import io.density.config.DensityConfig;
import io.density.db.Connections;
import io.density.load.BuildingSimulator;
import io.density.node.Server;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A whole server for one test class: its own PostgreSQL database, its own Redis key prefix, its own
 * port. Talks to it as a client would (HTTP), and reads its tables and keys directly so tests can
 * check what was stored.
 */
public final class TestServer implements AutoCloseable {
  private final String database;
  private final Pool admin;
  public DensityConfig config;
  public final Pool sql;
  public final Redis redis;
  private final Vertx clientVertx;
  private Vertx serverVertx;
  private final HttpClient http = HttpClient.newHttpClient();
  private final boolean ownsDatabase;

  /** An admin token of this deployment, sent with every request of the helpers below. */
  private String token;

  public TestServer() {
    this(TestServices.get().postgresAdminUrl);
  }

  /**
   * A server on a database of its own in the PostgreSQL of that admin URL, and the tests' Redis.
   */
  public TestServer(String postgresAdminUrl) {
    TestServices services = TestServices.get();
    database = "density_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    clientVertx = Vertx.vertx();
    admin =
        Connections.postgres(
            clientVertx, new DensityConfig.Postgres(postgresAdminUrl, 1), "test-admin");
    admin.query("CREATE DATABASE " + database).execute().await();
    String url = postgresAdminUrl.substring(0, postgresAdminUrl.lastIndexOf('/') + 1) + database;
    config =
        DensityConfig.load(System.getenv())
            .with("postgres", "url", url)
            .with("redis", "url", services.redisUrl)
            .with("redis", "keyPrefix", database + ":")
            .with("http", "port", Ports.free())
            // The tests' webhook receivers listen on 127.0.0.1.
            .with("alerts", "webhookPrivateTargets", true)
            // No days stored behind a test's back; UtilizationSummariesTest turns the job on.
            .with("history", "utilizationSummaryMinutes", 0)
            // Stored counts final when a request is answered, as the tests read them; the tests of
            // corrections held (OutOfOrderWindowTest, BusyDoorwayTest, HeldCorrectionsKillTest)
            // hold them as a deployment does, and wait for them.
            .with("ingest", "correctionDelayMs", 0);
    sql = Connections.postgres(clientVertx, config.postgres(), "test");
    redis = Connections.redis(clientVertx, config.redis(), "test");
    ownsDatabase = true;
  }

  /** Another node of the same deployment: same database and Redis keys, its own port. */
  private TestServer(TestServer first, DensityConfig config) {
    database = first.database;
    admin = first.admin;
    clientVertx = first.clientVertx;
    sql = first.sql;
    redis = first.redis;
    this.config = config;
    ownsDatabase = false;
    token = first.token;
  }

  /**
   * Makes this server hold corrections of earlier rows as a deployment does ({@code
   * ingest.correctionDelayMs} at its default; the tests' servers write them at once), for the tests
   * whose subject they are: stored counts are then final once {@link #awaitCorrectionsWritten}
   * returns.
   */
  public TestServer holdingCorrections() {
    config =
        config.with(
            "ingest", "correctionDelayMs", DensityConfig.Ingest.DEFAULT_CORRECTION_DELAY_MS);
    return this;
  }

  /** Makes this server a node of a Hazelcast cluster on loopback with a name of its own. */
  public TestServer clustered(String clusterName) {
    config = config.with("cluster", "enabled", true).with("cluster", "name", clusterName);
    return this;
  }

  /** A further node of this one's deployment (and cluster), taking the given roles. */
  public TestServer node(String roles) {
    return new TestServer(this, config.withRoles(roles).with("http", "port", Ports.free()));
  }

  /** Starts the server; returns once its port is open. */
  public TestServer start() {
    return start(Clustering.vertx(config.cluster()).await());
  }

  /**
   * Starts the server as a node whose Hazelcast and event-bus settings are adjusted first (its
   * cluster traffic through proxies a test cuts, for example).
   */
  public TestServer start(Consumer<Config> hazelcast, Consumer<EventBusOptions> bus) {
    return start(Clustering.vertx(config.cluster(), hazelcast, bus).await());
  }

  private TestServer start(Vertx vertx) {
    serverVertx = vertx;
    Server.deploy(serverVertx, config).await();
    if (token == null) {
      token = createToken("admin");
    }
    return this;
  }

  /** Makes a token of the scope in this deployment's database, as the CLI would; its secret. */
  public String createToken(String scope) {
    return new TokenStore(sql)
        .create(new TokenRequest.Create(Scope.named(scope), "test " + scope, null))
        .await()
        .getString("token");
  }

  /** A request to this server carrying its admin token. */
  public HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + token);
  }

  /** A request with another Authorization header (null: none), for the tests of tokens. */
  public Reply sendAs(String authorization, String method, String path, String json) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri(path))
            .method(
                method,
                json == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) {
      request.header("Content-Type", "application/json");
    }
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return send(request.build());
  }

  /** The running server's Vert.x (to join its event bus as a consumer would). */
  public Vertx vertx() {
    return serverVertx;
  }

  /** Stops the server as a shutdown would: every verticle undeployed, connections closed. */
  public void stop() {
    if (serverVertx != null) {
      serverVertx.close().await();
      serverVertx = null;
    }
  }

  /** Starts again with another configuration (same database, Redis prefix and port). */
  public TestServer restartWith(DensityConfig changed) {
    stop();
    config = changed;
    return start();
  }

  public TestServer restart() {
    stop();
    return start();
  }

  // ---------------------------------------------------------------- HTTP

  public record Reply(int status, JsonObject json) {}

  public Reply get(String path) {
    return send(request(path).GET().build());
  }

  public Reply postJson(String path, Object body) {
    return send(path, "POST", "application/json", body instanceof String s ? s : encode(body));
  }

  /** One datapoint on the seed's {@code POST /send}. */
  public Reply sendDatapoint(String dpu, Instant timestamp, int direction) {
    return postJson(
        "/send",
        new JsonObject()
            .put("timestamp", timestamp.toString())
            .put("direction", direction)
            .put("dpu_id", dpu));
  }

  public Reply putJson(String path, JsonObject body) {
    return send(path, "PUT", "application/json", body.encode());
  }

  public Reply send(String path, String method, String contentType, String body) {
    HttpRequest.Builder request =
        request(path).method(method, HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    return send(request.build());
  }

  /** A JSON POST answered with its headers (for Retry-After and the like). */
  public HttpResponse<String> postWithHeaders(String path, String json) {
    try {
      return http.send(
          request(path)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(json))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * The sum of every sample of a series on {@code GET /metrics}, whatever its labels: {@code
   * density_reconciled_spaces_total}, or one labelled sample, {@code name{label="value"}}; 0 when
   * there is none.
   */
  public double metric(String series) {
    return series.contains("{")
        ? metric(series.substring(0, series.indexOf('{')), series.substring(series.indexOf('{')))
        : metric(series, null);
  }

  /**
   * The sum of the samples of metric {@code name} whose labels hold {@code label} ({@code
   * sink="mqtt"}, or a whole label set in braces; null: every sample); 0 when there is none.
   */
  public double metric(String name, String label) {
    HttpResponse<String> response;
    try {
      response = http.send(request("/metrics").GET().build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    if (response.statusCode() != 200) {
      throw new AssertionError("GET /metrics answered " + response.statusCode());
    }
    String text = response.body();
    Matcher m =
        Pattern.compile(
                "^" + Pattern.quote(name) + "(\\{[^}]*\\})? ([0-9.eE+-]+)$", Pattern.MULTILINE)
            .matcher(text);
    double sum = 0;
    while (m.find()) {
      String labels = m.group(1) == null ? "" : m.group(1);
      if (label == null || labels.contains(label)) {
        sum += Double.parseDouble(m.group(2));
      }
    }
    return sum;
  }

  /** Sends a request made with {@link #request} (its own timeout, say), expecting a JSON answer. */
  public Reply send(HttpRequest request) {
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      return new Reply(response.statusCode(), new JsonObject(response.body()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + config.http().port() + path);
  }

  private static String encode(Object body) {
    return body instanceof JsonObject o ? o.encode() : ((JsonArray) body).encode();
  }

  /** Creates the seed's sample building through the API. */
  public void provisionSeedBuilding() {
    provision(io.density.dev.SeedBuilding.provisioning());
  }

  /**
   * Creates the load tools' simulated building through the API, its links valid from {@code from},
   * and tells the contract of its links.
   */
  public void provisionSimulatedBuilding(ContractModel contract, Instant from) {
    provision(BuildingSimulator.provisioning(from));
    BuildingSimulator.LINKS.forEach(l -> contract.link(l.dpu(), l.space(), l.placement(), from));
  }

  /** Sends each request [method, path, body], expecting every one to succeed. */
  private void provision(List<Object[]> requests) {
    for (Object[] request : requests) {
      Reply reply =
          send(
              (String) request[1],
              (String) request[0],
              "application/json",
              ((JsonObject) request[2]).encode());
      if (reply.status() >= 300) {
        throw new IllegalStateException(request[1] + " → " + reply);
      }
    }
  }

  /** Sends datapoints as batches, expecting every one stored, and tells the contract of them. */
  public void feed(ContractModel contract, List<JsonObject> datapoints) {
    for (int from = 0; from < datapoints.size(); from += 10_000) {
      JsonArray batch = new JsonArray();
      datapoints.subList(from, Math.min(datapoints.size(), from + 10_000)).forEach(batch::add);
      Reply reply = postJson("/v1/datapoints", batch);
      if (reply.status() != 200 || reply.json().getInteger("rejected") != 0) {
        throw new IllegalStateException("feeding datapoints: " + reply);
      }
    }
    for (JsonObject d : datapoints) {
      contract.add(
          String.valueOf(d.getValue("dpu_id")),
          d.getString("timestamp"),
          Integer.parseInt(String.valueOf(d.getValue("direction"))));
    }
  }

  // ---------------------------------------------------------------- what was stored

  /**
   * Waits until every batch is closed: a batch stays open until the corrections its parts made to
   * earlier rows are written (they are held up to {@code ingest.correctionDelayMs}), so then every
   * stored count is final.
   */
  public void awaitCorrectionsWritten() {
    if (!Await.until(() -> countRows("uncounted_batch") == 0, Duration.ofSeconds(15))) {
      throw new IllegalStateException("batches still open 15 s after the last was answered");
    }
  }

  public long countRows(String table) {
    return sql.query("SELECT count(*) FROM " + table)
        .execute()
        .await()
        .iterator()
        .next()
        .getLong(0);
  }

  public List<Row> rows(String query, Object... params) {
    List<Row> out = new ArrayList<>();
    sql.preparedQuery(query).execute(Tuple.from(params)).await().forEach(out::add);
    return out;
  }

  /**
   * How many counting shards each writer of this deployment holds, fewest first, from PostgreSQL's
   * own record of the claims (one entry per connection holding any).
   */
  public List<Integer> shardsHeldByEach() {
    return rows(
            """
            SELECT count(*) AS shards FROM pg_locks
             WHERE locktype = 'advisory' AND classid = x'64656e73'::int::oid AND objsubid = 2
               AND objid >= 1000 AND granted
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
             GROUP BY pid ORDER BY 1
            """)
        .stream()
        .map(r -> r.getInteger("shards"))
        .toList();
  }

  /** Drops every realtime key of this server, as a Redis restart without persistence would. */
  public void flushRedis() {
    Response keys =
        redis.send(Request.cmd(Command.KEYS).arg(config.redis().keyPrefix() + "*")).await();
    if (keys.size() > 0) {
      Request del = Request.cmd(Command.DEL);
      keys.forEach(k -> del.arg(k.toString()));
      redis.send(del).await();
    }
  }

  @Override
  public void close() {
    stop();
    if (!ownsDatabase) {
      return;
    }
    flushRedis();
    sql.close().await();
    redis.close();
    admin.query("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)").execute().await();
    admin.close().await();
    clientVertx.close().await();
  }
}
