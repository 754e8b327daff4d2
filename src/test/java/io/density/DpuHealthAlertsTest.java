package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.bus.Addresses;
import io.density.support.Await;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Sensor-health alerts on one node: rules, flood by datapoint time, imbalance per day")
class DpuHealthAlertsTest {
  private TestServer server;
  private final List<JsonObject> published = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    TestServer fresh = new TestServer();
    fresh.config =
        fresh.config.with("alerts", "healthCheckMs", 100).with("alerts", "floodWindowSeconds", 5);
    server = fresh.start();
    server.provisionSeedBuilding();
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
  }

  private static void await(BooleanSupplier condition, String what) {
    assertTrue(Await.until(condition, Duration.ofSeconds(20)), what);
  }

  private static JsonObject rules(Object... kindsAndThresholds) {
    JsonArray rules = new JsonArray();
    for (int i = 0; i < kindsAndThresholds.length; i += 2) {
      rules.add(
          new JsonObject()
              .put("kind", kindsAndThresholds[i])
              .put("threshold", kindsAndThresholds[i + 1]));
    }
    return new JsonObject().put("rules", rules);
  }

  private List<JsonObject> alertsOf(String dpu) {
    List<JsonObject> items = new ArrayList<>();
    server
        .get("/v1/alerts?dpu_id=" + dpu)
        .json()
        .getJsonArray("items")
        .forEach(a -> items.add(0, (JsonObject) a)); // oldest first
    return items;
  }

  private Instant evaluatedAt(String dpu) {
    String at = server.get("/v1/dpus/" + dpu + "/alerts").json().getString("evaluated_at");
    return at == null ? Instant.EPOCH : Instant.parse(at);
  }

  /** Until an evaluation that started after this call has finished. */
  private void awaitEvaluationAfterNow(String dpu) {
    Instant now = Instant.now();
    await(() -> evaluatedAt(dpu).isAfter(now), "an evaluation after " + now);
  }

  private static JsonArray datapoints(String dpu, List<Instant> times, int direction) {
    JsonArray batch = new JsonArray();
    times.forEach(
        t ->
            batch.add(
                new JsonObject()
                    .put("dpu_id", dpu)
                    .put("timestamp", t.toString())
                    .put("direction", direction)));
    return batch;
  }

  private void send(JsonArray batch) {
    Reply reply = server.postJson("/v1/datapoints", batch);
    assertEquals(200, reply.status(), reply.json().encode());
    assertEquals(batch.size(), reply.json().getInteger("accepted"), reply.json().encode());
  }

  @Test
  @DisplayName(
      "a backlog flushed at once (old timestamps over hours) does not flood; a real flood fires once and clears once")
  void backlogDoesNotFloodButAFloodDoes() throws Exception {
    assertEquals(200, server.putJson("/v1/dpus/283/alerts", rules("flood", 60)).status());
    assertEquals(200, server.putJson("/v1/dpus/423/alerts", rules("flood", 60)).status());
    // Stream every alert as a client outside the cluster would.
    List<String> streamed = new CopyOnWriteArrayList<>();
    HttpResponse<InputStream> stream =
        HttpClient.newHttpClient()
            .send(
                server.request("/v1/events").GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader lines =
                  new BufferedReader(
                      new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
                String event = null;
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                  if (line.startsWith("event:")) {
                    event = line.substring(6).trim();
                  } else if (line.startsWith("data:") && "alert".equals(event)) {
                    streamed.add(line.substring(5).trim());
                  }
                }
              } catch (Exception closed) {
                // the test is over
              }
            });
    reader.setDaemon(true);
    reader.start();

    // 283's gateway was offline for three hours: 3,000 datapoints, sent in one request.
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    List<Instant> backlog = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      backlog.add(now.minus(Duration.ofHours(3)).plusMillis(i * 3_500L));
    }
    assertTrue(backlog.get(backlog.size() - 1).isBefore(now.minusSeconds(60)));
    send(datapoints("283", backlog, 1));
    // 423 floods now: 10 datapoints in the last second, more than 60 a minute over 5 s.
    Instant floodAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    List<Instant> flood = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      flood.add(floodAt.minusMillis(100L * i));
    }
    send(datapoints("423", flood, 1));

    await(() -> alertsOf("423").size() >= 1, "423's flood fired");
    JsonObject fired = alertsOf("423").get(0);
    assertEquals("flood", fired.getString("kind"));
    assertEquals("fired", fired.getString("state"));
    assertEquals("dpu", fired.getString("rule"));
    assertNull(fired.getValue("space_id"));
    assertEquals(60, fired.getInteger("threshold"));
    assertTrue(fired.getInteger("value") > 60, fired.encode());
    // Nothing more from 423: its window empties, and the flood clears.
    await(() -> alertsOf("423").size() >= 2, "423's flood cleared");
    awaitEvaluationAfterNow("423");
    awaitEvaluationAfterNow("423");
    List<JsonObject> of423 = alertsOf("423");
    assertEquals(
        List.of("fired", "cleared"), of423.stream().map(a -> a.getString("state")).toList());
    assertEquals(List.of(), alertsOf("283"), "the backlog flush fired nothing");

    // The same alerts on the bus and on the event stream, once each, in order.
    await(() -> published.size() >= 2 && streamed.size() >= 2, "bus and stream");
    List<Long> ids = of423.stream().map(a -> a.getLong("id")).toList();
    assertEquals(ids, published.stream().map(a -> a.getLong("id")).toList());
    assertEquals(ids, streamed.stream().map(s -> new JsonObject(s).getLong("id")).toList());
    assertEquals(of423.get(0), published.get(0));
    JsonObject state = server.get("/v1/dpus/423/alerts").json();
    assertEquals(false, state.getJsonArray("rules").getJsonObject(0).getBoolean("firing"));
    stream.body().close();
  }

  @Test
  @DisplayName(
      "a space's imbalance rule applies to each DPU linked to it, over the space's local day")
  void imbalanceOfASpace() {
    // B (Europe/Paris) is reached through doorway Z, where 423 hangs.
    assertEquals(
        200,
        server.putJson("/v1/spaces/B", new JsonObject().put("time_zone", "Europe/Paris")).status());
    Reply put = server.putJson("/v1/spaces/B/dpu-alerts", rules("imbalance", 3));
    assertEquals(200, put.status(), put.json().encode());
    JsonObject rule = put.json().getJsonArray("rules").getJsonObject(0);
    assertEquals("imbalance", rule.getString("kind"));
    assertEquals(
        List.of("423"),
        rule.getJsonArray("dpus").stream().map(d -> ((JsonObject) d).getString("dpu_id")).toList());

    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    List<Instant> in = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      in.add(now.minusMillis(10L * i));
    }
    // Yesterday's entries (Paris time) are another day's: they do not count.
    List<Instant> yesterday = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      yesterday.add(now.minus(Duration.ofDays(1)).minus(Duration.ofHours(1)).plusSeconds(i));
    }
    send(datapoints("423", yesterday, 1));
    send(datapoints("423", in.subList(0, 3), 1)); // |3| is not above 3
    awaitEvaluationAfterNow("423");
    assertEquals(List.of(), alertsOf("423"));
    send(datapoints("423", in.subList(3, 5), 1)); // 5 entries, no exit: above 3
    await(() -> alertsOf("423").size() >= 1, "imbalance fired");
    JsonObject fired = alertsOf("423").get(0);
    assertEquals("imbalance", fired.getString("kind"));
    assertEquals("space", fired.getString("rule"));
    assertEquals("B", fired.getString("space_id"));
    assertEquals(5, fired.getInteger("value"));
    assertEquals(1, server.get("/v1/alerts?space_id=B").json().getJsonArray("items").size());
    JsonObject ofDpu = server.get("/v1/dpus/423/alerts").json();
    assertEquals(0, ofDpu.getJsonArray("rules").size());
    assertEquals(true, ofDpu.getJsonArray("space_rules").getJsonObject(0).getBoolean("firing"));

    List<Instant> out = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      out.add(now.plusMillis(1 + i));
    }
    send(datapoints("423", out, -1)); // 5 - 3 = 2
    await(() -> alertsOf("423").size() >= 2, "imbalance cleared");
    awaitEvaluationAfterNow("423");
    List<JsonObject> alerts = alertsOf("423");
    assertEquals(
        List.of("fired", "cleared"), alerts.stream().map(a -> a.getString("state")).toList());
    assertEquals(2, alerts.get(1).getInteger("value"));
  }

  @Test
  @DisplayName("a DPU moved out of the rule's space clears its alert; its own rule goes on")
  void unlinkedDpuClears() {
    assertEquals(200, server.putJson("/v1/spaces/B/dpu-alerts", rules("imbalance", 1)).status());
    assertEquals(200, server.putJson("/v1/dpus/423/alerts", rules("imbalance", 1)).status());
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    send(datapoints("423", List.of(now.minusMillis(3), now.minusMillis(2)), 1));
    await(() -> alertsOf("423").size() >= 2, "both rules fired");
    assertEquals(
        List.of("dpu fired", "space fired"),
        alertsOf("423").stream()
            .map(a -> a.getString("rule") + " " + a.getString("state"))
            .sorted()
            .toList());

    // 423 goes to doorway W, which only A has: B's rule no longer applies to it.
    assertEquals(201, server.putJson("/v1/doorways/W", new JsonObject()).status());
    Reply moved =
        server.postJson(
            "/v1/dpus/423/move",
            new JsonObject()
                .put("doorway_id", "W")
                .put("at", now.toString())
                .put(
                    "links",
                    new JsonArray()
                        .add(new JsonObject().put("space_id", "A").put("sensor_placement", 1))));
    assertEquals(200, moved.status(), moved.json().encode());
    await(() -> alertsOf("423").size() >= 3, "B's rule cleared");
    awaitEvaluationAfterNow("423");
    List<JsonObject> alerts = alertsOf("423");
    assertEquals(3, alerts.size());
    JsonObject cleared = alerts.get(2);
    assertEquals("B", cleared.getString("space_id"));
    assertEquals("cleared", cleared.getString("state"));
    assertNull(cleared.getValue("value"));
    JsonObject state = server.get("/v1/dpus/423/alerts").json();
    assertEquals(true, state.getJsonArray("rules").getJsonObject(0).getBoolean("firing"));
    assertEquals(0, state.getJsonArray("space_rules").size());
  }

  @Test
  @DisplayName(
      "rules are checked: 422 (400 without rules) naming the field, 404 for an unknown DPU or space")
  void badRules() {
    Reply kind = server.putJson("/v1/dpus/283/alerts", rules("loud", 3));
    assertEquals(422, kind.status());
    assertEquals("kind", kind.json().getString("field"));
    Reply threshold = server.putJson("/v1/dpus/283/alerts", rules("silent", 0));
    assertEquals(422, threshold.status());
    assertEquals("threshold", threshold.json().getString("field"));
    Reply twice = server.putJson("/v1/spaces/A/dpu-alerts", rules("silent", 3, "silent", 4));
    assertEquals(422, twice.status());
    assertEquals("rules", twice.json().getString("field"));
    Reply missing = server.putJson("/v1/dpus/283/alerts", new JsonObject());
    assertEquals(400, missing.status(), "a required field missing is malformed");
    assertEquals("rules", missing.json().getString("field"));
    assertEquals(404, server.putJson("/v1/dpus/nobody/alerts", rules("silent", 3)).status());
    assertEquals(404, server.get("/v1/spaces/nowhere/dpu-alerts").status());
    Reply odd = server.get("/v1/alerts?dpu_id=%00");
    assertTrue(odd.status() == 400 || odd.status() == 422, odd.json().encode());
    assertEquals("dpu_id", odd.json().getString("field"));

    // A PUT replaces the rules: a kind left out goes, one that stays keeps its threshold updated.
    assertEquals(
        200, server.putJson("/v1/dpus/283/alerts", rules("silent", 30, "flood", 9)).status());
    JsonObject after = server.putJson("/v1/dpus/283/alerts", rules("flood", 12)).json();
    assertEquals(1, after.getJsonArray("rules").size());
    assertEquals(12, after.getJsonArray("rules").getJsonObject(0).getInteger("threshold"));
    assertEquals(1, server.countRows("dpu_alert_rule"));
  }
}
