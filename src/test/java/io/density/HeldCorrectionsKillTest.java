package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.dev.SeedBuilding;
import io.density.support.ContractModel;
import io.density.support.NodeProcess;
import io.density.support.Ports;
import io.density.support.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A node killed (SIGKILL) while it holds the corrections an effect placed in a tail made to the
 * stored counts after it: the batch that made them is answered but not closed, so the next node's
 * recovery sweep counts it again and the stored counts end as the contract's. Alone, and as the
 * owner of a counting shard whose part another node's batch sent it (that node answers its client
 * once the part is stored, and closes the batch only once the owner has written the corrections).
 */
@DisplayName("Corrections held when the node dies are derived again by the recovery sweep")
class HeldCorrectionsKillTest {
  private static final Instant T0 = Instant.parse("2024-12-02T09:00:00Z");
  private final TestServer database = new TestServer(); // PostgreSQL and Redis of its own
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final String cluster = "held-corrections-" + UUID.randomUUID();

  /** The node the datapoints are sent to, and the one killed holding corrections. */
  private NodeProcess node;

  private NodeProcess owner;

  @AfterEach
  void stop() throws Exception {
    for (NodeProcess n : nodes) {
      n.process.destroy();
      n.process.waitFor();
    }
    database.close();
  }

  private NodeProcess start(String name, Map<String, String> more) throws IOException {
    Map<String, String> env = new HashMap<>(more);
    // held as long as the contract's reconciliation lag allows, so the kill finds them
    env.put("DENSITY_INGEST_CORRECTION_DELAY_MS", "1000");
    env.put("DENSITY_INGEST_RECOVERY_INTERVAL_MS", "500");
    NodeProcess started = NodeProcess.startReady(database, Ports.free(), cluster + "-" + name, env);
    nodes.add(started);
    return started;
  }

  private static JsonObject datapoint(String dpu, Instant ts, int direction) {
    return new JsonObject()
        .put("dpu_id", dpu)
        .put("timestamp", ts.toString())
        .put("direction", direction);
  }

  private void post(ContractModel contract, List<JsonObject> datapoints) throws Exception {
    var reply = node.send("POST", "/v1/datapoints", new JsonArray(datapoints).encode());
    assertEquals(200, reply.statusCode(), reply.body());
    datapoints.forEach(
        d ->
            contract.add(
                d.getString("dpu_id"), d.getString("timestamp"), d.getInteger("direction")));
  }

  private List<Integer> stored(String space) {
    return database
        .rows(
            "SELECT count FROM space_count WHERE space_id = $1"
                + " ORDER BY ts, delta DESC, datapoint_id",
            space)
        .stream()
        .map(r -> r.getInteger(0))
        .toList();
  }

  @Test
  @DisplayName(
      "killed holding corrections: the batch stays open, and once counted again every stored"
          + " count is the contract's")
  void killedHoldingCorrections() throws Exception {
    node = start("first", Map.of());
    owner = node;
    String token = database.createToken("admin"); // the node applied the schema
    node.token(token);
    killTheOwnerHoldingCorrections(token, () -> start("second", Map.of()));
  }

  @Test
  @DisplayName(
      "in a cluster, the owner of the shard killed holding the corrections of another node's"
          + " batch: that batch stays open, and the survivor's sweep counts it again")
  void ownerKilledHoldingAnotherNodesCorrections() throws Exception {
    // One counting shard: the first node takes it; the second, which inserts the batches it is
    // sent, has each one's part counted by the first over the bus.
    Map<String, String> clustered =
        Map.of(
            "DENSITY_CLUSTER", "true",
            "DENSITY_CLUSTER_NAME", cluster,
            "DENSITY_INGEST_COUNTING_SHARDS", "1",
            "DENSITY_INGEST_INSERTERS", "every",
            // the survivor stops waiting for the dead owner's answer within this
            "DENSITY_INGEST_PART_TIMEOUT_MS", "3000");
    owner = start("owner", clustered);
    node = start("inserter", clustered);
    String token = database.createToken("admin");
    owner.token(token);
    node.token(token);
    assertEquals(
        List.of(1), database.shardsHeldByEach(), "the shard is held by one node, the first");
    killTheOwnerHoldingCorrections(token, () -> node);
  }

  /** Something that may throw, for a node to go on with. */
  private interface NextNode {
    NodeProcess get() throws Exception;
  }

  /**
   * Provisions the seed building through {@code node}, sends it datapoints in order, then one that
   * makes corrections; kills {@code owner} while it holds them; {@code next} is the node that
   * counts the batch again.
   */
  private void killTheOwnerHoldingCorrections(String token, NextNode next) throws Exception {
    for (Object[] r : SeedBuilding.provisioning()) {
      assertTrue(
          node.send((String) r[0], (String) r[1], ((JsonObject) r[2]).encode()).statusCode() < 300);
    }
    ContractModel contract = ContractModel.seedBuilding();
    // In order: five entries into A through X (283), then two exits through Z (423: A -1, B +1).
    post(
        contract,
        List.of(
            datapoint("283", T0.plusSeconds(1), 1),
            datapoint("283", T0.plusSeconds(2), 1),
            datapoint("283", T0.plusSeconds(3), 1),
            datapoint("283", T0.plusSeconds(4), 1),
            datapoint("283", T0.plusSeconds(5), 1),
            datapoint("423", T0.plusSeconds(6), -1),
            datapoint("423", T0.plusSeconds(7), -1)));
    database.awaitCorrectionsWritten(); // none were made: in order
    // An entry through Z five seconds late, within the window: placed in A's tail (and B's, where
    // the clamp at zero absorbs it), it changes the stored counts of the six effects after it in A.
    post(contract, List.of(datapoint("423", T0.plusMillis(1500), 1)));
    // Held: the batch is answered and still open, A's stored counts still the ones first computed.
    long open = database.countRows("uncounted_batch");
    List<Integer> before = stored("A");
    owner.process.destroyForcibly();
    owner.process.waitFor();
    assertEquals(1, open, "the batch that made the corrections is not closed while they are held");
    assertNotEquals(contract.countsAfterEachEffect("A"), before, "A's corrections were held");

    node = next.get();
    node.token(token);
    database.awaitCorrectionsWritten(); // the sweep counted the open batch again
    for (String space : List.of("A", "B")) {
      assertEquals(contract.countsAfterEachEffect(space), stored(space), space + " stored");
      JsonObject now =
          new JsonObject(node.send("GET", "/v1/spaces/" + space + "/count", null).body());
      assertEquals(contract.realtime(space), now.getInteger("count"), space + " now");
    }
  }
}
