package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import io.density.support.Await;
import io.density.support.ContractModel;
import io.density.support.CountAssertions;
import io.density.support.Ports;
import io.density.support.TcpProxy;
import io.density.support.TestServer;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Two nodes whose cluster traffic (Hazelcast and the event bus) runs through proxies the test cuts
 * and heals, while both keep PostgreSQL and Redis: the second node, owner of half the counting
 * shards, is cut off from the leader (which inserts) several times during ingest, as a network
 * fault, a firewall change or a long pause would. Its parts time out at the leader; the batches
 * that needed them are counted once it is back.
 */
@DisplayName("A node cut off from the cluster during ingest, keeping PostgreSQL and Redis")
class PartitionTest {
  private static final java.util.logging.Logger LOG =
      java.util.logging.Logger.getLogger(PartitionTest.class.getName());
  private static final Instant DAY = Instant.parse("2024-12-09T00:00:00Z");
  private static final String ALL_ROLES = "counter,persistence,query,history,registry,alerts,http";
  private static final int ROOMS = 8;
  private static final long ACK_TIMEOUT_MS = 4_000;

  /** How long a sensor move may take while a node is cut off: less than a bus request's timeout. */
  private static final Duration MOVE_WITHIN = Duration.ofSeconds(25);

  /**
   * Sent to the leader alone during the first cut: a datapoint for every room, so its batch has a
   * part for every shard and waits for the node cut off.
   */
  private static final JsonArray PROBE = new JsonArray();

  static {
    for (int i = 0; i < ROOMS; i++) {
      PROBE.add(datapoint("d" + i, DAY.plus(Duration.ofHours(23)).toEpochMilli() + i, 1));
    }
  }

  private final ContractModel contract = ContractModel.seedBuilding();
  private final List<TcpProxy> lines = new ArrayList<>();
  private final String clusterName = "density-partition-" + UUID.randomUUID();
  private TestServer leader;
  private TestServer cutOff;

  /** A node's Hazelcast behind a proxy: it binds {@code port}, the others reach it by the proxy. */
  private static Consumer<Config> hazelcastThrough(int port, TcpProxy line, TcpProxy seed) {
    return hz -> {
      hz.getNetworkConfig()
          .setPort(port)
          .setPortAutoIncrement(false)
          .setPublicAddress("127.0.0.1:" + line.port());
      hz.getNetworkConfig()
          .getJoin()
          .getTcpIpConfig()
          .setMembers(List.of("127.0.0.1:" + seed.port()));
    };
  }

  private static Consumer<EventBusOptions> busThrough(int port, TcpProxy line) {
    return bus -> bus.setPort(port).setClusterPublicPort(line.port());
  }

  @BeforeEach
  void twoNodesThroughProxies() {
    int hz1 = Ports.free();
    int bus1 = Ports.free();
    int hz2 = Ports.free();
    int bus2 = Ports.free();
    TcpProxy hz1Line = new TcpProxy("127.0.0.1", hz1);
    TcpProxy bus1Line = new TcpProxy("127.0.0.1", bus1);
    TcpProxy hz2Line = new TcpProxy("127.0.0.1", hz2);
    TcpProxy bus2Line = new TcpProxy("127.0.0.1", bus2);
    lines.addAll(List.of(hz1Line, bus1Line, hz2Line, bus2Line));

    leader = new TestServer().clustered(clusterName);
    leader.config =
        leader
            .config
            .with("ingest", "partTimeoutMs", 1_000)
            .with("ingest", "partDeadlineMs", 2_500)
            .with("ingest", "ackTimeoutMs", ACK_TIMEOUT_MS)
            .with("ingest", "recoveryIntervalMs", 500)
            .with("ingest", "stalledBatchSeconds", 2)
            .with("ingest", "leaderUnreachableMs", 12_000);
    // The first node leads: it inserts every batch and sends each part to its shard's owner.
    leader.start(hazelcastThrough(hz1, hz1Line, hz1Line), busThrough(bus1, bus1Line));
    cutOff = leader.node(ALL_ROLES);
    cutOff.start(hazelcastThrough(hz2, hz2Line, hz1Line), busThrough(bus2, bus2Line));
    provision();
    assertTrue(
        Await.until(() -> leader.shardsHeldByEach().equals(List.of(4, 4)), Duration.ofSeconds(20)),
        "each node counts half the shards: " + leader.shardsHeldByEach());
  }

  @AfterEach
  void stop() {
    lines.forEach(TcpProxy::restore);
    if (cutOff != null) {
      cutOff.close();
    }
    if (leader != null) {
      leader.close();
    }
    lines.forEach(TcpProxy::close);
  }

  /** The seed building, and rooms R0..R7 each with a DPU over its door: every shard has spaces. */
  private void provision() {
    leader.provisionSeedBuilding();
    String from = "2018-01-01T00:00:00Z";
    for (int i = 0; i < ROOMS; i++) {
      assertTrue(
          leader.putJson("/v1/spaces/R" + i, new JsonObject().put("name", "R" + i)).status() < 300);
      assertTrue(
          leader.putJson("/v1/doorways/W" + i, new JsonObject().put("name", "W" + i)).status()
              < 300);
      assertTrue(
          leader.putJson("/v1/dpus/d" + i, new JsonObject().put("name", "d" + i)).status() < 300);
      TestServer.Reply link =
          leader.postJson(
              "/v1/links",
              new JsonObject()
                  .put("dpu_id", "d" + i)
                  .put("doorway_id", "W" + i)
                  .put("space_id", "R" + i)
                  .put("sensor_placement", 1)
                  .put("valid_from", from));
      assertTrue(link.status() < 300, link.toString());
      contract.link("d" + i, "R" + i, 1, Instant.parse(from));
    }
  }

  /** A day of people in the seed building and the rooms, in timestamp order. */
  private static List<JsonObject> traffic() {
    List<JsonObject> all =
        new ArrayList<>(
            io.density.dev.SeedBuilding.day(DAY, DAY.plus(Duration.ofDays(1)), 120, 41));
    Random random = new Random(42);
    for (int i = 0; i < ROOMS; i++) {
      for (int v = 0; v < 25; v++) {
        long in = DAY.toEpochMilli() + (long) (random.nextDouble() * 20 * 3_600_000.0);
        long out = in + 60_000 + (long) (random.nextDouble() * 3_600_000.0);
        all.add(datapoint("d" + i, in, 1));
        all.add(datapoint("d" + i, out, -1));
      }
    }
    all.sort(Comparator.comparing(d -> Instant.parse(d.getString("timestamp"))));
    return all;
  }

  private static JsonObject datapoint(String dpu, long millis, int direction) {
    return new JsonObject()
        .put("dpu_id", dpu)
        .put("timestamp", Instant.ofEpochMilli(millis).toString())
        .put("direction", direction);
  }

  /**
   * Whether the cluster is whole again: both Hazelcast members see each other, and the node cut off
   * reaches the leader over the event bus (as its shard ownership checks).
   */
  private boolean oneCluster() {
    boolean merged =
        com.hazelcast.core.Hazelcast.getAllHazelcastInstances().stream()
            .filter(h -> h.getConfig().getClusterName().equals(clusterName))
            .allMatch(h -> h.getCluster().getMembers().size() == 2);
    if (!merged) {
      return false;
    }
    try {
      cutOff
          .vertx()
          .eventBus()
          .request(
              io.density.bus.Addresses.LEADER_PING,
              new JsonObject(),
              new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(1_000))
          .await();
      return true;
    } catch (RuntimeException unreachable) {
      return false;
    }
  }

  /** Whether the leader's readiness says counting is stalled, naming the batch and its age. */
  private boolean stalledSaysReadiness() {
    for (Object o : leader.get("/ready").json().getJsonArray("checks")) {
      JsonObject check = (JsonObject) o;
      JsonObject data = check.getJsonObject("data");
      if ("counting".equals(check.getString("id"))
          && "UP".equals(check.getString("status"))
          && data != null
          && data.getBoolean("stalled", false)) {
        return data.getLong("oldest_uncounted_batch") > 0 && data.getLong("age_seconds") >= 2;
      }
    }
    return false;
  }

  /**
   * Every other room's DPU moves to the next room's door from 02:00 on (before the batches left
   * uncounted).
   */
  private void moveRoomSensors() {
    Instant at = DAY.plus(Duration.ofHours(2));
    for (int i = 0; i < ROOMS; i += 2) {
      int next = (i + 1) % ROOMS;
      JsonObject body =
          new JsonObject()
              .put("doorway_id", "W" + next)
              .put("at", at.toString())
              .put(
                  "links",
                  new JsonArray()
                      .add(
                          new JsonObject().put("space_id", "R" + next).put("sensor_placement", 1)));
      long started = System.nanoTime();
      // Answered by this node's registry within seconds: one handed to the node cut off would wait
      // for its whole timeout.
      TestServer.Reply moved =
          leader.send(
              leader
                  .request("/v1/dpus/d" + i + "/move")
                  .timeout(MOVE_WITHIN)
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
                  .build());
      LOG.info(
          "moving d"
              + i
              + " took "
              + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)
              + " ms: "
              + moved.status());
      assertEquals(200, moved.status(), moved.json().encode());
      contract.close("d" + i, at).link("d" + i, "R" + next, 1, at);
    }
  }

  @Test
  @DisplayName(
      "cut three times during ingest: every request is answered within a bounded time, every datapoint is acknowledged, no batch stays uncounted, every answer is the contract's")
  void cutAndHealedDuringIngest() throws Exception {
    List<JsonObject> day = traffic();
    int size = 15;
    List<JsonArray> batches = new ArrayList<>();
    for (int from = 0; from < day.size(); from += size) {
      batches.add(
          new JsonArray(new ArrayList<>(day.subList(from, Math.min(day.size(), from + size)))));
    }
    AtomicInteger acknowledged = new AtomicInteger();
    AtomicInteger limit = new AtomicInteger(batches.size());
    AtomicInteger unavailable = new AtomicInteger();
    AtomicLong longestMs = new AtomicLong();
    TestServer[] nodes = {leader, cutOff};
    ExecutorService sender = Executors.newSingleThreadExecutor();
    ExecutorService prober = Executors.newSingleThreadExecutor();
    Future<Boolean> probe = null;
    Future<?> sending =
        sender.submit(
            () -> {
              int attempt = 0;
              for (int b = 0; b < batches.size(); b++) {
                JsonArray batch = batches.get(b);
                int index = b;
                assertTrue(
                    Await.until(() -> index < limit.get(), Duration.ofSeconds(240)),
                    "the test lets the sender on");
                Instant deadline = Instant.now().plusSeconds(120);
                boolean stored = false;
                while (!stored && Instant.now().isBefore(deadline)) {
                  TestServer node = nodes[attempt++ % 2];
                  long started = System.nanoTime();
                  HttpResponse<String> r;
                  try {
                    r = node.postWithHeaders("/v1/datapoints", batch.encode());
                  } catch (RuntimeException refused) {
                    continue;
                  }
                  longestMs.accumulateAndGet(
                      TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), Math::max);
                  if (r.statusCode() == 503) {
                    assertTrue(r.headers().firstValue("Retry-After").isPresent(), r.body());
                    assertTrue(r.body().contains("never counted twice"), r.body());
                    unavailable.incrementAndGet();
                  }
                  stored = r.statusCode() == 200;
                }
                assertTrue(stored, "a batch was acknowledged within the deadline");
                acknowledged.incrementAndGet();
              }
              return null;
            });
    try {
      for (int cut = 1; cut <= 3; cut++) {
        int progress = cut * batches.size() / 5;
        // A few batches more may go during the cut, so some are left for the next one.
        limit.set(progress + 4);
        assertTrue(
            Await.until(() -> acknowledged.get() >= progress, Duration.ofSeconds(90)),
            "ingest goes on between cuts: " + acknowledged.get() + " of " + batches.size());
        int before = unavailable.get();
        lines.forEach(TcpProxy::cut);
        LOG.info("cut " + cut + " after " + acknowledged.get() + " of " + batches.size());
        if (cut == 2) {
          // Once a batch is partly counted (the leader's shards' parts applied, the others' not),
          // sensors move, so the sweep reads that batch again with other links.
          assertTrue(
              Await.until(
                  () -> leader.metric("density_uncounted_batch_oldest_seconds") >= 1,
                  Duration.ofSeconds(20)),
              "a batch waits for the node cut off");
          moveRoomSensors();
        }
        if (cut == 1) {
          // A batch sent to the leader now is stored but cannot be counted (it has a part for
          // every shard): the readiness detail and the metric tell it.
          probe =
              prober.submit(
                  () -> {
                    Instant deadline = Instant.now().plusSeconds(120);
                    while (Instant.now().isBefore(deadline)) {
                      if (leader.postWithHeaders("/v1/datapoints", PROBE.encode()).statusCode()
                          == 200) {
                        return true;
                      }
                    }
                    return false;
                  });
          assertTrue(
              Await.until(
                  () ->
                      stalledSaysReadiness()
                          && leader.metric("density_uncounted_batch_oldest_seconds") >= 2,
                  Duration.ofSeconds(20)),
              "readiness and metric tell the stalled batch: "
                  + leader.get("/ready").json()
                  + ", "
                  + leader.metric("density_uncounted_batch_oldest_seconds")
                  + " s");
        }
        // Cut until senders have been told (503) that what they sent is not counted in time.
        boolean told = Await.until(() -> unavailable.get() > before, Duration.ofSeconds(30));
        if (cut == 3) {
          // Cut off for longer than a part's timeout, the node gives its shards up and the
          // leader's node takes them: ingest goes on during the cut.
          assertTrue(
              Await.until(
                  () -> leader.shardsHeldByEach().equals(List.of(8)), Duration.ofSeconds(30)),
              "the leader's node counts every shard: " + leader.shardsHeldByEach());
          int acknowledgedInCut = acknowledged.get();
          assertTrue(
              Await.until(() -> acknowledged.get() > acknowledgedInCut, Duration.ofSeconds(30)),
              "ingest goes on while the node is cut off");
        }
        lines.forEach(TcpProxy::restore);
        assertTrue(told, "a sender heard 503 while the owner of half the shards was cut off");
        // Healed: the cluster is whole again and the node counts its share, before the next cut.
        assertTrue(
            Await.until(
                () -> oneCluster() && leader.shardsHeldByEach().equals(List.of(4, 4)),
                Duration.ofSeconds(60)),
            "the node cut off counts its share again: " + leader.shardsHeldByEach());
        LOG.info("healed " + cut + " after " + acknowledged.get() + " of " + batches.size());
      }
      limit.set(batches.size());
      sending.get(240, TimeUnit.SECONDS);
      assertTrue(probe.get(150, TimeUnit.SECONDS), "the probe batch was acknowledged");
    } finally {
      lines.forEach(TcpProxy::restore);
      sender.shutdownNow();
      prober.shutdownNow();
    }
    assertEquals(batches.size(), acknowledged.get());
    assertTrue(
        longestMs.get() < ACK_TIMEOUT_MS + 5_000 + 3_000,
        "no request waited unanswered: the longest took " + longestMs.get() + " ms");
    day.addAll(PROBE.stream().map(o -> (JsonObject) o).toList());
    day.forEach(
        d ->
            contract.add(
                d.getString("dpu_id"), d.getString("timestamp"), d.getInteger("direction")));
    assertTrue(
        Await.until(() -> leader.countRows("uncounted_batch") == 0, Duration.ofSeconds(30)),
        "no batch stays uncounted");
    assertEquals(contract.distinctDatapoints(), leader.countRows("datapoint"));
    List<String> spaces = new ArrayList<>(List.of("A", "B"));
    for (int i = 0; i < ROOMS; i++) {
      spaces.add("R" + i);
    }
    for (TestServer node : nodes) {
      for (String space : spaces) {
        CountAssertions.assertCountsLikeTheContract(
            node, contract, space, DAY, DAY.plus(Duration.ofDays(1)), Duration.ofHours(2));
      }
    }
  }
}
