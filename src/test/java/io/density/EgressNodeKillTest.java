package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.Await;
import io.density.support.MqttWatcher;
import io.density.support.NatsStreamCheck;
import io.density.support.NodeProcess;
import io.density.support.Ports;
import io.density.support.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Egress in a cluster of two node processes: the node that publishes is killed with SIGKILL during
 * ingest, the survivor takes publishing over from the outbox, and every space ends on its realtime
 * count on MQTT and in the NATS JetStream stream, which holds every change once; no seq is ever
 * given to two different messages.
 */
@DisplayName("Egress: the publishing node killed with SIGKILL during ingest")
class EgressNodeKillTest {
  private static final Instant T0 = Instant.parse("2025-03-03T08:00:00Z");

  private final String cluster = "density-egress-kill-" + UUID.randomUUID();
  private final String prefix = "density-test/" + UUID.randomUUID();
  private final List<NodeProcess> nodes = new ArrayList<>();
  private TestServer database;
  private MqttWatcher watcher;
  private NatsStreamCheck nats;

  @BeforeEach
  void twoNodes() throws Exception {
    nats = new NatsStreamCheck();
    database = new TestServer();
    for (int i = 0; i < 2; i++) {
      nodes.add(start("node-" + i)); // one after the other: the first leads egress
    }
    String token = database.createToken("admin");
    nodes.forEach(n -> n.token(token));
    send(nodes.get(1), "PUT", "/v1/doorways/door", new JsonObject().put("name", "a door"));
    for (String space : EgressMqttTest.SPACES) {
      send(nodes.get(1), "PUT", "/v1/spaces/" + enc(space), new JsonObject().put("name", space));
      send(nodes.get(1), "PUT", "/v1/dpus/" + enc("dpu-" + space), new JsonObject());
      send(
          nodes.get(1),
          "POST",
          "/v1/links",
          new JsonObject()
              .put("dpu_id", "dpu-" + space)
              .put("doorway_id", "door")
              .put("space_id", space)
              .put("sensor_placement", 1)
              .put("valid_from", T0.minus(Duration.ofDays(1)).toString()));
    }
  }

  @AfterEach
  void stop() throws Exception {
    if (watcher != null) {
      watcher.clearRetained();
      watcher.close();
    }
    for (NodeProcess n : nodes) {
      n.process.destroy();
      n.process.waitFor();
    }
    database.close();
    nats.close();
  }

  private NodeProcess start(String name) throws IOException {
    return NodeProcess.startReady(
        database,
        Ports.free(),
        cluster + "-" + name,
        Map.ofEntries(
            Map.entry("DENSITY_CLUSTER", "true"),
            Map.entry("DENSITY_CLUSTER_NAME", cluster),
            Map.entry("DENSITY_EGRESS_MQTT_ENABLED", "on"),
            Map.entry("DENSITY_EGRESS_MQTT_URL", "mqtt://127.0.0.1:1883"),
            Map.entry("DENSITY_EGRESS_MQTT_CLIENT_ID", "egress-" + cluster),
            Map.entry("DENSITY_EGRESS_MQTT_TOPIC_PREFIX", prefix),
            Map.entry("DENSITY_EGRESS_NATS_URL", NatsStreamCheck.NATS),
            Map.entry("DENSITY_EGRESS_NATS_STREAM", nats.stream),
            Map.entry("DENSITY_EGRESS_NATS_SUBJECT_PREFIX", nats.prefix)));
  }

  private static String enc(String id) {
    return URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** Sends a request, again while the node answers 503 (its work still being taken up). */
  private static void send(NodeProcess node, String method, String path, JsonObject body)
      throws Exception {
    Instant deadline = Instant.now().plusSeconds(30);
    HttpResponse<String> r = node.send(method, path, body.encode());
    while (r.statusCode() == 503 && Instant.now().isBefore(deadline)) {
      r = node.send(method, path, body.encode());
    }
    assertTrue(r.statusCode() < 300, method + " " + path + " → " + r.body());
  }

  /** Sends a batch to the node until it is acknowledged (a node may be taking work over). */
  private static void ingest(NodeProcess node, JsonArray batch) throws Exception {
    Instant deadline = Instant.now().plusSeconds(60);
    while (Instant.now().isBefore(deadline)) {
      try {
        if (node.send("POST", "/v1/datapoints", batch.encode()).statusCode() == 200) {
          return;
        }
      } catch (IOException notNow) {
        // asked again
      }
    }
    throw new AssertionError("a batch was not acknowledged within 60 s");
  }

  private Map<String, Integer> realtime(NodeProcess node) throws Exception {
    Map<String, Integer> counts = new HashMap<>();
    for (String space : EgressMqttTest.SPACES) {
      HttpResponse<String> r = node.send("GET", "/v1/spaces/" + enc(space) + "/count", null);
      counts.put(space, new JsonObject(r.body()).getInteger("count"));
    }
    return counts;
  }

  @Test
  @DisplayName(
      "the survivor takes publishing over: each space ends on its realtime count, and a seq"
          + " repeated after the takeover repeats the same message")
  void killThePublisher() throws Exception {
    assertTrue(
        Files.readString(Path.of("target", cluster + "-node-0.log")).contains("leading: egress"),
        "the first node publishes");
    watcher = new MqttWatcher(prefix + "/spaces/+/count");
    NodeProcess survivor = nodes.get(1);
    int batches = 200;
    for (int i = 0; i < batches; i++) {
      if (i == batches / 3) {
        nodes.get(0).process.destroyForcibly(); // SIGKILL, mid-ingest
      }
      ingest(survivor, EgressMqttTest.datapoints(T0.plusSeconds(i), 1, i % 3 == 2 ? -1 : 1));
    }
    Map<String, Integer> expected = realtime(survivor);
    assertTrue(
        Await.until(
            () -> EgressMqttTest.converged(watcher, prefix, expected), Duration.ofSeconds(60)),
        "every space's last message is its realtime count " + expected + ": " + watcher.last());
    EgressMqttTest.assertSeqNeverGoesBack(watcher);
    // A seq heard twice (re-sent after the takeover) carries the same message both times.
    Map<String, JsonObject> bySeq = new HashMap<>();
    for (MqttWatcher.Received r : watcher.received()) {
      String key = r.topic() + "#" + r.body().getLong("seq");
      JsonObject before = bySeq.putIfAbsent(key, r.body());
      if (before != null) {
        assertEquals(before, r.body(), "seq " + key + " was given to two messages");
      }
    }
    // The outbox's seqs: the last one given per space is the number of changes of the space.
    for (String space : EgressMqttTest.SPACES) {
      long last =
          database
              .rows("SELECT seq FROM egress_key WHERE kind = 'space' AND key = $1", space)
              .get(0)
              .getLong("seq");
      long heard =
          watcher
              .last()
              .get(prefix + "/spaces/" + io.density.egress.TopicIds.encode(space) + "/count")
              .body()
              .getLong("seq");
      assertEquals(last, heard, space + ": the last message carries the last seq given");
    }
    // The stream: every change of every space once, seq 1, 2, … (re-sends after the takeover
    // dropped by their Nats-Msg-Id), the last count of each its realtime count.
    assertTrue(
        Await.until(() -> nats.converged(expected), Duration.ofSeconds(60)),
        "every space's last count in the stream is its realtime count " + expected);
    nats.assertEveryChangeOnceInOrder(
        expected,
        space ->
            database
                .rows("SELECT seq FROM egress_key WHERE kind = 'space' AND key = $1", space)
                .get(0)
                .getLong("seq"));
  }
}
