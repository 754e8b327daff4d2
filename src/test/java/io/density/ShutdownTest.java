package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.dev.SeedBuilding;
import io.density.support.Await;
import io.density.support.ContractModel;
import io.density.support.NodeProcess;
import io.density.support.Ports;
import io.density.support.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("SIGTERM under load: requests in flight are answered, the node exits within 10 s")
class ShutdownTest {
  private static final Instant DAY = Instant.parse("2024-11-04T00:00:00Z");
  private final TestServer database = new TestServer();
  private NodeProcess node;

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.process.destroyForcibly().waitFor();
    }
    database.close();
  }

  private NodeProcess start(String logName) throws IOException {
    return NodeProcess.startReady(database, Ports.free(), logName, Map.of());
  }

  @Test
  @DisplayName("every acknowledged datapoint is stored and counted once after a SIGTERM mid-load")
  void sigtermUnderLoad() throws Exception {
    node = start("shutdown-node");
    String token = database.createToken("admin");
    node.token(token);
    for (Object[] r : SeedBuilding.provisioning()) {
      HttpResponse<String> provisioned =
          node.send((String) r[0], (String) r[1], ((JsonObject) r[2]).encode());
      assertTrue(
          provisioned.statusCode() < 300,
          r[0] + " " + r[1] + " → " + provisioned.statusCode() + " " + provisioned.body());
    }
    List<JsonObject> day = SeedBuilding.day(DAY, DAY.plus(Duration.ofDays(1)), 400, 31);
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicInteger sent = new AtomicInteger();
    AtomicBoolean stopping = new AtomicBoolean();
    ExecutorService clients = Executors.newFixedThreadPool(4);
    for (int c = 0; c < 4; c++) {
      clients.submit(
          () -> {
            for (int from = sent.getAndAdd(20); from < day.size(); from = sent.getAndAdd(20)) {
              List<JsonObject> items = day.subList(from, Math.min(day.size(), from + 20));
              try {
                HttpResponse<String> r =
                    node.send(
                        "POST", "/v1/datapoints", new JsonArray(new ArrayList<>(items)).encode());
                if (r.statusCode() == 200) {
                  items.forEach(
                      d ->
                          acknowledged.add(
                              d.getString("dpu_id")
                                  + "|"
                                  + Instant.parse(d.getString("timestamp"))));
                }
              } catch (IOException refused) {
                if (stopping.get()) {
                  return null; // the port is closed: the node is going
                }
              }
            }
            return null;
          });
    }
    assertTrue(
        Await.until(() -> sent.get() >= day.size() / 3, Duration.ofSeconds(60)),
        "a third of the day sent");
    stopping.set(true);
    long signalled = System.nanoTime();
    node.process.destroy(); // SIGTERM
    assertTrue(node.process.waitFor(15, TimeUnit.SECONDS), "exited");
    double seconds = (System.nanoTime() - signalled) / 1e9;
    assertTrue(seconds <= 10.5, "exited within 10 s of SIGTERM, took " + seconds);
    System.out.printf("SIGTERM mid-load: exited after %.2f s%n", seconds);
    clients.shutdown();
    assertTrue(clients.awaitTermination(30, TimeUnit.SECONDS));
    assertTrue(!acknowledged.isEmpty());

    // Every acknowledged datapoint is stored, and everything stored is counted once: a new
    // process answers like the contract over what is stored.
    Set<String> stored = ConcurrentHashMap.newKeySet();
    ContractModel contract = ContractModel.seedBuilding();
    database
        .rows("SELECT dpu_id, ts, direction FROM datapoint")
        .forEach(
            r -> {
              stored.add(r.getString("dpu_id") + "|" + r.getOffsetDateTime("ts").toInstant());
              contract.add(
                  r.getString("dpu_id"),
                  r.getOffsetDateTime("ts").toInstant().toString(),
                  r.getShort("direction"));
            });
    assertTrue(stored.containsAll(acknowledged), "no acknowledged datapoint lost");
    assertEquals(0, database.countRows("uncounted_batch"), "the node finished what it took");
    node = start("shutdown-node-again");
    node.token(token);
    for (String space : List.of("A", "B")) {
      JsonObject answer =
          new JsonObject(node.send("GET", "/v1/spaces/" + space + "/count", null).body());
      assertEquals(contract.realtime(space), answer.getInteger("count"), space);
    }
  }
}
