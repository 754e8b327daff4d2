package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.Await;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("API tokens: every route needs a Bearer token with the right scope")
class AuthTest {
  private static final String DATAPOINT =
      new JsonObject()
          .put("timestamp", "2024-05-06T10:00:00Z")
          .put("direction", 1)
          .put("dpu_id", "283")
          .encode();

  /** One request of every route group, and the scope it needs. */
  private record Route(String method, String path, String body, String scope) {}

  private static final List<Route> ROUTES =
      List.of(
          new Route("POST", "/send", DATAPOINT, "ingest"),
          new Route("POST", "/v1/datapoints", "[" + DATAPOINT + "]", "ingest"),
          new Route("GET", "/?space=A", null, "read"),
          new Route("GET", "/count?space=A", null, "read"),
          new Route("GET", "/v1/spaces/A/count", null, "read"),
          new Route("GET", "/v1/dpus/283", null, "read"),
          new Route("GET", "/v1/spaces", null, "read"),
          new Route("GET", "/v1/links", null, "read"),
          new Route("GET", "/v1/spaces/A/resets", null, "read"),
          new Route("GET", "/v1/alerts", null, "read"),
          new Route("PUT", "/v1/spaces/Z", "{\"name\":\"Z\"}", "admin"),
          new Route("POST", "/v1/bulk/spaces", "[{\"id\":\"Y\"}]", "admin"),
          new Route(
              "POST",
              "/v1/spaces/A/resets",
              "{\"timestamp\":\"2024-05-06T00:00:00Z\",\"count\":0}",
              "admin"),
          new Route("POST", "/v1/admin/rebuild", "{}", "admin"),
          new Route("PUT", "/v1/webhooks/w", "{\"url\":\"http://127.0.0.1:9/\"}", "admin"),
          new Route("GET", "/v1/tokens", null, "admin"),
          new Route("POST", "/v1/tokens", "{\"scope\":\"nothing\"}", "admin"),
          new Route("DELETE", "/v1/tokens/999999", null, "admin"));

  private final List<TestServer> nodes = new ArrayList<>();

  @BeforeEach
  void start() {
    TestServer first = new TestServer().clustered("density-auth-" + UUID.randomUUID()).start();
    nodes.add(first);
    first.provisionSeedBuilding();
  }

  @AfterEach
  void stop() {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
  }

  private static void assertError(int status, Reply reply, String what) {
    assertEquals(status, reply.status(), what + ": " + reply.json());
    assertEquals("error", reply.json().getString("status"), what);
    assertTrue(reply.json().getString("error").length() > 10, what);
  }

  @Test
  @DisplayName("401 without a token or with an unknown one, 403 without the scope, on every route")
  void everyRouteGroup() {
    TestServer server = nodes.get(0);
    Map<String, String> tokens =
        Map.of(
            "ingest", server.createToken("ingest"),
            "read", server.createToken("read"),
            "admin", server.createToken("admin"));
    for (Route r : ROUTES) {
      String what = r.method + " " + r.path;
      assertError(401, server.sendAs(null, r.method, r.path, r.body), what + " without a token");
      assertError(
          401,
          server.sendAs("Bearer dens_not-a-token", r.method, r.path, r.body),
          what + " with an unknown token");
      assertError(
          401, server.sendAs("Basic YTpi", r.method, r.path, r.body), what + " with Basic auth");
      for (Map.Entry<String, String> token : tokens.entrySet()) {
        Reply reply = server.sendAs("Bearer " + token.getValue(), r.method, r.path, r.body);
        boolean granted = token.getKey().equals("admin") || token.getKey().equals(r.scope);
        if (granted) {
          assertFalse(
              reply.status() == 401 || reply.status() == 403,
              what + " with " + token.getKey() + ": " + reply);
        } else {
          assertError(403, reply, what + " with " + token.getKey());
        }
      }
    }
    // Nothing was counted from the refused requests: only the ingest and admin tokens' sends.
    assertEquals(1, server.countRows("datapoint"));
    assertEquals(200, server.sendAs(null, "GET", "/health", null).status());
    assertEquals(200, server.sendAs(null, "GET", "/openapi.json", null).status());
  }

  @Test
  @DisplayName("the dashboard's static files need no token; the API it reads still does")
  void dashboardFilesAreOpen() throws Exception {
    TestServer server = nodes.get(0);
    java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + server.config.http().port();
    for (String path :
        List.of("/ui/", "/ui/app.js", "/ui/style.css", "/ui/lib/1.6.30/dist/uPlot.iife.min.js")) {
      java.net.http.HttpResponse<String> r =
          client.send(
              java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + path)).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), path);
      assertTrue(
          r.headers()
              .firstValue("Content-Security-Policy")
              .orElse("")
              .contains("default-src 'self'"),
          path + " is told to load nothing from elsewhere");
    }
    java.net.http.HttpResponse<String> bare =
        client.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/ui")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(302, bare.statusCode());
    assertEquals("/ui/", bare.headers().firstValue("Location").orElse(null));
    assertError(404, server.sendAs(null, "GET", "/ui/missing.js", null), "an unknown file");
    assertError(401, server.sendAs(null, "GET", "/uix", null), "a path that only starts with /ui");
    assertError(401, server.sendAs(null, "GET", "/v1/events", null), "the event stream");
    assertError(401, server.sendAs(null, "POST", "/ui/", "{}"), "a POST under /ui");
  }

  @Test
  @DisplayName("the API reference at /docs/ needs no token, like the document it renders")
  void apiReferenceIsOpen() throws Exception {
    TestServer server = nodes.get(0);
    java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + server.config.http().port();
    for (String path :
        List.of(
            "/docs/",
            "/docs/reference.js",
            "/docs/lib/5.35.0/swagger-ui-bundle.js",
            "/docs/lib/5.35.0/swagger-ui.css")) {
      java.net.http.HttpResponse<String> r =
          client.send(
              java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + path)).build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), path);
      assertTrue(
          r.headers()
              .firstValue("Content-Security-Policy")
              .orElse("")
              .startsWith("default-src 'none'; script-src 'self'; style-src 'self';"),
          path + " is told to run no inline code and load nothing from elsewhere");
    }
    java.net.http.HttpResponse<String> bare =
        client.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/docs")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(302, bare.statusCode());
    assertEquals("/docs/", bare.headers().firstValue("Location").orElse(null));
    assertError(404, server.sendAs(null, "GET", "/docs/missing.js", null), "an unknown file");
    assertError(401, server.sendAs(null, "GET", "/docsx", null), "a path that only starts so");
    assertError(401, server.sendAs(null, "POST", "/docs/", "{}"), "a POST under /docs");
  }

  @Test
  @DisplayName("tokens made through the API are stored as hashes, listed without secrets, expire")
  void tokensThroughTheApi() {
    TestServer server = nodes.get(0);
    Reply made =
        server.postJson("/v1/tokens", new JsonObject().put("scope", "read").put("name", "board"));
    assertEquals(201, made.status(), made.json().encode());
    String secret = made.json().getString("token");
    assertTrue(secret.startsWith("dens_") && secret.length() >= 5 + 43, secret);
    assertEquals(
        1,
        server
            .rows(
                "SELECT count(*) AS n FROM api_token WHERE hash = sha256(convert_to($1, 'UTF8'))",
                secret)
            .get(0)
            .getLong("n"));
    JsonArray listed = server.get("/v1/tokens").json().getJsonArray("tokens");
    JsonObject board = null;
    for (Object o : listed) {
      JsonObject t = (JsonObject) o;
      assertNull(t.getValue("token"), "no secret in the list");
      assertNull(t.getValue("hash"), "no hash in the list");
      if ("board".equals(t.getString("name"))) {
        board = t;
      }
    }
    assertEquals("read", board.getString("scope"));
    assertEquals(200, server.sendAs("Bearer " + secret, "GET", "/?space=A", null).status());

    Reply bad = server.postJson("/v1/tokens", new JsonObject().put("scope", "root"));
    assertError(422, bad, "an unknown scope");
    assertEquals("scope", bad.json().getString("field"));
    Reply past =
        server.postJson(
            "/v1/tokens",
            new JsonObject().put("scope", "read").put("expires_at", "2020-01-01T00:00:00Z"));
    assertError(422, past, "an expiry in the past");

    Reply brief =
        server.postJson(
            "/v1/tokens",
            new JsonObject()
                .put("scope", "read")
                .put("expires_at", Instant.now().plusSeconds(2).toString()));
    String briefSecret = brief.json().getString("token");
    assertEquals(200, server.sendAs("Bearer " + briefSecret, "GET", "/?space=A", null).status());
    assertTrue(
        Await.until(
            () -> server.sendAs("Bearer " + briefSecret, "GET", "/?space=A", null).status() == 401,
            Duration.ofSeconds(5)),
        "an expired token stops working");
  }

  @Test
  @DisplayName("a token revoked on one node stops working on every node within a second")
  void revocationAcrossNodes() {
    TestServer first = nodes.get(0);
    TestServer second = first.node("query,registry,http").start();
    nodes.add(second);
    JsonObject made = first.postJson("/v1/tokens", new JsonObject().put("scope", "read")).json();
    String bearer = "Bearer " + made.getString("token");
    assertEquals(200, second.sendAs(bearer, "GET", "/?space=A", null).status());
    assertEquals(200, first.sendAs(bearer, "GET", "/?space=A", null).status());

    Reply revoked = first.sendAs(null, "DELETE", "/v1/tokens/" + made.getLong("id"), null);
    assertEquals(401, revoked.status(), "revoking needs a token too");
    assertEquals(200, first.send("/v1/tokens/" + made.getLong("id"), "DELETE", null, "").status());
    for (TestServer node : nodes) {
      assertTrue(
          Await.until(
              () -> node.sendAs(bearer, "GET", "/?space=A", null).status() == 401,
              Duration.ofSeconds(1)),
          "revoked within a second");
    }
    assertNotEquals(
        null,
        first.get("/v1/tokens").json().getJsonArray("tokens").stream()
            .map(JsonObject.class::cast)
            .filter(t -> t.getLong("id").equals(made.getLong("id")))
            .findFirst()
            .orElseThrow()
            .getString("revoked_at"));
  }

  @Test
  @DisplayName("token create on the command line prints a token that works, alone on its last line")
  void commandLine() throws Exception {
    TestServer server = nodes.get(0);
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-opens") || a.startsWith("--add-exports"))
        .forEach(command::add);
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            "io.density.Main",
            "token",
            "create",
            "--scope",
            "ingest",
            "--name",
            "gateway 7"));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("DENSITY_PG_URL", server.config.postgres().url());
    Process process = builder.start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      out.lines().forEach(lines::add);
    }
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, process.exitValue(), String.join("\n", lines));
    String secret = lines.get(lines.size() - 1);
    assertTrue(secret.startsWith("dens_"), secret);
    assertEquals(200, server.sendAs("Bearer " + secret, "POST", "/send", DATAPOINT).status());
    assertEquals(403, server.sendAs("Bearer " + secret, "GET", "/?space=A", null).status());

    Process usage =
        new ProcessBuilder(command.subList(0, command.size() - 4))
            .redirectErrorStream(true)
            .start();
    usage.getInputStream().readAllBytes();
    assertTrue(usage.waitFor(60, TimeUnit.SECONDS));
    assertEquals(2, usage.exitValue(), "token create without --scope is a usage error");
  }

  @Test
  @DisplayName("with auth off (a closed network) requests need no token")
  void authOff() {
    TestServer server = nodes.get(0);
    server.restartWith(server.config.with("auth", "enabled", false));
    assertEquals(200, server.sendAs(null, "GET", "/?space=A", null).status());
    assertEquals(200, server.sendAs(null, "POST", "/send", DATAPOINT).status());
  }
}
