package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.dev.EmbeddedServices;
import io.density.load.SeedBuilding;
import io.density.support.Await;
import io.density.support.ContractModel;
import io.density.support.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
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
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private TestServer database;
  private final List<Process> nodes = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();
  private final String cluster = "density-kill-" + UUID.randomUUID();
  private String token;

  @BeforeEach
  void twoNodeProcesses() throws Exception {
    database = new TestServer(); // a database and Redis prefix of its own; the nodes are processes
    for (int i = 0; i < 2; i++) {
      int port = EmbeddedServices.freePort();
      ports.add(port);
      nodes.add(start(cluster, port, "node-" + i));
      awaitHealthy(port);
    }
    token = database.createToken("admin"); // the nodes applied the schema
    for (Object[] r : SeedBuilding.provisioning()) {
      assertTrue(
          send((String) r[0], ports.get(1), (String) r[1], ((JsonObject) r[2]).encode())
                  .statusCode()
              < 300);
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (Process p : nodes) {
      p.destroy();
      p.waitFor();
    }
    database.close();
  }

  private Process start(String cluster, int port, String name) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-opens") || a.startsWith("--add-exports"))
        .forEach(command::add);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.density.Main");
    ProcessBuilder builder = new ProcessBuilder(command);
    Map<String, String> env = builder.environment();
    env.put("DENSITY_PG_URL", database.config.postgres().url());
    env.put("DENSITY_REDIS_URL", database.config.redis().url());
    env.put("DENSITY_REDIS_PREFIX", database.config.redis().keyPrefix());
    env.put("DENSITY_HTTP_PORT", String.valueOf(port));
    env.put("DENSITY_HTTP_HOST", "127.0.0.1");
    env.put("DENSITY_CLUSTER", "true");
    env.put("DENSITY_CLUSTER_NAME", cluster);
    builder.redirectErrorStream(true);
    builder.redirectOutput(
        new File("target", cluster + "-" + name + ".log")); // the node's log, for a failed run
    return builder.start();
  }

  private void awaitHealthy(int port) {
    boolean healthy =
        Await.until(
            () -> {
              try {
                return send("GET", port, "/health", null).body().contains("\"outcome\":\"UP\"");
              } catch (IOException notYet) {
                return false; // starting
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
              }
            },
            Duration.ofSeconds(60));
    assertTrue(healthy, "node on port " + port + " healthy in time");
  }

  private HttpResponse<String> send(String method, int port, String path, String json)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(15));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    if (json != null) {
      request
          .header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(json));
    } else {
      request.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
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
        nodes.get(0).destroyForcibly(); // SIGKILL: the first node leads the counting
        killed = true;
      }
      JsonArray body = new JsonArray(new ArrayList<>(items));
      Instant deadline = Instant.now().plusSeconds(60);
      boolean stored = false;
      for (int attempt = 0; !stored && Instant.now().isBefore(deadline); attempt++) {
        int port = ports.get(killed ? 1 : attempt % 2);
        try {
          HttpResponse<String> r = send("POST", port, "/v1/datapoints", body.encode());
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
            new JsonObject(
                send("GET", ports.get(1), "/v1/spaces/" + space + "/count", null).body());
        equal &= answer.getInteger("count") == contract.realtime(space);
      }
    }
    assertTrue(equal, "the survivor's counts equal the contract's");
    for (Instant t = DAY;
        t.isBefore(DAY.plus(Duration.ofDays(1)));
        t = t.plus(Duration.ofHours(2))) {
      JsonObject answer =
          new JsonObject(send("GET", ports.get(1), "/v1/spaces/A/count?at=" + t, null).body());
      assertEquals(contract.countAsOf("A", t), answer.getInteger("count"), "A as of " + t);
    }
    // Batches the killed node committed but had not closed are closed by the recovery sweep.
    assertTrue(
        Await.until(() -> database.countRows("uncounted_batch") == 0, Duration.ofSeconds(30)),
        "every batch closed");

    // The killed node comes back, joins the cluster and answers like the survivor.
    nodes.set(0, start(cluster, ports.get(0), "node-0-again"));
    awaitHealthy(ports.get(0));
    for (String space : List.of("A", "B")) {
      JsonObject answer =
          new JsonObject(send("GET", ports.get(0), "/v1/spaces/" + space + "/count", null).body());
      assertEquals(
          contract.realtime(space), answer.getInteger("count"), space + " from the returning node");
    }
  }
}
