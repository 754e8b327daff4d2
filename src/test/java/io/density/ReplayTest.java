package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.load.BuildingSimulator;
import io.density.load.BuildingSimulator.Crossing;
import io.density.support.ContractModel;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Replay rebuilds every derived answer from the raw log")
class ReplayTest {
  private static final Instant START = Instant.parse("2024-05-06T06:00:00Z");
  private static final Instant END = START.plus(Duration.ofDays(2));
  private TestServer server;
  private final ContractModel contract = new ContractModel();

  @BeforeEach
  void twoDays() {
    server = new TestServer().start();
    Instant from = START.minus(Duration.ofDays(1));
    for (Object[] r : BuildingSimulator.provisioning(from)) {
      server.send((String) r[1], (String) r[0], "application/json", ((JsonObject) r[2]).encode());
    }
    BuildingSimulator.LINKS.forEach(l -> contract.link(l.dpu(), l.space(), l.placement(), from));
    JsonArray batch = new JsonArray();
    for (Crossing c : BuildingSimulator.simulate(START, END, 200, 0.05, 9)) {
      batch.add(c.toJson());
      contract.add(c.dpu(), c.ts().toString(), c.direction());
    }
    assertEquals(200, server.postJson("/v1/datapoints", batch).status());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private Map<String, Object> answers() {
    Map<String, Object> out = new TreeMap<>();
    for (String space : BuildingSimulator.SPACES) {
      out.put(space, server.get("/v1/spaces/" + space + "/count").json().getValue("count"));
      for (Instant t = START; t.isBefore(END); t = t.plus(Duration.ofMinutes(45))) {
        int count = server.get("/v1/spaces/" + space + "/count?at=" + t).json().getInteger("count");
        assertEquals(contract.countAsOf(space, t), count, space + " as of " + t);
        out.put(space + "@" + t, count);
      }
      out.put(
          space + " hours",
          server
              .get(
                  "/v1/spaces/" + space + "/counts?start=" + START + "&end=" + END + "&interval=1h")
              .json()
              .getJsonArray("buckets"));
    }
    return out;
  }

  @Test
  @DisplayName(
      "after losing every count and the realtime state, a full replay gives the same answers")
  void fullReplay() {
    Map<String, Object> live = answers();
    server.rows("DELETE FROM space_count");
    server.flushRedis();
    Reply replay = server.postJson("/v1/admin/replay", new JsonObject());
    assertEquals(200, replay.status(), replay.json().encode());
    assertEquals("replayed", replay.json().getString("result"));
    assertEquals(live, answers());
  }

  @Test
  @DisplayName("a window replay repairs the counts of that window and recounts what follows")
  void windowReplay() {
    Map<String, Object> live = answers();
    Instant from = START.plus(Duration.ofHours(10));
    Instant to = START.plus(Duration.ofHours(20));
    server.rows(
        "DELETE FROM space_count WHERE ts >= $1 AND ts < $2",
        from.atOffset(java.time.ZoneOffset.UTC),
        to.atOffset(java.time.ZoneOffset.UTC));
    server.rows(
        "UPDATE space_count SET count = count + 5 WHERE ts >= $1",
        to.atOffset(java.time.ZoneOffset.UTC));
    Reply replay = server.postJson("/v1/admin/replay?from=" + from + "&to=" + to, new JsonObject());
    assertEquals(200, replay.status(), replay.json().encode());
    assertTrue(replay.json().getInteger("spaces_recounted") > 0);
    assertEquals(live, answers());
    List<?> arrivals =
        server.rows(
            "SELECT 1 FROM space_count WHERE arrival_count IS NOT NULL AND ts < $1",
            from.atOffset(java.time.ZoneOffset.UTC));
    assertTrue(arrivals.size() > 0, "rows outside the window keep their arrival counts");
  }
}
