package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.Await;
import io.density.support.NatsStreamCheck;
import io.density.support.TcpProxy;
import io.density.support.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Egress to NATS JetStream through the server, against the real NATS on 127.0.0.1:4222: each test
 * has its own stream and subject prefix (the stream deleted at the end), faults go through a TCP
 * proxy. The stream holds every change of every space once, in order per space.
 */
@DisplayName("Egress: every change of every space once, in order, in a NATS JetStream stream")
class EgressNatsTest {
  private static final Instant T0 = Instant.parse("2025-03-03T08:00:00Z");

  private TestServer server;
  private NatsStreamCheck nats;

  @BeforeEach
  void start() throws Exception {
    nats = new NatsStreamCheck();
    server = new TestServer();
    server.config = server.config.with("egress", "nats", nats.config(NatsStreamCheck.NATS));
    server.start();
    EgressMqttTest.provision(server);
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
    nats.close();
  }

  private long lastSeq(String space) {
    return server
        .rows("SELECT seq FROM egress_key WHERE kind = 'space' AND key = $1", space)
        .get(0)
        .getLong("seq");
  }

  /** Awaits the stream's last count of every space being its realtime count, then checks all. */
  private void assertStreamHoldsEveryChange() {
    Map<String, Integer> expected = EgressMqttTest.realtime(server);
    assertTrue(
        Await.until(() -> nats.converged(expected), Duration.ofSeconds(30)),
        "every space's last count in the stream is its realtime count " + expected);
    nats.assertEveryChangeOnceInOrder(expected, this::lastSeq);
  }

  @Test
  @DisplayName(
      "data sent before and after a reader looks: each change once, seq 1, 2, … per space, on"
          + " encoded subjects; alerts on their subjects")
  void beforeAndAfter() throws Exception {
    assertEquals(
        200, server.postJson("/v1/datapoints", EgressMqttTest.datapoints(T0, 5, 1)).status());
    assertEquals(
        200,
        server
            .postJson("/v1/datapoints", EgressMqttTest.datapoints(T0.plusSeconds(60), 2, -1))
            .status());
    assertStreamHoldsEveryChange();
    EgressMqttTest.SPACES.forEach(s -> assertEquals(7, lastSeq(s), s + ": 7 changes"));
    assertEquals(nats.prefix + ".count.i%3Ej", nats.countSubject("i>j"), "> is encoded");

    // A capacity alert of lobby/east at 4, then live changes.
    String lobby = URLEncoder.encode("lobby/east", StandardCharsets.UTF_8);
    assertTrue(
        server
                .putJson(
                    "/v1/spaces/" + lobby, new JsonObject().put("name", "lobby").put("capacity", 4))
                .status()
            < 300);
    JsonObject full =
        new JsonObject().put("name", "full").put("level", "capacity").put("cooldown_seconds", 0);
    assertTrue(
        server
                .putJson(
                    "/v1/spaces/" + lobby + "/alerts",
                    new JsonObject().put("levels", new JsonArray().add(full)))
                .status()
            < 300);
    for (int i = 0; i < 2; i++) {
      assertEquals(
          200,
          server
              .postJson("/v1/datapoints", EgressMqttTest.datapoints(T0.plusSeconds(120 + i), 1, 1))
              .status());
    }
    String alertSubject = nats.prefix + ".alert.lobby%2Feast";
    assertTrue(
        Await.until(
            () -> nats.messages().stream().anyMatch(m -> m.subject().equals(alertSubject)),
            Duration.ofSeconds(20)),
        "the capacity alert on " + alertSubject);
    assertStreamHoldsEveryChange();
    NatsStreamCheck.Received alert =
        nats.messages().stream().filter(m -> m.subject().equals(alertSubject)).findFirst().get();
    assertEquals("lobby/east", alert.body().getString("space_id"));
    assertEquals("above", alert.body().getString("kind"));
    assertEquals(10, lastSeq("lobby/east"), "9 counts and the alert");
  }

  @Test
  @DisplayName(
      "the line to NATS cut for 20 s during ingest, a reset and a back-dated move meanwhile: the"
          + " node stays ready, and after the heal the stream holds every change once, in order")
  void lineCut() throws Exception {
    try (TcpProxy proxy = new TcpProxy("127.0.0.1", 4222)) {
      server.restartWith(
          server.config.with("egress", "nats", nats.config("nats://127.0.0.1:" + proxy.port())));
      EgressMqttTest.ingestThroughCut(
          server,
          proxy,
          ready -> {
            JsonObject sink = EgressMqttTest.egressDetail(ready).getJsonObject("nats");
            assertEquals(false, sink.getBoolean("ok"), ready.encode());
            assertTrue(!sink.getString("problem", "").isEmpty(), ready.encode());
            assertTrue(sink.getLong("backlog") > 0, ready.encode());
          });
      assertStreamHoldsEveryChange();
      assertTrue(
          nats.messages().stream()
              .anyMatch(
                  m ->
                      m.subject().equals(nats.countSubject("A"))
                          && "reset".equals(m.body().getString("cause"))),
          "the reset of A is in the stream");
      assertTrue(
          nats.messages().stream()
              .anyMatch(m -> "reconciliation".equals(m.body().getString("cause"))),
          "the move's reconciliation is in the stream");
    }
  }

  @Test
  @DisplayName("a DPU's sensor-health alert on its own subject, numbered by the DPU")
  void dpuAlert() {
    server.restartWith(
        server.config.with("alerts", "healthCheckMs", 100).with("alerts", "floodWindowSeconds", 5));
    String dpu = "dpu-floor.2";
    EgressMqttTest.floodRule(server, dpu);
    assertEquals(200, server.postJson("/v1/datapoints", EgressMqttTest.flooding(dpu)).status());
    String subject = nats.prefix + ".alert.dpu.dpu-floor%2E2";
    assertTrue(
        Await.until(
            () -> nats.messages().stream().anyMatch(m -> m.subject().equals(subject)),
            Duration.ofSeconds(20)),
        "the flood alert on " + subject);
    NatsStreamCheck.Received fired =
        nats.messages().stream().filter(m -> m.subject().equals(subject)).findFirst().get();
    assertEquals(dpu, fired.body().getString("dpu_id"));
    assertEquals("flood", fired.body().getString("kind"));
    assertEquals("fired", fired.body().getString("state"));
    assertEquals(1, fired.body().getLong("seq"), "the DPU's first change");
    assertEquals("dpu_alert:dpu-floor%2E2:1", fired.msgId());
    io.density.support.EgressMessages.assertSchema("DpuAlert", fired.body());
  }
}
