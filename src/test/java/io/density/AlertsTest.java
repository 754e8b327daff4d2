package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.Await;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
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
                              } else {
                                delivered.add(body.toJsonObject());
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
      Reply r =
          server.postJson(
              "/send",
              new JsonObject()
                  .put("timestamp", t.toString())
                  .put("direction", direction)
                  .put("dpu_id", "283"));
      assertEquals(200, r.status());
    }
  }

  private static void await(BooleanSupplier condition, String what) {
    assertTrue(Await.until(condition, Duration.ofSeconds(10)), what);
  }

  @Test
  @DisplayName(
      "above capacity, then back below past the hysteresis: two alerts, two deliveries; a failing webhook pauses")
  void crossings() {
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
    assertEquals(
        201,
        server.putJson("/v1/webhooks/ops", new JsonObject().put("url", base + "/hook")).status());
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
