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
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A node killed (SIGKILL) while it holds the corrections an effect placed in a tail made to the
 * stored counts after it: the batch that made them is answered but not closed, so the next node's
 * recovery sweep counts it again and the stored counts end as the contract's.
 */
@DisplayName("Corrections held when the node dies are derived again by the recovery sweep")
class HeldCorrectionsKillTest {
  private static final Instant T0 = Instant.parse("2024-12-02T09:00:00Z");
  private final TestServer database = new TestServer(); // PostgreSQL and Redis of its own
  private NodeProcess node;

  @AfterEach
  void stop() throws Exception {
    node.process.destroy();
    node.process.waitFor();
    database.close();
  }

  private NodeProcess start(String name) throws IOException {
    NodeProcess started =
        NodeProcess.start(
            database,
            Ports.free(),
            "held-corrections-" + name + "-" + UUID.randomUUID(),
            // held as long as the contract's reconciliation lag allows, so the kill finds them
            Map.of(
                "DENSITY_INGEST_CORRECTION_DELAY_MS",
                "1000",
                "DENSITY_INGEST_RECOVERY_INTERVAL_MS",
                "500"));
    assertTrue(started.awaitReady(Duration.ofSeconds(60)), name + " ready in time");
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
    node = start("first");
    String token = database.createToken("admin"); // the node applied the schema
    node.token(token);
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
    node.process.destroyForcibly();
    node.process.waitFor();
    assertEquals(1, open, "the batch that made the corrections is not closed while they are held");
    assertNotEquals(contract.countsAfterEachEffect("A"), before, "A's corrections were held");

    node = start("second");
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
