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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A node killed with SIGKILL during ingest loses no acknowledged datapoint")
class NodeKillTest {
  private static final Instant DAY = Instant.parse("2024-12-02T00:00:00Z");
  private TestServer database;
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final String cluster = "density-kill-" + UUID.randomUUID();

  @BeforeEach
  void twoNodeProcesses() throws Exception {
    database = new TestServer(); // a database and Redis prefix of its own; the nodes are processes
    for (int i = 0; i < 2; i++) {
      nodes.add(start(Ports.free(), "node-" + i));
    }
    String token = database.createToken("admin"); // the nodes applied the schema
    nodes.forEach(n -> n.token(token));
    for (Object[] r : SeedBuilding.provisioning()) {
      assertTrue(
          nodes.get(1).send((String) r[0], (String) r[1], ((JsonObject) r[2]).encode()).statusCode()
              < 300);
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (NodeProcess n : nodes) {
      n.process.destroy();
      n.process.waitFor();
    }
    database.close();
  }

  private NodeProcess start(int port, String name) throws IOException {
    return NodeProcess.startReady(
        database,
        port,
        cluster + "-" + name, // the node's log, for a failed run
        Map.of("DENSITY_CLUSTER", "true", "DENSITY_CLUSTER_NAME", cluster));
  }

  @Test
  @DisplayName(
      "the leader is killed mid-load; clients retry on the survivor; every ack is stored and counted once; the node comes back and rejoins")
  void killTheLeader() throws Exception {
    List<JsonObject> day = SeedBuilding.day(DAY, DAY.plus(Duration.ofDays(1)), 400, 12);
    Set<String> acknowledged = new HashSet<>();
    int batch = 20;
    boolean killed = false;
    for (int i = 0; i < day.size(); i += batch) {
      List<JsonObject> items = day.subList(i, Math.min(day.size(), i + batch));
      if (!killed && i >= day.size() / 3) {
        nodes.get(0).process.destroyForcibly(); // SIGKILL: the first node leads and inserts
        killed = true;
      }
      JsonArray body = new JsonArray(new ArrayList<>(items));
      Instant deadline = Instant.now().plusSeconds(60);
      boolean stored = false;
      for (int attempt = 0; !stored && Instant.now().isBefore(deadline); attempt++) {
        NodeProcess node = nodes.get(killed ? 1 : attempt % 2);
        try {
          HttpResponse<String> r = node.send("POST", "/v1/datapoints", body.encode());
          stored = r.statusCode() == 200;
        } catch (IOException refused) {
          stored = false;
        }
      }
      assertTrue(stored, "a batch was acknowledged by a surviving node within the deadline");
      items.forEach(
          d ->
              acknowledged.add(
                  d.getString("dpu_id") + "|" + Instant.parse(d.getString("timestamp"))));
    }

    // Every acknowledged datapoint is in PostgreSQL ...
    Set<String> stored = new HashSet<>();
    database
        .rows("SELECT dpu_id, ts FROM datapoint")
        .forEach(
            r -> stored.add(r.getString("dpu_id") + "|" + r.getOffsetDateTime("ts").toInstant()));
    assertTrue(stored.containsAll(acknowledged), "no acknowledged datapoint lost");
    // ... and the counts of everything stored are the contract's, counted once.
    ContractModel contract = ContractModel.seedBuilding();
    database
        .rows("SELECT dpu_id, ts, direction FROM datapoint")
        .forEach(
            r ->
                contract.add(
                    r.getString("dpu_id"),
                    r.getOffsetDateTime("ts").toInstant().toString(),
                    r.getShort("direction")));
    Instant deadline = Instant.now().plusSeconds(30);
    boolean equal = false;
    while (!equal && Instant.now().isBefore(deadline)) {
      equal = true;
      for (String space : List.of("A", "B")) {
        JsonObject answer =
            new JsonObject(nodes.get(1).send("GET", "/v1/spaces/" + space + "/count", null).body());
        equal &= answer.getInteger("count") == contract.realtime(space);
      }
    }
    assertTrue(equal, "the survivor's counts equal the contract's");
    for (Instant t = DAY;
        t.isBefore(DAY.plus(Duration.ofDays(1)));
        t = t.plus(Duration.ofHours(2))) {
      JsonObject answer =
          new JsonObject(nodes.get(1).send("GET", "/v1/spaces/A/count?at=" + t, null).body());
      assertEquals(contract.countAsOf("A", t), answer.getInteger("count"), "A as of " + t);
    }
    // Batches the killed node committed but had not closed are closed by the recovery sweep.
    assertTrue(
        Await.until(() -> database.countRows("uncounted_batch") == 0, Duration.ofSeconds(30)),
        "every batch closed");

    // The killed node comes back, joins the cluster and answers like the survivor.
    nodes.set(0, start(nodes.get(0).port, "node-0-again"));
    nodes.get(0).token(nodes.get(1).token());
    for (String space : List.of("A", "B")) {
      JsonObject answer =
          new JsonObject(nodes.get(0).send("GET", "/v1/spaces/" + space + "/count", null).body());
      assertEquals(
          contract.realtime(space), answer.getInteger("count"), space + " from the returning node");
    }
  }
}
