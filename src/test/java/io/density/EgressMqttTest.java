package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.config.DensityConfig;
import io.density.egress.TopicIds;
import io.density.support.Await;
import io.density.support.MqttWatcher;
import io.density.support.TcpProxy;
import io.density.support.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Egress to MQTT through the real Mosquitto on 127.0.0.1:1883, each test under a topic prefix of
 * its own (its retained messages cleared at the end): a consumer that subscribes late gets the
 * current count of every space at once, then each change with a growing seq.
 */
@DisplayName("Egress: the count of every space, retained on MQTT")
class EgressMqttTest {
  /** Ids that MQTT topics (and NATS subjects) give meaning to. */
  static final List<String> SPACES =
      List.of("A", "lobby/east", "c+d", "floor.2", "room 101", "g*h", "i>j");

  private static final Instant T0 = Instant.parse("2025-03-03T08:00:00Z");

  private final String prefix = "density-test/" + UUID.randomUUID();
  private TestServer server;
  private MqttWatcher watcher;
  private MqttWatcher alerts;

  @BeforeEach
  void start() {
    server = new TestServer();
    server.config =
        server.config.with(
            "egress",
            "mqtt",
            new JsonObject()
                .put("enabled", true)
                .put("url", "mqtt://127.0.0.1:1883")
                .put("clientId", "egress-" + UUID.randomUUID())
                .put("topicPrefix", prefix));
    server.start();
    provision(server);
  }

  @AfterEach
  void stop() {
    if (watcher != null) {
      watcher.clearRetained();
      watcher.close();
    }
    if (alerts != null) {
      alerts.close();
    }
    server.close();
  }

  /** One DPU per space (its id the space's with "dpu-" before), links valid from T0 - 1 day. */
  /** The configuration with the MQTT egress publishing through the proxy. */
  private static DensityConfig throughProxy(DensityConfig config, TcpProxy proxy) {
    return config.with(
        "egress",
        "mqtt",
        JsonObject.mapFrom(config.egress().mqtt()).put("url", "mqtt://127.0.0.1:" + proxy.port()));
  }

  static void provision(TestServer server) {
    server.putJson("/v1/doorways/door", new JsonObject().put("name", "a door"));
    for (String space : SPACES) {
      String id = URLEncoder.encode(space, StandardCharsets.UTF_8).replace("+", "%20");
      expectOk(server.putJson("/v1/spaces/" + id, new JsonObject().put("name", space)));
      expectOk(
          server.putJson(
              "/v1/dpus/"
                  + URLEncoder.encode("dpu-" + space, StandardCharsets.UTF_8).replace("+", "%20"),
              new JsonObject().put("name", space)));
      expectOk(
          server.postJson(
              "/v1/links",
              new JsonObject()
                  .put("dpu_id", "dpu-" + space)
                  .put("doorway_id", "door")
                  .put("space_id", space)
                  .put("sensor_placement", 1)
                  .put("valid_from", T0.minus(Duration.ofDays(1)).toString())));
    }
  }

  private static void expectOk(TestServer.Reply reply) {
    assertTrue(reply.status() < 300, reply.toString());
  }

  /** {@code n} datapoints into (or out of) each space, from an instant on, a second apart. */
  static JsonArray datapoints(Instant from, int n, int direction) {
    JsonArray batch = new JsonArray();
    for (int i = 0; i < n; i++) {
      for (String space : SPACES) {
        batch.add(
            new JsonObject()
                .put("dpu_id", "dpu-" + space)
                .put("timestamp", from.plusSeconds(i).toString())
                .put("direction", direction));
      }
    }
    return batch;
  }

  static Map<String, Integer> realtime(TestServer server) {
    Map<String, Integer> counts = new HashMap<>();
    for (String space : SPACES) {
      String id = URLEncoder.encode(space, StandardCharsets.UTF_8).replace("+", "%20");
      counts.put(space, server.get("/v1/spaces/" + id + "/count").json().getInteger("count"));
    }
    return counts;
  }

  private String topic(String space) {
    return prefix + "/spaces/" + TopicIds.encode(space) + "/count";
  }

  /** Whether the last message of every space carries its realtime count. */
  static boolean converged(MqttWatcher watcher, String prefix, Map<String, Integer> realtime) {
    Map<String, MqttWatcher.Received> last = watcher.last();
    for (var e : realtime.entrySet()) {
      MqttWatcher.Received r =
          last.get(prefix + "/spaces/" + TopicIds.encode(e.getKey()) + "/count");
      if (r == null || r.body().getInteger("count").intValue() != e.getValue()) {
        return false;
      }
    }
    return true;
  }

  @Test
  @DisplayName(
      "a consumer that subscribes after the data gets each space's count retained, then live"
          + " changes with growing seq")
  void retainedThenLive() {
    assertEquals(200, server.postJson("/v1/datapoints", datapoints(T0, 5, 1)).status());
    assertEquals(
        200, server.postJson("/v1/datapoints", datapoints(T0.plusSeconds(60), 2, -1)).status());
    Map<String, Integer> expected = realtime(server);
    SPACES.forEach(s -> assertEquals(3, expected.get(s), s + " counted"));
    // Published (retained) before anyone listens.
    assertTrue(
        Await.until(
            () -> server.rows("SELECT 1 FROM egress_outbox").isEmpty() || allTaken(server),
            Duration.ofSeconds(20)),
        "the outbox is published");

    watcher = new MqttWatcher(prefix + "/spaces/+/count");
    assertTrue(
        Await.until(() -> converged(watcher, prefix, expected), Duration.ofSeconds(20)),
        "each space's current count, at once: " + watcher.last());
    for (String space : SPACES) {
      MqttWatcher.Received r = watcher.last().get(topic(space));
      assertTrue(r.retained(), space + "'s count comes retained");
      assertEquals(space, r.body().getString("space_id"), "the id itself is in the body");
      assertEquals(T0.plusSeconds(61).toString(), r.body().getString("timestamp"));
      assertEquals("datapoint", r.body().getString("cause"));
    }
    long seqBefore = watcher.last().get(topic("lobby/east")).body().getLong("seq");
    // A space alert when lobby/east reaches its capacity of 4, on its own topic, not retained.
    String lobby = URLEncoder.encode("lobby/east", StandardCharsets.UTF_8);
    expectOk(
        server.putJson(
            "/v1/spaces/" + lobby, new JsonObject().put("name", "lobby").put("capacity", 4)));
    expectOk(
        server.putJson(
            "/v1/spaces/" + lobby + "/alerts",
            new JsonObject()
                .put(
                    "levels",
                    new JsonArray()
                        .add(
                            new JsonObject()
                                .put("name", "full")
                                .put("level", "capacity")
                                .put("cooldown_seconds", 0)))));
    alerts = new MqttWatcher(prefix + "/alerts/#");

    // Live: two more entries into each space, one request each.
    for (int i = 0; i < 2; i++) {
      assertEquals(
          200,
          server.postJson("/v1/datapoints", datapoints(T0.plusSeconds(120 + i), 1, 1)).status());
    }
    Map<String, Integer> now = realtime(server);
    assertTrue(
        Await.until(() -> converged(watcher, prefix, now), Duration.ofSeconds(20)),
        "the live changes: " + watcher.last());
    for (String space : SPACES) {
      long previous = -1;
      for (MqttWatcher.Received r : watcher.received()) {
        if (r.topic().equals(topic(space))) {
          long seq = r.body().getLong("seq");
          assertTrue(seq > previous, space + ": seq grows, " + seq + " after " + previous);
          previous = seq;
        }
      }
      assertEquals(5, now.get(space));
    }
    assertTrue(
        watcher.last().get(topic("lobby/east")).body().getLong("seq") >= seqBefore + 2,
        "each change has its own seq");
    String alertTopic = prefix + "/alerts/spaces/" + TopicIds.encode("lobby/east");
    assertTrue(
        Await.until(() -> alerts.last().containsKey(alertTopic), Duration.ofSeconds(20)),
        "the capacity alert: " + alerts.received());
    MqttWatcher.Received alert = alerts.last().get(alertTopic);
    assertEquals("lobby/east", alert.body().getString("space_id"));
    assertEquals("above", alert.body().getString("kind"));
    // The rule is loaded by the alerts leader a moment after it is set: at the count of 4 or 5.
    assertTrue(alert.body().getInteger("count") >= 4, alert.toString());
    assertTrue(!alert.retained(), "alerts are not retained");
    // Every message is one of the documented schemas.
    for (MqttWatcher.Received r : watcher.received()) {
      assertSchema("Count", r.body());
    }
    for (MqttWatcher.Received r : alerts.received()) {
      assertSchema("SpaceAlert", r.body());
    }
    JsonObject withoutSeq = watcher.last().get(topic("A")).body().copy();
    withoutSeq.remove("seq");
    assertThrows(AssertionError.class, () -> assertSchema("Count", withoutSeq), "checked");
    assertTrue(alert.body().getLong("seq") > seqBefore, "alerts share the space's seq");
  }

  @Test
  @DisplayName(
      "the line to the broker cut for 20 s during ingest, a reset and a back-dated move meanwhile:"
          + " once it heals, the last message of each space is its realtime count")
  void lineCut() throws Exception {
    try (TcpProxy proxy = new TcpProxy("127.0.0.1", 1883)) {
      server.restartWith(throughProxy(server.config, proxy));
      watcher = new MqttWatcher(prefix + "/spaces/+/count");
      ingestThroughCut(
          server,
          proxy,
          ready -> {
            JsonObject mqtt = egressDetail(ready).getJsonObject("mqtt");
            assertEquals(false, mqtt.getBoolean("ok"), ready.encode());
            // Measured every 5 s: the changes of the cut wait, as the detail and the metrics say.
            assertTrue(mqtt.getLong("backlog") > 0, ready.encode());
            assertTrue(
                server.metric("density_egress_backlog", "sink=\"mqtt\"") > 0, "backlog metric");
            assertTrue(
                server.metric("density_egress_lag_seconds", "sink=\"mqtt\"") > 0, "lag metric");
          });
      Map<String, Integer> expected = realtime(server);
      assertTrue(
          Await.until(() -> converged(watcher, prefix, expected), Duration.ofSeconds(30)),
          "every space's last message is its realtime count " + expected + ": " + watcher.last());
      assertSeqNeverGoesBack(watcher);
    }
  }

  @Test
  @DisplayName(
      "a backlog longer than 100,000 changes reads 100,000 in the metric: a long outage is not"
          + " counted row by row every 5 s")
  void longBacklogCountedUpTo() throws Exception {
    try (TcpProxy proxy = new TcpProxy("127.0.0.1", 1883)) {
      proxy.cut(); // the broker unreachable from the start
      server.restartWith(throughProxy(server.config, proxy));
      assertEquals(200, server.postJson("/v1/datapoints", datapoints(T0, 1, 1)).status());
      // As if the broker had been away for hours: 150,000 more changes wait.
      server.rows(
          "INSERT INTO egress_outbox (kind, key, seq, count, ts, cause)"
              + " SELECT 'count', 'long-outage', g, 0, now(), 'datapoint'"
              + " FROM generate_series(1, 150000) g");
      assertTrue(
          Await.until(
              () -> server.metric("density_egress_backlog", "sink=\"mqtt\"") == 100_000,
              Duration.ofSeconds(20)),
          "backlog metric: " + server.metric("density_egress_backlog", "sink=\"mqtt\""));
      assertTrue(
          server.metric("density_egress_lag_seconds", "sink=\"mqtt\"") > 0,
          "the first change waiting has an age");
    }
  }

  @Test
  @DisplayName(
      "changes older than egress.maxBacklogAgeSeconds are dropped with a metric, and MQTT still"
          + " ends on the latest counts")
  void backlogAge() throws Exception {
    try (TcpProxy proxy = new TcpProxy("127.0.0.1", 1883)) {
      proxy.cut(); // the broker unreachable from the start
      server.restartWith(
          throughProxy(server.config.with("egress", "maxBacklogAgeSeconds", 2), proxy));
      watcher = new MqttWatcher(prefix + "/spaces/+/count");
      assertEquals(200, server.postJson("/v1/datapoints", datapoints(T0, 3, 1)).status());
      // These wait for the broker past the age allowed, and go.
      assertTrue(
          Await.until(
              () ->
                  server.metric("density_egress_changes_total", "result=\"dropped\"")
                      >= SPACES.size() * 3,
              Duration.ofSeconds(20)),
          "the old changes are dropped: "
              + server.metric("density_egress_changes_total", "result=\"dropped\""));
      assertEquals(
          200, server.postJson("/v1/datapoints", datapoints(T0.plusSeconds(10), 1, -1)).status());
      proxy.restore();
      Map<String, Integer> expected = realtime(server);
      assertTrue(
          Await.until(() -> converged(watcher, prefix, expected), Duration.ofSeconds(20)),
          "the latest counts still go out: " + watcher.last());
      assertTrue(
          watcher.received().size() <= SPACES.size(),
          "only the changes still due were sent: " + watcher.received());
    }
  }

  @Test
  @DisplayName(
      "MQTT coalesces: at most one message per space per egress.mqtt.minIntervalMs, ending on the"
          + " latest count")
  void coalesces() {
    server.restartWith(
        server.config.with(
            "egress",
            "mqtt",
            JsonObject.mapFrom(server.config.egress().mqtt()).put("minIntervalMs", 1000)));
    watcher = new MqttWatcher(prefix + "/spaces/+/count");
    long start = System.currentTimeMillis();
    for (int i = 0; i < 20; i++) {
      JsonObject d =
          new JsonObject()
              .put("dpu_id", "dpu-A")
              .put("timestamp", T0.plusSeconds(i).toString())
              .put("direction", 1);
      assertEquals(200, server.postJson("/v1/datapoints", d).status());
    }
    assertTrue(
        Await.until(
            () -> {
              MqttWatcher.Received r = watcher.last().get(topic("A"));
              return r != null && r.body().getInteger("count") == 20;
            },
            Duration.ofSeconds(20)),
        "A ends on its latest count: " + watcher.last());
    long seconds = (System.currentTimeMillis() - start) / 1000;
    List<MqttWatcher.Received> ofA =
        watcher.received().stream().filter(r -> r.topic().equals(topic("A"))).toList();
    assertTrue(
        ofA.size() <= seconds + 2,
        ofA.size() + " messages of A in " + seconds + " s, at most one a second: " + ofA);
    assertEquals(20, ofA.get(ofA.size() - 1).body().getLong("seq"), "the last change's seq");
  }

  @Test
  @DisplayName("a DPU's sensor-health alert goes to its own topic, keyed and numbered by the DPU")
  void dpuAlert() {
    server.restartWith(
        server.config.with("alerts", "healthCheckMs", 100).with("alerts", "floodWindowSeconds", 5));
    String dpu = "dpu-floor.2";
    floodRule(server, dpu);
    alerts = new MqttWatcher(prefix + "/alerts/dpus/+");
    assertEquals(200, server.postJson("/v1/datapoints", flooding(dpu)).status());
    String topic = prefix + "/alerts/dpus/" + TopicIds.encode(dpu);
    assertEquals("dpu-floor%2E2", TopicIds.encode(dpu));
    assertTrue(
        Await.until(() -> alerts.last().containsKey(topic), Duration.ofSeconds(20)),
        "the flood alert on " + topic + ": " + alerts.received());
    MqttWatcher.Received fired = alerts.received().get(0);
    assertEquals(topic, fired.topic());
    assertEquals(dpu, fired.body().getString("dpu_id"));
    assertEquals("flood", fired.body().getString("kind"));
    assertEquals("fired", fired.body().getString("state"));
    assertEquals(1, fired.body().getLong("seq"), "the DPU's first change");
    assertTrue(!fired.retained(), "alerts are not retained");
    assertSchema("DpuAlert", fired.body());
  }

  /** A flood rule of the DPU: more than 60 datapoints a minute. */
  static void floodRule(TestServer server, String dpu) {
    String path = "/v1/dpus/" + URLEncoder.encode(dpu, StandardCharsets.UTF_8) + "/alerts";
    JsonObject flood =
        new JsonObject()
            .put(
                "rules",
                new JsonArray().add(new JsonObject().put("kind", "flood").put("threshold", 60)));
    expectOk(server.putJson(path, flood));
  }

  /** Ten datapoints of the DPU in the last second: more than 60 a minute. */
  static JsonArray flooding(String dpu) {
    Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    JsonArray batch = new JsonArray();
    for (int i = 0; i < 10; i++) {
      batch.add(
          new JsonObject()
              .put("dpu_id", dpu)
              .put("timestamp", now.minusMillis(100L * i).toString())
              .put("direction", 1));
    }
    return batch;
  }

  /** The body is the component schema {@code name} of the AsyncAPI document. */
  static void assertSchema(String name, JsonObject body) {
    io.density.support.EgressMessages.assertSchema(name, body);
  }

  /** The sinks of the egress detail of a {@code /ready} answer. */
  static JsonObject egressDetail(JsonObject ready) {
    for (Object o : ready.getJsonArray("checks")) {
      JsonObject check = (JsonObject) o;
      if ("egress".equals(check.getString("id"))) {
        assertEquals("UP", check.getString("status"), ready.encode());
        JsonObject data = check.getJsonObject("data");
        return data == null ? new JsonObject() : data.getJsonObject("sinks");
      }
    }
    throw new AssertionError("no egress check in " + ready.encode());
  }

  /** On each topic, seq never goes back (a re-sent message may repeat the one before). */
  static void assertSeqNeverGoesBack(MqttWatcher watcher) {
    Map<String, Long> previous = new HashMap<>();
    for (MqttWatcher.Received r : watcher.received()) {
      long seq = r.body().getLong("seq");
      Long before = previous.put(r.topic(), seq);
      assertTrue(before == null || seq >= before, r.topic() + ": seq " + seq + " after " + before);
    }
  }

  /**
   * Ingest through a cut of the line to a broker: 3 s of ingest, the line cut for 20 s (a reset of
   * A and a back-dated move of dpu-c+d to count for floor.2 too meanwhile; at its end, {@code
   * whileCut} checks the {@code /ready} answer, which is 200), then 3 s more after it heals.
   */
  static void ingestThroughCut(
      TestServer server, TcpProxy proxy, java.util.function.Consumer<JsonObject> whileCut)
      throws InterruptedException {
    Ingest ingest = new Ingest(server, T0);
    ingest.start();
    try {
      ingest.until(Duration.ofSeconds(3));
      proxy.cut();
      ingest.until(Duration.ofSeconds(5));
      Instant resetAt = ingest.latest();
      assertEquals(
          201,
          server
              .postJson(
                  "/v1/spaces/A/resets",
                  new JsonObject().put("timestamp", resetAt.toString()).put("count", 7))
              .status());
      ingest.until(Duration.ofSeconds(3));
      JsonArray links =
          new JsonArray()
              .add(new JsonObject().put("space_id", "c+d").put("sensor_placement", 1))
              .add(new JsonObject().put("space_id", "floor.2").put("sensor_placement", 1));
      TestServer.Reply moved =
          server.postJson(
              "/v1/dpus/" + URLEncoder.encode("dpu-c+d", StandardCharsets.UTF_8) + "/move",
              new JsonObject()
                  .put("doorway_id", "door")
                  .put("links", links)
                  .put("at", T0.plusSeconds(30).toString()));
      assertEquals(200, moved.status(), moved.toString());
      ingest.until(Duration.ofSeconds(12));
      TestServer.Reply ready = server.get("/ready");
      assertEquals(200, ready.status(), "a broker cut off does not make the node unready");
      whileCut.accept(ready.json());
      proxy.restore();
      ingest.until(Duration.ofSeconds(3));
    } finally {
      ingest.stop();
    }
  }

  /**
   * Sends a batch of one datapoint per space every 50 ms, a second of datapoint time apart, in and
   * out by turns (two in, one out), until stopped.
   */
  static final class Ingest {
    private final TestServer server;
    private final Instant from;
    private final ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "ingest"));
    private volatile int sent;
    private volatile Throwable failed;
    private ScheduledFuture<?> schedule;

    Ingest(TestServer server, Instant from) {
      this.server = server;
      this.from = from;
    }

    void start() {
      schedule = timer.scheduleWithFixedDelay(this::sendOne, 0, 50, TimeUnit.MILLISECONDS);
    }

    /** The next batch; a failure ends the schedule (a periodic task that throws runs no more). */
    private void sendOne() {
      int i = sent;
      try {
        int direction = i % 3 == 2 ? -1 : 1;
        TestServer.Reply reply =
            server.postJson("/v1/datapoints", datapoints(from.plusSeconds(i), 1, direction));
        if (reply.status() != 200) {
          throw new IllegalStateException("ingest: " + reply);
        }
        sent = i + 1;
      } catch (Throwable e) {
        failed = e;
        throw e;
      }
    }

    /** The datapoint time of the last batch sent. */
    Instant latest() {
      return from.plusSeconds(Math.max(0, sent - 1));
    }

    /**
     * Lets ingest go on for a wall-clock span (the datapoints flow meanwhile); fails as soon as a
     * batch fails.
     */
    void until(Duration span) throws InterruptedException {
      try {
        schedule.get(span.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException stillSending) {
        return;
      } catch (ExecutionException e) {
        throw new AssertionError("ingest failed", e.getCause());
      }
      throw new AssertionError("ingest ended on its own");
    }

    /** Stops after the batch in flight, if any. */
    void stop() throws InterruptedException {
      timer.shutdown();
      if (!timer.awaitTermination(60, TimeUnit.SECONDS)) {
        throw new AssertionError("ingest did not stop within 60 s");
      }
      if (failed != null) {
        throw new AssertionError("ingest failed", failed);
      }
    }
  }

  /** Whether every sink's saved position is past every outbox row. */
  static boolean allTaken(TestServer server) {
    return server
        .rows(
            "SELECT 1 FROM egress_outbox o WHERE NOT EXISTS (SELECT 1 FROM egress_progress p"
                + " WHERE (o.xid, o.id) <= (p.xid, p.id))")
        .isEmpty();
  }
}
