package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.dev.SeedBuilding;
import io.density.load.BuildingSimulator;
import io.density.support.Await;
import io.density.support.ContractModel;
import io.density.support.CountAssertions;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Counting shards spread over every node of a cluster, and move when nodes come and go")
class CountingShardsTest {
  private static final Instant DAY = Instant.parse("2024-10-07T00:00:00Z");
  private static final String ALL_ROLES = "counter,persistence,query,history,registry,alerts,http";

  private final ContractModel contract = ContractModel.seedBuilding();
  private final List<TestServer> nodes = new ArrayList<>();
  private int shards;

  /** Two nodes with every role, the given persistence verticles inserting. */
  private void twoNodes(String inserters) {
    TestServer first = new TestServer().clustered("density-shards-" + UUID.randomUUID());
    first.config = first.config.with("ingest", "inserters", inserters);
    nodes.add(first.start());
    nodes.add(first.node(ALL_ROLES).start());
    first.provisionSeedBuilding();
    shards = first.config.ingest().countingShards();
    assertTrue(
        Await.until(() -> fairlyShared(2), Duration.ofSeconds(10)),
        "shares: " + nodes.get(0).shardsHeldByEach());
  }

  @AfterEach
  void stop() {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
  }

  /** Each of n writers holds floor(S/n) or ceil(S/n) shards, and every shard is held. */
  private boolean fairlyShared(int n) {
    List<Integer> shares = nodes.get(0).shardsHeldByEach();
    return shares.size() == n
        && shares.stream().mapToInt(Integer::intValue).sum() == shards
        && shares.get(0) >= shards / n
        && shares.get(n - 1) <= (shards + n - 1) / n;
  }

  /** Sends the datapoints in batches of 150, alternating nodes, from four clients at once. */
  private void feedThroughEveryNode(List<JsonObject> day) throws Exception {
    ExecutorService clients = Executors.newFixedThreadPool(4);
    try {
      List<Future<Reply>> replies = new ArrayList<>();
      for (int from = 0, i = 0; from < day.size(); from += 150, i++) {
        TestServer node = nodes.get(i % nodes.size());
        JsonArray batch =
            new JsonArray(new ArrayList<>(day.subList(from, Math.min(day.size(), from + 150))));
        replies.add(clients.submit(() -> node.postJson("/v1/datapoints", batch)));
      }
      for (Future<Reply> reply : replies) {
        assertEquals(200, reply.get().status(), reply.get().json().encode());
        assertEquals(0, reply.get().json().getInteger("rejected"));
      }
    } finally {
      clients.shutdown();
    }
    day.forEach(
        d ->
            contract.add(
                d.getString("dpu_id"), d.getString("timestamp"), d.getInteger("direction")));
  }

  private void assertEveryNodeAnswersLikeTheContract() {
    for (TestServer node : nodes) {
      for (String space : List.of("A", "B")) {
        CountAssertions.assertCountsLikeTheContract(
            node, contract, space, DAY, DAY.plus(Duration.ofDays(2)), Duration.ofHours(3));
      }
    }
    assertEquals(contract.distinctDatapoints(), nodes.get(0).countRows("datapoint"));
    assertEquals(0, nodes.get(0).countRows("uncounted_batch"));
  }

  @Test
  @DisplayName(
      "two nodes each count a fair share of the shards; ingest through both counts like the contract")
  void twoNodesShareTheShards() throws Exception {
    twoNodes("leader");
    feedThroughEveryNode(SeedBuilding.day(DAY, DAY.plus(Duration.ofDays(1)), 150, 21));
    assertEveryNodeAnswersLikeTheContract();
  }

  @Test
  @DisplayName(
      "the parts of a batch that one node counts are stored in one transaction, whichever node"
          + " inserted the batch")
  void eachNodeStoresItsPartsOfABatchTogether() {
    twoNodes("leader");
    TestServer leader = nodes.get(0);
    ContractModel building = new ContractModel();
    leader.provisionSimulatedBuilding(building, DAY.minus(Duration.ofDays(1)));
    List<JsonObject> day = new ArrayList<>();
    BuildingSimulator.simulate(DAY, DAY.plus(Duration.ofDays(1)), 300, 0.0, 27)
        .forEach(c -> day.add(c.toJson()));
    for (int from = 0; from < day.size(); from += 200) {
      Reply reply =
          nodes
              .get(from / 200 % 2)
              .postJson(
                  "/v1/datapoints",
                  new JsonArray(
                      new ArrayList<>(day.subList(from, Math.min(day.size(), from + 200)))));
      assertEquals(200, reply.status(), reply.json().encode());
    }
    day.forEach(
        d ->
            building.add(
                d.getString("dpu_id"), d.getString("timestamp"), d.getInteger("direction")));
    // The five spaces fall in four shards, shared by two nodes: a batch's rows come from at most
    // two transactions, one per node, where each part on its own made one each.
    int spread = 0;
    for (Row batch :
        leader.rows(
            """
            SELECT d.batch_id, array_agg(DISTINCT c.space_id) AS spaces,
                   count(DISTINCT c.xmin::text) AS transactions
              FROM space_count c JOIN datapoint d ON d.id = c.datapoint_id
             GROUP BY d.batch_id
            """)) {
      Set<Integer> batchShards = new TreeSet<>();
      for (String space : batch.getArrayOfStrings("spaces")) {
        batchShards.add(Math.floorMod(space.hashCode(), shards));
      }
      spread = Math.max(spread, batchShards.size());
      assertTrue(
          batch.getLong("transactions") <= 2,
          "batch " + batch.getLong("batch_id") + " over shards " + batchShards);
    }
    assertTrue(spread >= 3, "some batch spans three shards or more: " + spread);
    for (TestServer node : nodes) {
      for (String space : BuildingSimulator.SPACES) {
        CountAssertions.assertCountsLikeTheContract(
            node, building, space, DAY, DAY.plus(Duration.ofDays(1)), Duration.ofHours(2));
      }
    }
  }

  @Test
  @DisplayName(
      "every node inserting its own datapoints, ingest through both counts like the contract")
  void everyNodeInserts() throws Exception {
    twoNodes("every");
    feedThroughEveryNode(SeedBuilding.day(DAY, DAY.plus(Duration.ofDays(1)), 150, 26));
    assertEveryNodeAnswersLikeTheContract();
  }

  @Test
  @DisplayName(
      "a node that leaves hands its shards over within about a second; one that joins gets its share")
  void shardsMoveWithTheNodes() throws Exception {
    twoNodes("leader");
    feedThroughEveryNode(SeedBuilding.day(DAY, DAY.plus(Duration.ofHours(12)), 150, 22));

    nodes.remove(1).close();
    assertTrue(
        Await.until(() -> fairlyShared(1), Duration.ofSeconds(2)),
        "taken over: " + nodes.get(0).shardsHeldByEach());
    feedThroughEveryNode(
        SeedBuilding.day(DAY.plus(Duration.ofHours(12)), DAY.plus(Duration.ofDays(1)), 150, 23));
    assertEveryNodeAnswersLikeTheContract();

    nodes.add(nodes.get(0).node(ALL_ROLES).start());
    nodes.add(nodes.get(0).node(ALL_ROLES).start());
    assertTrue(
        Await.until(() -> fairlyShared(3), Duration.ofSeconds(10)),
        "shares: " + nodes.get(0).shardsHeldByEach());
    feedThroughEveryNode(
        SeedBuilding.day(DAY.plus(Duration.ofDays(1)), DAY.plus(Duration.ofDays(2)), 150, 24));
    assertEveryNodeAnswersLikeTheContract();
  }

  @Test
  @DisplayName(
      "every node inserting, a reset and a replay run while both ingest: every count stays the contract's")
  void drainedWorkWhileBothNodesIngest() throws Exception {
    twoNodes("every");
    List<JsonObject> day = SeedBuilding.day(DAY, DAY.plus(Duration.ofDays(1)), 150, 25);
    feedThroughEveryNode(day.subList(0, day.size() / 2));
    ExecutorService admin = Executors.newSingleThreadExecutor();
    try {
      Instant resetAt = DAY.plus(Duration.ofHours(6));
      Future<Reply> reset =
          admin.submit(
              () ->
                  nodes
                      .get(1)
                      .postJson(
                          "/v1/spaces/A/resets",
                          new JsonObject().put("timestamp", resetAt.toString()).put("count", 3)));
      Future<Reply> replay =
          admin.submit(() -> nodes.get(0).postJson("/v1/admin/replay", new JsonObject()));
      feedThroughEveryNode(day.subList(day.size() / 2, day.size()));
      assertTrue(reset.get().status() < 300, reset.get().json().encode());
      assertEquals(200, replay.get().status(), replay.get().json().encode());
      contract.reset("A", resetAt, 3);
    } finally {
      admin.shutdown();
    }
    assertEveryNodeAnswersLikeTheContract();
  }
}
