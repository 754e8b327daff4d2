package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.Await;
import io.density.support.LogCapture;
import io.density.support.Ports;
import io.density.support.TestServer;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A broker egress cannot use, from the start: one clear log line, a readiness detail (the node
 * stays ready), and the server counts and answers as ever.
 */
@DisplayName("Egress: a broker that cannot be used is a log line and a readiness detail")
class EgressBadConfigTest {
  private LogCapture logged;
  private TestServer server;
  private Process broker;

  @BeforeEach
  void listen() {
    logged = LogCapture.of("io.density.egress", Level.WARNING);
  }

  @AfterEach
  void stop() throws Exception {
    logged.close();
    if (server != null) {
      server.close();
    }
    if (broker != null) {
      broker.destroy();
      broker.waitFor();
    }
  }

  private void startWith(String url) {
    startWith(
        "mqtt",
        new JsonObject()
            .put("enabled", true)
            .put("url", url)
            .put("clientId", "egress-" + UUID.randomUUID())
            .put("topicPrefix", "density-test/" + UUID.randomUUID()));
  }

  /** A server with the egress sink {@code sink} ({@code mqtt}, {@code nats}) set so. */
  private void startWith(String sink, JsonObject settings) {
    server = new TestServer();
    server.config = server.config.with("egress", sink, settings);
    server.start();
    server.provisionSeedBuilding();
  }

  private void assertCountsAndSays(String problem) {
    assertCountsAndSays("mqtt", problem);
  }

  /** The NATS egress section of a stream that no test reaches (nothing is ever stored in it). */
  private static JsonObject nats(String url) {
    String run = UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    return new JsonObject()
        .put("url", url)
        .put("stream", "TEST_" + run)
        .put("subjectPrefix", "t" + run + ".density")
        .put("ackTimeoutMs", 1000);
  }

  /** The node is ready, its egress detail says why the sink fails, and it counts and answers. */
  private void assertCountsAndSays(String sink, String problem) {
    assertTrue(
        Await.until(
            () -> {
              TestServer.Reply ready = server.get("/ready");
              JsonObject detail = EgressMqttTest.egressDetail(ready.json()).getJsonObject(sink);
              return ready.status() == 200
                  && detail != null
                  && !detail.getBoolean("ok")
                  && detail.getString("problem").contains(problem);
            },
            Duration.ofSeconds(20)),
        "/ready is 200 with the problem: " + server.get("/ready"));
    Instant now = Instant.now();
    assertEquals(200, server.sendDatapoint("283", now, 1).status());
    assertEquals(200, server.sendDatapoint("283", now.plusMillis(1), 1).status());
    assertEquals(2, server.get("/v1/spaces/A/count").json().getInteger("count"));
    // The feed tries again every second meanwhile; the problem was said once.
    assertTrue(
        Await.until(() -> server.countRows("egress_outbox") >= 2, Duration.ofSeconds(10)),
        "the changes wait in the outbox");
    long tries = System.currentTimeMillis() + 3_000;
    Await.until(() -> System.currentTimeMillis() > tries, Duration.ofSeconds(5));
    assertEquals(1, logged.records().size(), "one log line: " + messages());
    assertTrue(messages().get(0).contains(problem), messages().toString());
  }

  private List<String> messages() {
    return logged.messages();
  }

  @Test
  @DisplayName("no broker where egress.mqtt.url points")
  void unreachable() {
    int port = Ports.free();
    startWith("mqtt://127.0.0.1:" + port);
    assertCountsAndSays("cannot connect to mqtt://127.0.0.1:" + port);

    // What waits in the outbox: every change once per space, seq 1, 2, … in the order of commits.
    Instant t = Instant.now().plusSeconds(1); // after the start's: each effect applied in order
    for (int i = 0; i < 5; i++) {
      io.vertx.core.json.JsonArray batch = new io.vertx.core.json.JsonArray();
      for (int j = 0; j < 4; j++) {
        batch.add(
            new JsonObject()
                .put("dpu_id", "283")
                .put("timestamp", t.plusSeconds(10L * i + j).toString())
                .put("direction", j == 3 ? -1 : 1));
      }
      assertEquals(200, server.postJson("/v1/datapoints", batch).status());
    }
    List<io.vertx.sqlclient.Row> rows =
        server.rows(
            "SELECT seq, count, cause FROM egress_outbox WHERE key = 'A' AND kind = 'count'"
                + " ORDER BY xid, id");
    long seq = 0;
    for (io.vertx.sqlclient.Row r : rows) {
      assertEquals(++seq, r.getLong("seq"), "seq of A's changes, in commit order: " + rows);
    }
    assertEquals(
        seq,
        server.rows("SELECT seq FROM egress_key WHERE key = 'A'").get(0).getLong("seq"),
        "the last seq given is the last change's");
    // The two datapoints of the start, then these 20 effects on A, each counted in order.
    assertEquals(22, rows.size(), "one change per effect on A");
    assertEquals(12, rows.get(rows.size() - 1).getInteger("count"));
    rows.forEach(r -> assertEquals("datapoint", r.getString("cause")));

    // Out of order within the window (corrected in its tail), then beyond it (recounted): each
    // is one reconciliation with the space's current count, after the changes before.
    for (Instant late : List.of(t.plusMillis(40_500), t.minusSeconds(3600))) {
      JsonObject d = new JsonObject().put("dpu_id", "283").put("timestamp", late.toString());
      assertEquals(200, server.postJson("/v1/datapoints", d.put("direction", 1)).status());
      List<io.vertx.sqlclient.Row> last =
          server.rows(
              "SELECT seq, count, cause FROM egress_outbox WHERE key = 'A' AND kind = 'count'"
                  + " ORDER BY xid DESC, id DESC LIMIT 1");
      assertEquals(++seq, last.get(0).getLong("seq"), "the next seq, for " + late);
      assertEquals("reconciliation", last.get(0).getString("cause"), "for " + late);
      assertEquals(
          server.get("/v1/spaces/A/count").json().getInteger("count"),
          last.get(0).getInteger("count"),
          "the corrected current count, for " + late);
    }
  }

  @Test
  @DisplayName("a broker that refuses the credential")
  void refused() throws Exception {
    int port = Ports.free();
    Path dir = Files.createTempDirectory("mosquitto");
    Path passwords = dir.resolve("passwords");
    Process made =
        new ProcessBuilder("mosquitto_passwd", "-b", "-c", passwords.toString(), "density", "right")
            .inheritIO()
            .start();
    assertEquals(0, made.waitFor());
    Path conf = dir.resolve("mosquitto.conf");
    Files.writeString(
        conf,
        "listener "
            + port
            + " 127.0.0.1\nallow_anonymous false\npassword_file "
            + passwords
            + "\npersistence false\n");
    dir.toFile().setReadable(true, false);
    dir.toFile().setExecutable(true, false);
    for (File f : dir.toFile().listFiles()) {
      f.setReadable(true, false);
    }
    broker =
        new ProcessBuilder("/usr/sbin/mosquitto", "-c", conf.toString())
            .redirectErrorStream(true)
            .redirectOutput(new File("target", "mosquitto-refusing.log"))
            .start();
    assertTrue(
        Await.until(() -> listens(port), Duration.ofSeconds(10)),
        "a broker of the test's own listens");
    startWith("mqtt://density:wrong@127.0.0.1:" + port);
    assertCountsAndSays("cannot connect to mqtt://127.0.0.1:" + port);
    assertTrue(!messages().get(0).contains("wrong"), "the password is not logged: " + messages());
    broker.destroy();
    broker.waitFor(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("no NATS where egress.nats.url points")
  void natsUnreachable() {
    String url = "nats://127.0.0.1:" + Ports.free();
    startWith("nats", nats(url));
    assertCountsAndSays("nats", url + " does not answer");
  }

  @Test
  @DisplayName("a NATS server that refuses the credential")
  void natsRefused() throws Exception {
    int port = Ports.free();
    broker =
        new ProcessBuilder(
                "/usr/sbin/nats-server",
                "-a",
                "127.0.0.1",
                "-p",
                String.valueOf(port),
                "--user",
                "density",
                "--pass",
                "right")
            .redirectErrorStream(true)
            .redirectOutput(new File("target", "nats-refusing.log"))
            .start();
    assertTrue(
        Await.until(() -> listens(port), Duration.ofSeconds(10)), "a NATS of the test's own");
    startWith(
        "nats", nats("nats://127.0.0.1:" + port).put("user", "density").put("password", "wrong"));
    assertCountsAndSays("nats", "refused the credentials");
    assertTrue(!messages().get(0).contains("wrong"), "the password is not logged: " + messages());
  }

  private static boolean listens(int port) {
    try (Socket s = new Socket("127.0.0.1", port)) {
      return true;
    } catch (Exception notYet) {
      return false;
    }
  }
}
