package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.bus.Addresses;
import io.density.support.Await;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Capacity alerts fire once per crossing, on the event bus and to webhooks")
class AlertsTest {
  private TestServer server;
  private Vertx receiverVertx;
  private HttpServer receiver;
  private final List<JsonObject> delivered = new CopyOnWriteArrayList<>();

  /** A delivery as received: its path, signature headers and the body's exact text. */
  private record Received(String path, String timestamp, String signature, String body) {}

  private final List<Received> received = new CopyOnWriteArrayList<>();

  /** Requests to /held wait here, unanswered, while holding is on. */
  private final List<HttpServerRequest> held = new CopyOnWriteArrayList<>();

  private volatile boolean holding;
  private final List<JsonObject> published = new CopyOnWriteArrayList<>();
  private Instant t = Instant.parse("2024-11-04T08:00:00Z");

  @BeforeEach
  void start() {
    TestServer fresh = new TestServer();
    fresh.config =
        fresh
            .config
            .with("alerts", "webhookAttempts", 2)
            .with("alerts", "webhookBackoffMs", 50)
            .with("alerts", "pauseAfterFailures", 2);
    server = fresh.start();
    server.provisionSeedBuilding();
    receiverVertx = Vertx.vertx();
    receiver =
        receiverVertx
            .createHttpServer()
            .requestHandler(
                req ->
                    req.body()
                        .onSuccess(
                            body -> {
                              if (req.path().equals("/broken")) {
                                req.response().setStatusCode(500).end();
                                return;
                              }
                              received.add(
                                  new Received(
                                      req.path(),
                                      req.getHeader("X-Density-Timestamp"),
                                      req.getHeader("X-Density-Signature"),
                                      body.toString(StandardCharsets.UTF_8)));
                              delivered.add(body.toJsonObject());
                              if (req.path().equals("/held") && holding) {
                                held.add(req);
                              } else {
                                req.response().setStatusCode(204).end();
                              }
                            }))
            .listen(0, "127.0.0.1")
            .await();
    server
        .vertx()
        .eventBus()
        .<JsonObject>consumer(Addresses.ALERT_EVENTS, m -> published.add(m.body()))
        .completion()
        .await();
  }

  @AfterEach
  void stop() {
    server.close();
    receiverVertx.close().await();
  }

  private void move(int direction, int times) {
    for (int i = 0; i < times; i++) {
      t = t.plusSeconds(60);
      assertEquals(200, server.sendDatapoint("283", t, direction).status());
    }
  }

  private static void await(BooleanSupplier condition, String what) {
    assertTrue(Await.until(condition, Duration.ofSeconds(10)), what);
  }

  /** What a receiver computes: sha256= and the hex HMAC-SHA256 of "timestamp.body". */
  private static String expectedSignature(String secret, String timestamp, String body)
      throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    byte[] digest = mac.doFinal((timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
    return "sha256=" + HexFormat.of().formatHex(digest);
  }

  /** Compared in constant time, as a receiver should. */
  private static boolean verifies(String secret, Received r) throws Exception {
    return MessageDigest.isEqual(
        expectedSignature(secret, r.timestamp(), r.body()).getBytes(StandardCharsets.US_ASCII),
        r.signature().getBytes(StandardCharsets.US_ASCII));
  }

  private void rules(String space, int hysteresis) {
    Reply rules =
        server.putJson(
            "/v1/spaces/" + space + "/alerts",
            new JsonObject()
                .put(
                    "levels",
                    new JsonArray()
                        .add(
                            new JsonObject()
                                .put("name", "full")
                                .put("level", "capacity")
                                .put("hysteresis", hysteresis)
                                .put("cooldown_seconds", 0))));
    assertEquals(200, rules.status(), rules.json().encode());
  }

  private JsonObject webhook(String id) {
    return server.get("/v1/webhooks").json().getJsonArray("items").stream()
        .map(w -> (JsonObject) w)
        .filter(w -> w.getString("id").equals(id))
        .findFirst()
        .orElseThrow();
  }

  @Test
  @DisplayName(
      "above capacity, then back below past the hysteresis: two alerts, two deliveries; a failing webhook pauses")
  void crossings() throws Exception {
    String base = "http://127.0.0.1:" + receiver.actualPort();
    assertEquals(
        200,
        server
            .putJson("/v1/spaces/A", new JsonObject().put("name", "Space A").put("capacity", 3))
            .status());
    Reply rules =
        server.putJson(
            "/v1/spaces/A/alerts",
            new JsonObject()
                .put(
                    "levels",
                    new JsonArray()
                        .add(
                            new JsonObject()
                                .put("name", "full")
                                .put("level", "capacity")
                                .put("hysteresis", 2)
                                .put("cooldown_seconds", 0))));
    assertEquals(200, rules.status(), rules.json().encode());
    Reply ops = server.putJson("/v1/webhooks/ops", new JsonObject().put("url", base + "/hook"));
    assertEquals(201, ops.status(), ops.json().encode());
    String secret = ops.json().getString("secret");
    assertNotNull(secret, "the secret is in the creation answer");
    assertTrue(secret.length() >= 43, "at least 256 bits: " + secret);
    assertFalse(
        server.get("/v1/webhooks").json().encode().contains(secret), "never listed afterwards");
    assertEquals(
        201,
        server
            .putJson("/v1/webhooks/broken", new JsonObject().put("url", base + "/broken"))
            .status());

    move(1, 4); // 4 people: above capacity 3
    move(-1, 1); // 3: not yet back below (hysteresis 2)
    move(1, 1); // 4 again: still above, no new alert
    move(-1, 2); // 2: back below

    await(() -> published.size() >= 2, "two alerts published");
    assertEquals(
        List.of("above", "below"), published.stream().map(a -> a.getString("kind")).toList());
    assertEquals(4, published.get(0).getInteger("count"));
    assertEquals(2, published.get(1).getInteger("count"));
    await(() -> delivered.size() >= 2, "two webhook deliveries");
    assertEquals(
        published.stream().map(a -> a.getLong("id")).toList(),
        delivered.stream().map(a -> a.getLong("id")).toList());
    assertEquals(2, server.get("/v1/alerts?space_id=A").json().getJsonArray("items").size());

    await(
        () ->
            server.get("/v1/webhooks").json().getJsonArray("items").stream()
                .anyMatch(
                    w ->
                        ((JsonObject) w).getString("id").equals("broken")
                            && ((JsonObject) w).getString("state").equals("paused")),
        "the failing webhook is paused");
    JsonObject broken =
        server.get("/v1/webhooks").json().getJsonArray("items").stream()
            .map(w -> (JsonObject) w)
            .filter(w -> w.getString("id").equals("broken"))
            .findFirst()
            .orElseThrow();
    assertEquals("HTTP 500", broken.getString("last_error"));
    assertEquals(2, delivered.size(), "no duplicate delivery");

    for (Received r : received) {
      assertNotNull(r.timestamp(), "X-Density-Timestamp");
      assertTrue(
          Math.abs(Long.parseLong(r.timestamp()) - Instant.now().getEpochSecond()) < 60,
          "a timestamp in Unix seconds, near now: " + r.timestamp());
      assertTrue(r.signature().startsWith("sha256="), r.signature());
      assertTrue(verifies(secret, r), "the receiver recomputes the signature with the secret");
      assertFalse(verifies(secret + "x", r), "another secret does not match");
      assertFalse(
          verifies(secret, new Received(r.path(), r.timestamp(), r.signature(), r.body() + " ")),
          "another body does not match");
      assertFalse(
          verifies(
              secret,
              new Received(
                  r.path(),
                  String.valueOf(Long.parseLong(r.timestamp()) + 1),
                  r.signature(),
                  r.body())),
          "another timestamp does not match");
    }

    // Replacing the webhook keeps its secret (and shows none); rotating shows a new one.
    Reply replaced =
        server.putJson("/v1/webhooks/ops", new JsonObject().put("url", base + "/hook"));
    assertEquals(200, replaced.status());
    assertNull(replaced.json().getString("secret"));
    Reply rotated =
        server.putJson(
            "/v1/webhooks/ops",
            new JsonObject().put("url", base + "/hook").put("rotate_secret", true));
    assertEquals(200, rotated.status());
    assertNotNull(rotated.json().getString("secret"));
    assertNotEquals(secret, rotated.json().getString("secret"));

    await(
        () -> server.metric("density_webhook_failures_total{reason=\"attempts_exhausted\"}") == 2.0,
        "both alerts to the broken webhook counted as failures");
    assertEquals(2.0, server.metric("density_webhook_delivered_total"));
    assertEquals(0.0, server.metric("density_webhook_failures_total{reason=\"refused_target\"}"));
  }

  @Test
  @DisplayName(
      "by default loopback and private targets are refused (422, nothing stored), also at delivery;"
          + " the allowance lets them through")
  void privateTargets() {
    String local = "http://127.0.0.1:" + receiver.actualPort() + "/hook";
    // The test server allows private targets (its receivers are on loopback).
    Reply allowed = server.putJson("/v1/webhooks/local", new JsonObject().put("url", local));
    assertEquals(201, allowed.status(), allowed.json().encode());

    server.restartWith(server.config.with("alerts", "webhookPrivateTargets", false));
    // The site's own network: refused, and the switch would open it.
    for (String url :
        List.of(
            local,
            "http://localhost:" + receiver.actualPort() + "/hook",
            "http://localhost.:" + receiver.actualPort() + "/hook",
            "http://api.localhost/",
            "http://127.8.9.10/",
            "http://[::1]:8080/",
            "http://[::ffff:127.0.0.1]/",
            "http://[64:ff9b::7f00:1]/",
            "http://[2002:7f00:1::]/",
            "https://10.1.2.3/hook",
            "http://172.16.0.1/",
            "http://192.168.1.20:8000/",
            "http://100.64.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fe80::1]/",
            "http://[fd12:3456::1]/")) {
      Reply refused = server.putJson("/v1/webhooks/private", new JsonObject().put("url", url));
      assertEquals(422, refused.status(), url + " → " + refused.json().encode());
      assertEquals("error", refused.json().getString("status"));
      assertEquals("url", refused.json().getString("field"), url);
      assertTrue(
          refused.json().getString("error").contains("webhookPrivateTargets"),
          refused.json().getString("error"));
    }
    // Never a target: the switch would not help.
    for (String url :
        List.of(
            "http://0.0.0.0:8080/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://198.18.0.1/",
            "https://203.0.113.10/h",
            "http://[2001:db8::1]/")) {
      Reply refused = server.putJson("/v1/webhooks/private", new JsonObject().put("url", url));
      assertEquals(422, refused.status(), url + " → " + refused.json().encode());
      assertEquals("url", refused.json().getString("field"), url);
      assertTrue(
          refused.json().getString("error").contains("no webhook may target one"),
          refused.json().getString("error"));
    }
    for (String url : List.of("ftp://203.0.113.10/", "file:///etc/passwd", "http:///nohost")) {
      assertEquals(
          "url",
          server
              .putJson("/v1/webhooks/private", new JsonObject().put("url", url))
              .json()
              .getString("field"),
          url);
    }
    assertEquals(1, server.countRows("webhook"), "nothing refused is stored");
    assertEquals(
        201,
        server
            .putJson(
                "/v1/webhooks/public",
                new JsonObject()
                    .put("url", "https://1.1.1.1/h")
                    .put("space_ids", new JsonArray().add("elsewhere")))
            .status(),
        "a public address is accepted");
    assertEquals(0.0, server.metric("density_webhook_failures_total{reason=\"refused_target\"}"));

    // The webhook stored while allowed is checked again when an alert is delivered: not sent.
    assertEquals(
        200,
        server
            .putJson("/v1/spaces/A", new JsonObject().put("name", "Space A").put("capacity", 1))
            .status());
    rules("A", 1);
    move(1, 2);
    await(
        () -> server.metric("density_webhook_failures_total{reason=\"refused_target\"}") >= 1.0,
        "the refused delivery is counted as a failure");
    // The failure is counted, then written to the webhook's row.
    await(() -> webhook("local").getString("last_error") != null, "the webhook says why");
    JsonObject hook = webhook("local");
    assertTrue(hook.getString("last_error").contains("loopback"), hook.encode());
    assertTrue(received.isEmpty(), "nothing was sent to the loopback receiver");
  }

  @Test
  @DisplayName(
      "hosts written as addresses in other forms are refused (422 on url, nothing stored), even"
          + " with private targets allowed; so are documentation, multicast and reserved addresses")
  void refusedForms() {
    // The test server allows private targets: none of these is a private target.
    for (String url :
        List.of(
            "http://0x7f000001/",
            "http://017700000001/",
            "http://127.1/",
            "http://2130706433/",
            "http://010.0.0.1/",
            "http://127.0.0.1./",
            "http://[::ffff:127.1]/",
            "http://[fe80::1%25eth0]/",
            "http://a_b.example.com/",
            "http://-bad.example.com/",
            "https://example.com:0/",
            "http://192.0.2.1/",
            "http://198.51.100.7/",
            "http://239.255.255.250/",
            "http://240.0.0.1/",
            "http://[ff02::1]/",
            "http://[3fff::1]/",
            "http://[100::1]/")) {
      Reply refused = server.putJson("/v1/webhooks/odd", new JsonObject().put("url", url));
      assertEquals(422, refused.status(), url + " → " + refused.json().encode());
      assertEquals("error", refused.json().getString("status"), url);
      assertEquals("url", refused.json().getString("field"), url);
      assertFalse(
          refused.json().getString("error").contains("webhookPrivateTargets"),
          url + ": the switch would not help: " + refused.json().getString("error"));
    }
    assertEquals(0, server.countRows("webhook"), "nothing refused is stored");
    Reply local =
        server.putJson(
            "/v1/webhooks/local",
            new JsonObject()
                .put("url", "http://localhost.:" + receiver.actualPort() + "/hook")
                .put("space_ids", new JsonArray().add("elsewhere")));
    assertEquals(201, local.status(), "the switch opens loopback names: " + local.json().encode());
  }

  @Test
  @DisplayName(
      "a URL stored before the rule refused it fails at delivery by the same rule, unsent,"
          + " even with private targets allowed")
  void storedBeforeTheRule() {
    int port = receiver.actualPort();
    // As an older release stored them: an address in hexadecimal, a benchmarking address.
    for (String[] hook :
        new String[][] {
          {"hex", "http://0x7f000001:" + port + "/hook"},
          {"benchmarking", "http://198.18.0.1:" + port + "/hook"}
        }) {
      server.rows(
          "INSERT INTO webhook (id, url, secret) VALUES ($1, $2, 'whsec_old') RETURNING id",
          hook[0],
          hook[1]);
    }
    assertEquals(
        200,
        server
            .putJson("/v1/spaces/A", new JsonObject().put("name", "Space A").put("capacity", 1))
            .status());
    rules("A", 1);
    move(1, 2);
    await(
        () -> server.metric("density_webhook_failures_total{reason=\"refused_target\"}") >= 2.0,
        "both deliveries refused");
    await(
        () ->
            webhook("hex").getString("last_error") != null
                && webhook("benchmarking").getString("last_error") != null,
        "each webhook says why");
    assertTrue(
        webhook("hex").getString("last_error").contains("0x7f000001 is an IPv4 address"),
        webhook("hex").encode());
    assertTrue(
        webhook("benchmarking").getString("last_error").contains("benchmarking"),
        webhook("benchmarking").encode());
    assertEquals(
        0.0, server.metric("density_webhook_failures_total{reason=\"attempts_exhausted\"}"));
    assertTrue(received.isEmpty(), "nothing was sent");
  }

  @Test
  @DisplayName(
      "a webhook's URL is whole to an admin token; a read token sees its userinfo and query"
          + " masked, and no delivery error quotes them")
  void maskedUrls() {
    server.restartWith(server.config.with("alerts", "webhookTimeoutMs", 300));
    String url = "http://hook:pa55w0rd@127.0.0.1:" + receiver.actualPort() + "/held?token=s3cret";
    Reply put = server.putJson("/v1/webhooks/held", new JsonObject().put("url", url));
    assertEquals(201, put.status(), put.json().encode());
    assertEquals(url, put.json().getString("url"), "the admin who registers it sees it whole");
    String read = "Bearer " + server.createToken("read");
    String masked = "http://***@127.0.0.1:" + receiver.actualPort() + "/held?***";

    Reply listed = server.sendAs(read, "GET", "/v1/webhooks", null);
    assertEquals(200, listed.status(), listed.json().encode());
    JsonObject seen = listed.json().getJsonArray("items").getJsonObject(0);
    assertEquals(masked, seen.getString("url"));
    assertEquals(url, webhook("held").getString("url"), "an admin token sees it whole");

    // A delivery that times out: the HTTP client's message quotes the request's path and query.
    holding = true;
    assertEquals(
        200,
        server
            .putJson("/v1/spaces/A", new JsonObject().put("name", "Space A").put("capacity", 1))
            .status());
    rules("A", 1);
    move(1, 2);
    await(() -> webhook("held").getString("last_error") != null, "the delivery failed");
    String error = webhook("held").getString("last_error");
    assertTrue(error.contains("/held?***"), "the message quoted the request: " + error);
    assertFalse(error.contains("s3cret"), error);
    assertFalse(error.contains("pa55w0rd"), error);
    String everything = server.sendAs(read, "GET", "/v1/webhooks", null).json().encode();
    assertFalse(everything.contains("s3cret"), everything);
    assertFalse(everything.contains("pa55w0rd"), everything);
  }

  @Test
  @DisplayName(
      "deliveries waiting beyond alerts.maxPendingDeliveries: the oldest is dropped, counted")
  void boundedQueue() {
    server.restartWith(server.config.with("alerts", "maxPendingDeliveries", 1));
    String base = "http://127.0.0.1:" + receiver.actualPort();
    assertEquals(
        200,
        server
            .putJson("/v1/spaces/A", new JsonObject().put("name", "Space A").put("capacity", 3))
            .status());
    rules("A", 2);
    holding = true;
    assertEquals(
        201,
        server.putJson("/v1/webhooks/held", new JsonObject().put("url", base + "/held")).status());

    move(1, 4); // above: delivered, held unanswered by the receiver
    await(() -> held.size() == 1, "the first delivery is in flight");
    move(-1, 2); // below: waits
    move(1, 2); // above again: waits, and the queue holds one, so "below" is dropped
    await(
        () -> server.metric("density_webhook_dropped_total") == 1.0,
        "the oldest waiting one is dropped");
    List<Long> fired =
        server.get("/v1/alerts?space_id=A").json().getJsonArray("items").stream()
            .map(a -> ((JsonObject) a).getLong("id"))
            .sorted()
            .toList();
    assertEquals(3, fired.size(), "every alert is still stored");

    holding = false;
    held.forEach(r -> r.response().setStatusCode(204).end());
    await(() -> delivered.size() == 2, "the first and the latest are delivered");
    assertEquals(
        List.of(fired.get(0), fired.get(2)), delivered.stream().map(a -> a.getLong("id")).toList());
    assertEquals(0.0, server.metric("density_webhook_pending_deliveries"));
  }

  @Test
  @DisplayName("bad rules and webhooks are refused naming the field")
  void badInput() {
    assertEquals(
        "levels",
        server
            .putJson("/v1/spaces/A/alerts", new JsonObject().put("levels", "high"))
            .json()
            .getString("field"));
    assertEquals(
        "level",
        server
            .putJson(
                "/v1/spaces/A/alerts",
                new JsonObject()
                    .put(
                        "levels",
                        new JsonArray().add(new JsonObject().put("name", "x").put("level", 0))))
            .json()
            .getString("field"));
    assertEquals(
        404,
        server
            .putJson("/v1/spaces/nowhere/alerts", new JsonObject().put("levels", new JsonArray()))
            .status());
    assertEquals(
        "url",
        server
            .putJson("/v1/webhooks/w", new JsonObject().put("url", "ftp://x"))
            .json()
            .getString("field"));
  }
}
