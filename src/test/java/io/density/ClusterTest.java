package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.bus.Addresses;
import io.density.dev.SeedBuilding;
import io.density.support.Await;
import io.density.support.ContractModel;
import io.density.support.CountAssertions;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Nodes of a Hazelcast cluster share the work and give one set of answers")
class ClusterTest {
  private static final Instant DAY = Instant.parse("2024-09-02T00:00:00Z");
  private TestServer first;
  private TestServer second;
  private final ContractModel contract = ContractModel.seedBuilding();

  @BeforeEach
  void twoNodes() {
    String cluster = "density-test-" + UUID.randomUUID();
    first = new TestServer().clustered(cluster).start();
    // The second node takes HTTP, queries and a standby persistence; no counter of its own.
    second = first.node("persistence,query,history,registry,http").start();
    first.provisionSeedBuilding();
  }

  @AfterEach
  void stop() {
    second.close();
    first.close();
  }

  private void assertBothAnswerLikeTheContract() {
    for (TestServer node : List.of(first, second)) {
      for (String space : List.of("A", "B")) {
        CountAssertions.assertCountsLikeTheContract(
            node, contract, space, DAY, DAY.plus(Duration.ofDays(1)), Duration.ofHours(2));
      }
    }
  }

  @Test
  @DisplayName(
      "datapoints sent to one node are counted, every node answers the same, and a consumer on another node sees every change in order")
  void ingestThroughOneQueryThroughAnother() {
    List<JsonObject> events = new CopyOnWriteArrayList<>();
    second
        .vertx()
        .eventBus()
        .<JsonObject>consumer(Addresses.COUNT_EVENTS, m -> events.add(m.body()))
        .completion()
        .await();
    second.feed(contract, SeedBuilding.day(DAY, DAY.plus(Duration.ofDays(1)), 150, 8));
    assertBothAnswerLikeTheContract();
    assertEquals(first.get("/v1/dpus/283").json(), second.get("/v1/dpus/283").json());

    // Counts are written on the first node; the consumer on the second sees each change once, in
    // order.
    long effectsOfA =
        first.rows("SELECT count(*) FROM space_count WHERE space_id = 'A'").get(0).getLong(0);
    Await.until(
        () ->
            events.stream().filter(e -> e.getString("space_id").equals("A")).count() >= effectsOfA,
        Duration.ofSeconds(10));
    List<JsonObject> ofA =
        events.stream().filter(e -> e.getString("space_id").equals("A")).toList();
    assertEquals(
        effectsOfA, ofA.size(), "one event per effect on A (all arrived in order, none late)");
    for (int i = 1; i < ofA.size(); i++) {
      assertTrue(
          !Instant.parse(ofA.get(i).getString("timestamp"))
              .isBefore(Instant.parse(ofA.get(i - 1).getString("timestamp"))));
    }
    assertEquals(contract.realtime("A"), ofA.get(ofA.size() - 1).getInteger("count"));
  }

  @Test
  @DisplayName("the same datapoint sent to both nodes at once is counted once")
  void sameDatapointTwoNodes() throws Exception {
    JsonObject datapoint =
        new JsonObject()
            .put("timestamp", DAY.plusSeconds(100).toString())
            .put("direction", 1)
            .put("dpu_id", "283");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Reply>> replies = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        TestServer node = i % 2 == 0 ? first : second;
        replies.add(pool.submit(() -> node.postJson("/send", datapoint)));
      }
      int accepted = 0;
      for (Future<Reply> r : replies) {
        assertEquals(200, r.get().status(), r.get().json().encode());
        accepted += r.get().json().getBoolean("duplicate") ? 0 : 1;
      }
      assertEquals(1, accepted);
    } finally {
      pool.shutdown();
    }
    contract.add("283", DAY.plusSeconds(100).toString(), 1);
    assertBothAnswerLikeTheContract();
  }

  @Test
  @DisplayName(
      "when the counting node stops, the standby takes over and nothing is lost or doubled")
  void standbyTakesOver() {
    List<JsonObject> day = SeedBuilding.day(DAY, DAY.plus(Duration.ofDays(1)), 150, 9);
    int half = day.size() / 2;
    second.feed(contract, day.subList(0, half));
    first.stop(); // the leader and the only counter go; the second node starts its own counter
    TestServer counter = second.node("counter").start();
    try {
      Instant deadline = Instant.now().plusSeconds(20);
      Reply reply = null;
      while (Instant.now().isBefore(deadline)) {
        reply =
            second.postJson(
                "/v1/datapoints",
                new io.vertx.core.json.JsonArray(new ArrayList<>(day.subList(half, half + 1))));
        if (reply.status() == 200) {
          break;
        }
      }
      assertEquals(200, reply.status(), "the standby leads within the deadline: " + reply);
      second.feed(contract, day.subList(half, day.size()));
      for (String space : List.of("A", "B")) {
        assertEquals(
            contract.realtime(space),
            second.get("/?space=" + space).json().getInteger("count"),
            space);
      }
      assertEquals((long) contract.distinctDatapoints(), second.countRows("datapoint"));
      assertTrue(second.countRows("uncounted_batch") == 0);
    } finally {
      counter.close();
    }
  }

  @Test
  @DisplayName(
      "a node that only serves HTTP asks every service on another node: typed requests cross the cluster")
  void everyServiceAcrossNodes() {
    first.feed(contract, SeedBuilding.day(DAY, DAY.plus(Duration.ofDays(1)), 150, 8));
    TestServer front = first.node("http").start();
    try {
      // Registry: a space written through the front is the one every node reads.
      JsonObject space =
          new JsonObject()
              .put("name", "Zed ☃")
              .put("capacity", 12)
              .put("daily_reset", "04:00")
              .put("time_zone", "Europe/Paris");
      assertEquals(201, front.putJson("/v1/spaces/Z", space).status());
      Reply z = first.get("/v1/spaces/Z");
      assertEquals("Zed ☃", z.json().getString("name"));
      assertEquals("04:00", z.json().getString("daily_reset"));
      assertEquals(z.json(), front.get("/v1/spaces/Z").json());
      // Bulk: each item checked at the front, the valid one written by the registry.
      Reply bulk =
          front.postJson(
              "/v1/bulk/dpus",
              new io.vertx.core.json.JsonArray()
                  .add(new JsonObject().put("id", "front-1"))
                  .add(new JsonObject().put("id", "front-1")));
      assertEquals(200, bulk.status(), bulk.json().encode());
      assertEquals(1, bulk.json().getInteger("created"));
      assertEquals("id", bulk.json().getJsonArray("results").getJsonObject(1).getString("field"));

      // Tokens: made through the front, checked by it for the next request, then revoked.
      Reply made = front.postJson("/v1/tokens", new JsonObject().put("scope", "read"));
      assertEquals(201, made.status(), made.json().encode());
      String bearer = "Bearer " + made.json().getString("token");
      assertEquals(200, front.sendAs(bearer, "GET", "/v1/spaces/Z", null).status());
      long id = made.json().getLong("id");
      assertEquals(200, front.send("/v1/tokens/" + id, "DELETE", null, "").status());
      Await.until(
          () -> front.sendAs(bearer, "GET", "/v1/spaces/Z", null).status() == 401,
          Duration.ofSeconds(5));

      // Alert management: rules put through the front are read back through the first node.
      JsonObject rules =
          new JsonObject()
              .put(
                  "levels",
                  new io.vertx.core.json.JsonArray()
                      .add(new JsonObject().put("name", "full").put("level", "capacity")));
      assertEquals(200, front.putJson("/v1/spaces/Z/alerts", rules).status());
      assertEquals(
          first.get("/v1/spaces/Z/alerts").json(), front.get("/v1/spaces/Z/alerts").json());

      // History and queries: the front gives the answers of a node that has the services.
      String day = "start=" + DAY + "&end=" + DAY.plus(Duration.ofDays(1));
      for (String path :
          List.of(
              "/v1/spaces/A/counts?" + day + "&interval=1h&tz=Europe/Paris&by=doorway",
              "/v1/spaces/A/events?limit=3&" + day,
              "/v1/spaces/A/resets",
              "/v1/spaces/A/utilization?start=2024-09-02&end=2024-09-03",
              "/v1/spaces/A/count",
              "/v1/spaces/A/count?at=" + DAY.plus(Duration.ofHours(12)),
              "/count?space=A&timestamp=" + DAY.plus(Duration.ofHours(12)),
              "/v1/dpus/283")) {
        Reply there = first.get(path);
        assertEquals(200, there.status(), path + ": " + there.json().encode());
        assertEquals(there.json(), front.get(path).json(), path);
      }
      String next = first.get("/v1/spaces/A/events?limit=3&" + day).json().getString("next");
      String page = "/v1/spaces/A/events?limit=3&" + day + "&after=" + next;
      assertEquals(first.get(page).json(), front.get(page).json());
      assertEquals(200, front.get("/v1/dpu-activity?silent_minutes=5&limit=2").status());
    } finally {
      front.close();
    }
  }
}
