package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.dev.SeedBuilding;
import io.density.support.Await;
import io.density.support.NodeProcess;
import io.density.support.Ports;
import io.density.support.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Sensor-health alerts in a cluster: the leader killed between firing and clearing")
class DpuHealthClusterTest {
  private TestServer database;
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final String cluster = "density-health-" + UUID.randomUUID();
  private Vertx receiverVertx;
  private HttpServer receiver;
  private final List<JsonObject> delivered = new CopyOnWriteArrayList<>();

  @BeforeEach
  void twoNodeProcesses() throws Exception {
    database = new TestServer(); // a database and Redis prefix of its own; the nodes are processes
    // One after the other: the first leads the alerts.
    for (int i = 0; i < 2; i++) {
      nodes.add(start("node-" + i));
    }
    String token = database.createToken("admin");
    nodes.forEach(n -> n.token(token));
    for (Object[] r : SeedBuilding.provisioning()) {
      assertTrue(
          nodes.get(1).send((String) r[0], (String) r[1], ((JsonObject) r[2]).encode()).statusCode()
              < 300);
    }
    receiverVertx = Vertx.vertx();
    receiver =
        receiverVertx
            .createHttpServer()
            .requestHandler(
                req ->
                    req.body()
                        .onSuccess(
                            body -> {
                              delivered.add(body.toJsonObject());
                              req.response().setStatusCode(204).end();
                            }))
            .listen(0, "127.0.0.1")
            .await();
  }

  @AfterEach
  void stop() throws Exception {
    for (NodeProcess n : nodes) {
      n.process.destroy();
      n.process.waitFor();
    }
    if (receiverVertx != null) {
      receiverVertx.close().await();
    }
    database.close();
  }

  private NodeProcess start(String name) throws IOException {
    return NodeProcess.startReady(
        database,
        Ports.free(),
        cluster + "-" + name, // the node's log, for a failed run
        Map.of(
            "DENSITY_CLUSTER", "true",
            "DENSITY_CLUSTER_NAME", cluster,
            "DENSITY_HEALTH_CHECK_MS", "200",
            "DENSITY_FLOOD_WINDOW_SECONDS", "20",
            "DENSITY_WEBHOOK_PRIVATE_TARGETS", "on"));
  }

  private static void await(BooleanSupplier condition, Duration deadline, String what) {
    assertTrue(Await.until(condition, deadline), what);
  }

  private JsonObject get(NodeProcess node, String path) {
    try {
      HttpResponse<String> r = node.send("GET", path, null);
      assertEquals(200, r.statusCode(), path + ": " + r.body());
      return new JsonObject(r.body());
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  private void send(NodeProcess node, String method, String path, Object body) throws Exception {
    HttpResponse<String> r =
        node.send(
            method, path, body instanceof JsonObject o ? o.encode() : ((JsonArray) body).encode());
    assertTrue(r.statusCode() < 300, method + " " + path + ": " + r.body());
  }

  /**
   * Datapoints sent until acknowledged (at most 60 s): right after a kill the survivor may still be
   * taking the inserting and counting over, and a repeat is never counted twice.
   */
  private void sendUntilStored(NodeProcess node, JsonArray batch) {
    assertTrue(
        Await.until(
            () -> {
              try {
                return node.send("POST", "/v1/datapoints", batch.encode()).statusCode() == 200;
              } catch (IOException notYet) {
                return false;
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
              }
            },
            Duration.ofSeconds(60)),
        "datapoints acknowledged by the survivor");
  }

  private static JsonObject rule(String kind, int threshold) {
    return new JsonObject()
        .put(
            "rules",
            new JsonArray().add(new JsonObject().put("kind", kind).put("threshold", threshold)));
  }

  private static JsonArray datapoints(String dpu, int direction, Instant... times) {
    JsonArray batch = new JsonArray();
    for (Instant t : times) {
      batch.add(
          new JsonObject()
              .put("dpu_id", dpu)
              .put("timestamp", t.toString())
              .put("direction", direction));
    }
    return batch;
  }

  /** Every DPU alert stored, oldest first, as the surviving node lists them. */
  private List<JsonObject> alerts() {
    List<JsonObject> items = new ArrayList<>();
    get(nodes.get(1), "/v1/alerts?limit=1000")
        .getJsonArray("items")
        .forEach(a -> items.add(0, (JsonObject) a));
    return items;
  }

  private List<String> of(String dpu) {
    return alerts().stream()
        .filter(a -> dpu.equals(a.getString("dpu_id")))
        .map(a -> a.getString("kind") + " " + a.getString("state"))
        .toList();
  }

  @Test
  @DisplayName(
      "silent, flood and imbalance each fire once before the kill and clear once after, no duplicate, none lost")
  void leaderKilledBetweenFiringAndClearing() throws Exception {
    NodeProcess leader = nodes.get(0);
    NodeProcess survivor = nodes.get(1);
    assertTrue(
        Files.readString(Path.of("target", cluster + "-node-0.log")).contains("leading: alerts"),
        "the first node leads the alerts");
    send(
        survivor,
        "PUT",
        "/v1/webhooks/ops",
        new JsonObject().put("url", "http://127.0.0.1:" + receiver.actualPort() + "/hook"));
    // quiet-1 is installed but never reports: silent after a minute.
    send(survivor, "PUT", "/v1/dpus/quiet-1", new JsonObject().put("name", "over the back door"));
    send(survivor, "PUT", "/v1/dpus/quiet-1/alerts", rule("silent", 1));
    send(survivor, "PUT", "/v1/dpus/283/alerts", rule("flood", 60));
    send(survivor, "PUT", "/v1/spaces/B/dpu-alerts", rule("imbalance", 3));

    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    send(
        survivor,
        "POST",
        "/v1/datapoints",
        datapoints(
            "423",
            1,
            now.minusMillis(1),
            now.minusMillis(2),
            now.minusMillis(3),
            now.minusMillis(4),
            now.minusMillis(5)));
    await(() -> of("423").size() >= 1, Duration.ofSeconds(20), "imbalance fired");
    await(() -> of("quiet-1").size() >= 1, Duration.ofSeconds(90), "silent fired");
    // 283 floods: 40 datapoints in the last second, 120 a minute over the 20 s window, which
    // keeps the flood on until after the kill.
    Instant flood = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    List<Instant> burst = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      burst.add(flood.minusMillis(20L * i));
    }
    send(survivor, "POST", "/v1/datapoints", datapoints("283", 1, burst.toArray(Instant[]::new)));
    await(() -> of("283").size() >= 1, Duration.ofSeconds(5), "flood fired");
    await(() -> delivered.size() >= 3, Duration.ofSeconds(5), "the fired alerts delivered");
    assertEquals(List.of("silent fired"), of("quiet-1"));
    assertEquals(List.of("imbalance fired"), of("423"));
    assertEquals(List.of("flood fired"), of("283"));

    leader.process.destroyForcibly(); // SIGKILL: the alerts leader goes
    leader.process.waitFor();
    // While no one leads: 423 sees three exits (5 - 3 = 2), quiet-1 reports.
    Instant later = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    sendUntilStored(
        survivor, datapoints("423", -1, later, later.minusMillis(1), later.minusMillis(2)));
    sendUntilStored(survivor, datapoints("quiet-1", 1, later));

    await(
        () -> of("283").size() >= 2 && of("423").size() >= 2 && of("quiet-1").size() >= 2,
        Duration.ofSeconds(60),
        "every alert cleared by the new leader");
    assertTrue(
        Files.readString(Path.of("target", cluster + "-node-1.log")).contains("leading: alerts"),
        "the survivor took the alerts over");
    // Some evaluations later, still nothing more.
    Instant cleared = Instant.now();
    await(
        () -> {
          String at = get(survivor, "/v1/dpus/283/alerts").getString("evaluated_at");
          return at != null && Instant.parse(at).isAfter(cleared.plusSeconds(1));
        },
        Duration.ofSeconds(20),
        "evaluations after the clears");
    assertEquals(List.of("flood fired", "flood cleared"), of("283"));
    assertEquals(List.of("imbalance fired", "imbalance cleared"), of("423"));
    assertEquals(List.of("silent fired", "silent cleared"), of("quiet-1"));
    assertEquals(6, alerts().size());
    assertEquals(
        "B",
        alerts().stream()
            .filter(a -> "423".equals(a.getString("dpu_id")))
            .findFirst()
            .orElseThrow()
            .getString("space_id"));

    // Each alert delivered once to the webhook, whichever node fired it.
    await(() -> delivered.size() >= 6, Duration.ofSeconds(20), "every alert delivered");
    assertEquals(
        alerts().stream().map(a -> a.getLong("id")).sorted().toList(),
        delivered.stream().map(a -> a.getLong("id")).sorted().toList());
    JsonObject quiet = get(survivor, "/v1/dpus/quiet-1/alerts");
    assertEquals(false, quiet.getJsonArray("rules").getJsonObject(0).getBoolean("firing"));
  }
}
