package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.dev.SeedBuilding;
import io.density.support.Await;
import io.density.support.ContractModel;
import io.density.support.TcpProxy;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The server's lines to PostgreSQL and Redis run through proxies the tests cut, as a network fault
 * or a restart would: no datapoint is acknowledged that is not stored and counted, reads go on
 * where they can, and the server recovers by itself.
 */
@DisplayName("Outages of PostgreSQL and Redis mid-ingest")
class OutagesTest {
  private static final Instant DAY = Instant.parse("2024-12-02T00:00:00Z");

  /**
   * The count PostgreSQL holds for space $1, read from the tables: that of its latest change in
   * contract order (a reset before the effects at its instant), NULL before any change.
   */
  private static final String LATEST_COUNT =
      """
      SELECT (SELECT count FROM (
                SELECT ts, 2 AS delta, 0::int8 AS datapoint_id, count
                  FROM space_reset WHERE space_id = $1
                UNION ALL
                SELECT ts, delta, datapoint_id, count FROM space_count WHERE space_id = $1
              ) changes
               ORDER BY ts DESC, delta ASC, datapoint_id DESC LIMIT 1) AS count
      """;

  private TestServer server;
  private TcpProxy postgres;
  private TcpProxy redis;

  @BeforeEach
  void start() {
    server = new TestServer();
    String pg = server.config.postgres().url();
    String rd = server.config.redis().url();
    postgres = TcpProxy.before(pg);
    redis = TcpProxy.before(rd);
    server.config =
        server
            .config
            .with("postgres", "url", postgres.through(pg))
            .with("redis", "url", redis.through(rd));
    server.start();
    server.provisionSeedBuilding();
  }

  @AfterEach
  void stop() {
    server.close();
    postgres.close();
    redis.close();
  }

  @Test
  @DisplayName(
      "PostgreSQL cut: ingest answers 503, realtime reads go on from Redis, ingest is back within"
          + " 5 s, and after a resend every count is exact")
  void postgresCut() throws Exception {
    Load load = new Load(day(41));
    load.untilSent(load.day.size() / 4);
    long cut = System.nanoTime();
    postgres.cut();
    load.untilAnsweredSince(cut, 20);
    for (String space : List.of("A", "B")) {
      Reply realtime = server.get("/v1/spaces/" + space + "/count");
      assertEquals(200, realtime.status(), "realtime reads answer from Redis: " + realtime);
    }
    long restored = System.nanoTime();
    postgres.restore();
    load.finish();

    load.assertNothingAcknowledgedBetween(cut, restored);
    double back = load.firstAcknowledgedAfter(restored);
    System.out.printf("PostgreSQL back: first acknowledged ingest after %.2f s%n", back);
    assertTrue(back <= 5, "ingest back within 5 s, took " + back);
    load.resendAndAssertExact();
  }

  @Test
  @DisplayName(
      "Redis cut and back empty: ingest answers 503 and stores, realtime reads come from"
          + " PostgreSQL, counts are exact again after its return")
  void redisCutAndBackEmpty() throws Exception {
    Load load = new Load(day(42));
    load.untilSent(load.day.size() / 4);
    long cut = System.nanoTime();
    redis.cut();
    load.untilAnsweredSince(cut, 20);
    for (String space : List.of("A", "B")) {
      // Nothing is counted while Redis is away, so PostgreSQL's count is settled.
      Reply realtime = server.get("/v1/spaces/" + space + "/count");
      assertEquals(200, realtime.status(), "realtime reads fall back to PostgreSQL: " + realtime);
      assertEquals(
          server.rows(LATEST_COUNT, space).get(0).getInteger("count"),
          realtime.json().getInteger("count"),
          space + " as PostgreSQL has it");
    }
    Reply dpu = server.get("/v1/dpus/283");
    assertEquals(503, dpu.status(), "DPU totals need Redis: " + dpu);
    server.flushRedis(); // it restarts without its data
    long restored = System.nanoTime();
    redis.restore();
    load.finish();

    load.assertNothingAcknowledgedBetween(cut, restored);
    double back = load.firstAcknowledgedAfter(restored);
    System.out.printf("Redis back empty: first acknowledged ingest after %.2f s%n", back);
    assertTrue(back <= 5, "ingest back within 5 s, took " + back);
    load.resendAndAssertExact();
    assertEquals(200, server.get("/v1/dpus/283").status());
  }

  @Test
  @DisplayName("Redis restarted empty with no ingest: its state is reloaded within seconds")
  void redisBackEmptyWhileQuiet() {
    ContractModel contract = ContractModel.seedBuilding();
    server.feed(contract, day(43));
    long total = server.get("/v1/dpus/283").json().getLong("total");
    redis.cut();
    server.flushRedis();
    long restored = System.nanoTime();
    redis.restore();
    assertTrue(
        Await.until(() -> server.get("/v1/dpus/283").status() == 200, Duration.ofSeconds(10)),
        "the state is reloaded by the sweep");
    System.out.printf(
        "Redis back empty while quiet: reloaded after %.2f s%n",
        (System.nanoTime() - restored) / 1e9);
    assertEquals(total, server.get("/v1/dpus/283").json().getLong("total"));
    for (String space : List.of("A", "B")) {
      assertEquals(
          contract.realtime(space),
          server.get("/v1/spaces/" + space + "/count").json().getInteger("count"),
          space);
    }
  }

  private static List<JsonObject> day(int seed) {
    return SeedBuilding.day(DAY, DAY.plus(Duration.ofDays(1)), 300, seed);
  }

  /** Answers to ingest requests: when each was sent and answered, and its status. */
  private record Answer(long sent, long answered, int status) {}

  /** A day of datapoints sent in batches of 20 by four clients, remembering what was answered. */
  private final class Load {
    final List<JsonObject> day;
    final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    final List<Answer> answers = new ArrayList<>();
    final AtomicInteger sent = new AtomicInteger();
    final ExecutorService clients = Executors.newFixedThreadPool(4);

    Load(List<JsonObject> day) {
      this.day = day;
      for (int c = 0; c < 4; c++) {
        clients.submit(this::send);
      }
    }

    /** Like a sensor, a client sends a refused batch again until it is acknowledged. */
    private Void send() {
      for (int from = sent.getAndAdd(20); from < day.size(); from = sent.getAndAdd(20)) {
        List<JsonObject> items = day.subList(from, Math.min(day.size(), from + 20));
        JsonArray batch = new JsonArray(new ArrayList<>(items));
        for (int attempt = 0; attempt < 100_000; attempt++) {
          long started = System.nanoTime();
          Reply r = server.postJson("/v1/datapoints", batch);
          synchronized (answers) {
            answers.add(new Answer(started, System.nanoTime(), r.status()));
          }
          if (r.status() == 200) {
            items.forEach(
                d -> acknowledged.add(key(d.getString("dpu_id"), d.getString("timestamp"))));
            break;
          }
        }
      }
      return null;
    }

    void untilSent(int count) {
      assertTrue(Await.until(() -> sent.get() >= count, Duration.ofSeconds(60)), "load started");
    }

    /** Waits until enough requests sent after the instant were answered. */
    void untilAnsweredSince(long instant, int count) {
      assertTrue(
          Await.until(
              () -> {
                synchronized (answers) {
                  return answers.stream().filter(a -> a.sent > instant).count() >= count;
                }
              },
              Duration.ofSeconds(30)),
          count + " requests answered during the outage");
    }

    void finish() throws InterruptedException {
      clients.shutdown();
      assertTrue(clients.awaitTermination(120, TimeUnit.SECONDS), "the load finished");
    }

    /** No request sent after the cut and answered before the line came back succeeded. */
    void assertNothingAcknowledgedBetween(long cut, long restored) {
      List<Answer> during;
      synchronized (answers) {
        during = answers.stream().filter(a -> a.sent > cut && a.answered < restored).toList();
      }
      assertTrue(!during.isEmpty(), "requests were answered during the outage");
      during.forEach(
          a -> assertTrue(a.status == 503 || a.status == 429, "during the outage: " + a.status));
    }

    /** Seconds from the line's return to the first success of a request sent after it. */
    double firstAcknowledgedAfter(long restored) {
      synchronized (answers) {
        return answers.stream()
                    .filter(a -> a.sent >= restored && a.status == 200)
                    .mapToLong(a -> a.answered)
                    .min()
                    .orElseThrow(() -> new AssertionError("no success after the outage"))
                / 1e9
            - restored / 1e9;
      }
    }

    /**
     * Sends the whole day again (what was refused, and repeats of the rest), then holds the stored
     * raw log and the counts against the contract over the day.
     */
    void resendAndAssertExact() {
      ContractModel contract = ContractModel.seedBuilding();
      server.feed(contract, day);
      Set<String> stored = ConcurrentHashMap.newKeySet();
      server
          .rows("SELECT dpu_id, ts FROM datapoint")
          .forEach(
              r ->
                  stored.add(
                      key(
                          r.getString("dpu_id"),
                          r.getOffsetDateTime("ts").toInstant().toString())));
      assertTrue(stored.containsAll(acknowledged), "no acknowledged datapoint lost");
      assertEquals(day.size(), server.countRows("datapoint"), "each datapoint stored once");
      for (String space : List.of("A", "B")) {
        assertEquals(
            contract.realtime(space),
            server.get("/v1/spaces/" + space + "/count").json().getInteger("count"),
            space + " now");
        for (Instant t = DAY; t.isBefore(DAY.plus(Duration.ofDays(1))); t = t.plusSeconds(3600)) {
          assertEquals(
              contract.countAsOf(space, t),
              server.get("/v1/spaces/" + space + "/count?at=" + t).json().getInteger("count"),
              space + " as of " + t);
        }
      }
    }
  }

  private static String key(String dpu, String timestamp) {
    return dpu + "|" + Instant.parse(timestamp);
  }
}
