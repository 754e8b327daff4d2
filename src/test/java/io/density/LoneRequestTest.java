package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.Await;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Group commit: a lone request is written at once; resets pass between batches")
class LoneRequestTest {
  private static TestServer server;

  @BeforeAll
  static void start() {
    server = new TestServer();
    // A linger longer than a request may wait for its answer (ingest.ackTimeoutMs, 15 s): a lone
    // request that waited for company would be answered 503 "not stored in time".
    server.config = server.config.with("ingest", "lingerMs", 60_000);
    server.start();
    server.provisionSeedBuilding();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  @DisplayName("one datapoint after another, each alone, is stored and counted without lingering")
  void loneRequests() {
    Instant t = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(60);
    int before = server.get("/v1/spaces/A/count").json().getInteger("count");
    for (int i = 0; i < 3; i++) {
      Reply reply = server.sendDatapoint("423", t.plusSeconds(i), 1);
      assertEquals(200, reply.status(), reply.json().encode());
      assertEquals("accepted", reply.json().getString("result"));
    }
    // 423 is between A (+1) and B (-1): A counts three more.
    assertEquals(before + 3, server.get("/v1/spaces/A/count").json().getInteger("count"));
  }

  @Test
  @DisplayName(
      "a reset posted while datapoints keep coming is applied between batches; every acknowledged"
          + " datapoint is stored once and counted from it")
  void resetDuringTraffic() throws Exception {
    Instant base = Instant.now().truncatedTo(ChronoUnit.MILLIS).minusSeconds(3_000);
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService senders = Executors.newFixedThreadPool(4);
    List<Future<Integer>> sent = new ArrayList<>();
    for (int s = 0; s < 4; s++) {
      int sender = s;
      sent.add(
          senders.submit(
              () -> {
                int n = 0;
                while (!stop.get() && n < 2_000) {
                  // Each sender its own milliseconds: no two datapoints are equal.
                  Reply r = server.sendDatapoint("283", base.plusMillis(4L * n + sender), 1);
                  assertEquals(200, r.status(), r.json().encode());
                  n++;
                }
                return n;
              }));
    }
    Instant resetAt = base.plusSeconds(1);
    try {
      // Traffic is flowing, and goes on past the reset's instant, when the reset is posted.
      assertTrue(
          Await.until(
              () -> server.rows("SELECT 1 FROM datapoint WHERE dpu_id = '283'").size() >= 100,
              Duration.ofSeconds(60)),
          "100 datapoints stored within 60 s");
      Reply reset =
          server.postJson(
              "/v1/spaces/A/resets",
              new JsonObject().put("timestamp", resetAt.toString()).put("count", 0));
      assertTrue(reset.status() / 100 == 2, "the reset is applied: " + reset.json().encode());
    } finally {
      stop.set(true);
      senders.shutdown();
    }
    int acknowledged = 0;
    for (Future<Integer> f : sent) {
      acknowledged += f.get();
    }
    assertEquals(
        acknowledged,
        server.rows("SELECT 1 FROM datapoint WHERE dpu_id = '283'").size(),
        "every acknowledged datapoint is stored, once");
    // A counts the +1s of 283 from the reset on, and those of 423 (all after it).
    int expected =
        server
            .rows(
                "SELECT 1 FROM datapoint WHERE dpu_id = '423' OR (dpu_id = '283' AND ts >= '"
                    + resetAt
                    + "')")
            .size();
    assertEquals(expected, server.get("/v1/spaces/A/count").json().getInteger("count"));
    assertEquals(
        expected,
        server
            .get("/v1/spaces/A/count?at=" + Instant.now().minusSeconds(1))
            .json()
            .getInteger("count"),
        "the history agrees");
  }
}
