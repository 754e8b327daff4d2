package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.density.load.BuildingSimulator;
import io.density.load.BuildingSimulator.Crossing;
import io.density.support.ContractModel;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Reconciliations racing with live ingest lose and double nothing")
class ReconciliationRaceTest {
  private static final Instant START = Instant.parse("2024-06-03T06:00:00Z");
  private static final Instant END = START.plus(Duration.ofDays(1));
  private TestServer server;
  private final ContractModel contract = new ContractModel();

  @BeforeEach
  void building() {
    server = new TestServer().start();
    server.provisionSimulatedBuilding(contract, START.minus(Duration.ofDays(1)));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  @DisplayName(
      "live batches, hours-late batches, a back-dated reset and replays at once: counts equal the contract")
  void raceToTheEnd() throws Exception {
    List<Crossing> crossings = BuildingSimulator.simulate(START, END, 300, 0.04, 21);
    crossings.forEach(c -> contract.add(c.dpu(), c.ts().toString(), c.direction()));
    List<Crossing> live = new ArrayList<>();
    List<Crossing> late = new ArrayList<>();
    for (int i = 0; i < crossings.size(); i++) {
      (i % 5 == 0 ? late : live).add(crossings.get(i));
    }
    Instant reset = START.plus(Duration.ofHours(9));
    contract.reset("lobby", reset, 0);

    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      CompletableFuture<Void> liveFeed = CompletableFuture.runAsync(() -> send(live, 25), pool);
      CompletableFuture<Void> lateFeed = CompletableFuture.runAsync(() -> send(late, 10), pool);
      CompletableFuture<Void> operator =
          CompletableFuture.runAsync(
              () -> {
                for (int i = 0; i < 3; i++) {
                  Reply r =
                      server.postJson(
                          "/v1/spaces/lobby/resets",
                          new JsonObject().put("timestamp", reset.toString()).put("count", 0));
                  assertEquals(201, r.status(), r.json().encode());
                  Reply replay =
                      server.postJson(
                          "/v1/admin/replay?from=" + START.plus(Duration.ofHours(4 * i)),
                          new JsonObject());
                  assertEquals(200, replay.status(), replay.json().encode());
                }
              },
              pool);
      CompletableFuture.allOf(liveFeed, lateFeed, operator).get();
    } finally {
      pool.shutdown();
    }

    for (String space : BuildingSimulator.SPACES) {
      assertEquals(
          contract.realtime(space),
          server.get("/v1/spaces/" + space + "/count").json().getInteger("count"),
          space);
      for (Instant t = START; t.isBefore(END); t = t.plus(Duration.ofMinutes(30))) {
        assertEquals(
            contract.countAsOf(space, t),
            server.get("/v1/spaces/" + space + "/count?at=" + t).json().getInteger("count"),
            space + " as of " + t);
      }
    }
    assertEquals(contract.distinctDatapoints(), server.countRows("datapoint"));
  }

  private void send(List<Crossing> crossings, int batchSize) {
    for (int i = 0; i < crossings.size(); i += batchSize) {
      JsonArray batch = new JsonArray();
      crossings
          .subList(i, Math.min(crossings.size(), i + batchSize))
          .forEach(c -> batch.add(c.toJson()));
      Reply reply = server.postJson("/v1/datapoints", batch);
      assertEquals(200, reply.status(), reply.json().encode());
    }
  }
}
