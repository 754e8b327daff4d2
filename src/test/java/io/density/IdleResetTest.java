package io.density;

import static io.density.support.BucketAssertions.assertBucket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.Await;
import io.density.support.ContractModel;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Idle resets: a space idle for its period is reset to 0, whatever order data comes in")
class IdleResetTest {
  private static final Duration A_IDLE = Duration.ofMinutes(30);
  private static final Duration B_IDLE = Duration.ofMinutes(45);

  private TestServer server;
  private ContractModel contract;

  @BeforeEach
  void building() {
    server = new TestServer().start();
    server.provisionSeedBuilding();
    contract = ContractModel.seedBuilding();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  @DisplayName("in order: every answer is the contract's, and the resets are listed as idle")
  void inOrder() {
    rules();
    Instant start = start();
    List<JsonObject> history = sessions(start, 60, 1);
    feedInBatches(history, 20);
    assertLikeContract("A", start);
    assertLikeContract("B", start);
    assertIdleResetsListed("A");
  }

  @Test
  @DisplayName("shuffled in batches, then replayed: every answer is the contract's")
  void shuffledThenReplayed() {
    rules();
    Instant start = start();
    List<JsonObject> history = sessions(start, 60, 2);
    Collections.shuffle(history, new Random(5));
    feedInBatches(history, 50);
    assertLikeContract("A", start);
    assertLikeContract("B", start);

    long resets = server.countRows("space_reset");
    Reply replay = server.postJson("/v1/admin/replay", new JsonObject());
    assertEquals(200, replay.status(), replay.json().encode());
    assertEquals(resets, server.countRows("space_reset"), "the replay derives the same resets");
    assertLikeContract("A", start);
    assertLikeContract("B", start);
    assertIdleResetsListed("A");
  }

  @Test
  @DisplayName("a late datapoint inside an idle period moves the reset to its own time + period")
  void lateInsideIdlePeriod() {
    rules();
    Instant start = start();
    Instant t = start.plus(Duration.ofMinutes(10));
    // Two people come in; two hours later one more comes in and leaves.
    List<JsonObject> sent =
        new ArrayList<>(
            List.of(
                datapoint("283", t, 1),
                datapoint("283", t.plusSeconds(20), 1),
                datapoint("283", t.plus(Duration.ofHours(2)), 1),
                datapoint("283", t.plus(Duration.ofHours(2)).plusSeconds(30), -1)));
    feedInBatches(sent, 1);
    Instant first = t.plusSeconds(20).plus(A_IDLE);
    Instant last = t.plus(Duration.ofHours(2)).plusSeconds(30).plus(A_IDLE);
    // The last one is written once the space's data has stopped coming for a moment.
    assertTrue(Await.until(() -> idleResets("A").size() == 2, Duration.ofSeconds(10)));
    assertEquals(
        List.of(first.toString(), last.toString()),
        idleResets("A"),
        "resets 30 minutes after the last effect before each gap");
    assertEquals(0, count("/v1/spaces/A/count?at=" + first), "reset at its instant");
    assertEquals(2, count("/v1/spaces/A/count?at=" + first.minusMillis(1)));

    // A late exit 25 minutes into the gap: the space was not idle until 30 minutes after it.
    Instant late = t.plus(Duration.ofMinutes(25));
    feedInBatches(List.of(datapoint("283", late, -1)), 1);
    assertEquals(
        List.of(late.plus(A_IDLE).toString(), last.toString()), idleResets("A"), "the reset moved");
    assertEquals(1, count("/v1/spaces/A/count?at=" + first), "no longer reset there");
    assertEquals(0, count("/v1/spaces/A/count?at=" + late.plus(A_IDLE)));
    assertLikeContract("A", start);

    // A late entry right behind the next effect (within the out-of-order window) after the gap.
    Instant behind = t.plus(Duration.ofHours(2)).minusSeconds(3);
    feedInBatches(List.of(datapoint("283", behind, 1)), 1);
    assertLikeContract("A", start);
  }

  @Test
  @DisplayName("back-filled history, and a rule given after it or taken away: answers follow")
  void backFilledAndRuleChanges() {
    Instant start = start();
    // Live data first, the rule not yet set.
    Instant liveUntil = Instant.now().minus(Duration.ofMinutes(1));
    List<JsonObject> live =
        sessions(Instant.now().minus(Duration.ofHours(6)), 8, 3).stream()
            .filter(d -> Instant.parse(d.getString("timestamp")).isBefore(liveUntil))
            .toList();
    feedInBatches(live, 10);
    rules();
    assertLikeContract("A", start);
    // Then three days of history arrive, in batches of the past.
    feedInBatches(sessions(start, 50, 4), 100);
    assertLikeContract("A", start);
    assertLikeContract("B", start);

    // The rule taken away: no idle reset is left, the counts are the plain contract's.
    putSpace("A", null);
    contract.idleReset("A", null);
    assertEquals(List.of(), idleResets("A"));
    assertLikeContract("A", start);
  }

  @Test
  @DisplayName("a reset that comes due with no effect after it drops the realtime count")
  void comesDueLive() {
    putSpace("A", 1);
    contract.idleReset("A", Duration.ofMinutes(1));
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    // Three people came in; the last one 58 seconds ago: the reset is due in 2 seconds.
    feedInBatches(
        List.of(
            datapoint("283", now.minusSeconds(70), 1),
            datapoint("283", now.minusSeconds(65), 1),
            datapoint("283", now.minusSeconds(58), 1)),
        3);
    assertEquals(3, count("/v1/spaces/A/count"), "not idle for a minute yet");
    assertTrue(
        Await.until(() -> count("/v1/spaces/A/count") == 0, Duration.ofSeconds(10)),
        "the realtime count drops when the reset comes due");
    Instant due = now.minusSeconds(58).plus(Duration.ofMinutes(1));
    assertEquals(List.of(due.toString()), idleResets("A"));
    assertEquals(0, count("/?space=A"), "seed realtime");
    assertEquals(3, count("/v1/spaces/A/count?at=" + due.minusMillis(1)));
    assertEquals(0, count("/v1/spaces/A/count?at=" + due));

    // Someone comes in after it: counted from 0.
    feedInBatches(List.of(datapoint("283", due.plusMillis(500), 1)), 1);
    assertEquals(1, count("/v1/spaces/A/count"));
  }

  @Test
  @DisplayName(
      "data that arrives after its idle period has passed is reset when it is acknowledged")
  void arrivesOverdue() {
    rules();
    Instant t = Instant.now().minus(Duration.ofHours(2)).truncatedTo(ChronoUnit.MILLIS);
    feedInBatches(
        List.of(
            datapoint("283", t, 1), datapoint("283", t.plusSeconds(10), 1), datapoint("423", t, 1)),
        3);
    // Due before the datapoints came: written once the space's data has stopped for a moment
    // (B's count is 0 all along: it gets its reset all the same, which changes nothing).
    assertTrue(
        Await.until(
            () ->
                idleResets("A").size() == 1
                    && idleResets("B").size() == 1
                    && count("/v1/spaces/A/count") == 0,
            Duration.ofSeconds(10)),
        "both resets written, and A's realtime count 0");
    assertEquals(List.of(t.plusSeconds(10).plus(A_IDLE).toString()), idleResets("A"));
    assertEquals(List.of(t.plus(B_IDLE).toString()), idleResets("B"));
    assertLikeContract("A", t.minus(Duration.ofHours(1)));
  }

  @Test
  @DisplayName(
      "when Redis has lost its state, the rebuilt state still resets a space when it is due")
  void rebuiltStateKeepsDueResets() {
    putSpace("A", 1);
    contract.idleReset("A", Duration.ofMinutes(1));
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    feedInBatches(
        List.of(
            datapoint("283", now.minusSeconds(70), 1),
            datapoint("283", now.minusSeconds(65), 1),
            datapoint("283", now.minusSeconds(52), 1)),
        3);
    server.flushRedis();
    Instant due = now.minusSeconds(52).plus(Duration.ofMinutes(1));
    assertTrue(
        Await.until(
            () -> {
              Reply reply = server.get("/v1/spaces/A/count");
              return reply.status() == 200 && reply.json().getInteger("count") == 0;
            },
            Duration.ofSeconds(30)),
        "the realtime count drops once the reset is due");
    assertTrue(Instant.now().isAfter(due), "not before it was due");
    assertEquals(List.of(due.toString()), idleResets("A"));
    assertLikeContract("A", now.minusSeconds(120));
  }

  @Test
  @DisplayName(
      "an out-of-order window longer than the idle period: effects around an idle reset are"
          + " placed or recounted, and every answer is the contract's")
  void windowLongerThanIdlePeriod() {
    server.close();
    server = new TestServer();
    server.config = server.config.with("ingest", "outOfOrderWindowMs", 180_000);
    server.start();
    server.provisionSeedBuilding();
    putSpace("A", 1);
    contract.idleReset("A", Duration.ofMinutes(1));
    Instant t = start();
    // In order: a gap of two minutes after T+30 s puts an idle reset at T+90 s.
    feedInBatches(
        List.of(
            datapoint("283", t, 1),
            datapoint("283", t.plusSeconds(30), 1),
            datapoint("283", t.plusSeconds(150), 1)),
        1);
    // Within the window, after the reset: the gap from T+30 s still holds it, T+100 s opens none.
    feedInBatches(List.of(datapoint("283", t.plusSeconds(100), 1)), 1);
    // Within the window, before the reset: every gap is now under a minute, so the reset goes.
    feedInBatches(List.of(datapoint("283", t.plusSeconds(85), -1)), 1);
    // In order, then one placed between them in the tail.
    feedInBatches(
        List.of(datapoint("283", t.plusSeconds(160), 1), datapoint("283", t.plusSeconds(170), -1)),
        2);
    feedInBatches(List.of(datapoint("283", t.plusSeconds(165), 1)), 1);
    assertLikeContract("A", t.minus(Duration.ofMinutes(5)));
    assertIdleResetsListed("A");
  }

  @Test
  @DisplayName("an explicit reset at the instant of an idle one wins")
  void explicitWins() {
    rules();
    Instant start = start();
    Instant t = start.plus(Duration.ofMinutes(5));
    feedInBatches(
        List.of(
            datapoint("283", t, 1),
            datapoint("283", t.plus(Duration.ofHours(1)), 1),
            datapoint("283", t.plus(Duration.ofHours(1)).plusSeconds(5), 1)),
        1);
    Instant idle = t.plus(A_IDLE);
    Reply reply =
        server.postJson(
            "/v1/spaces/A/resets",
            new JsonObject().put("timestamp", idle.toString()).put("count", 4));
    assertEquals(201, reply.status(), reply.json().encode());
    contract.reset("A", idle, 4);
    assertEquals(4, count("/v1/spaces/A/count?at=" + idle));
    assertEquals(6, count("/v1/spaces/A/count?at=" + t.plus(Duration.ofHours(1)).plusSeconds(10)));
    assertLikeContract("A", start);
  }

  @Test
  @DisplayName(
      "a rule that is not a whole number of minutes from 1 to 10080 is refused, naming it: 422 out"
          + " of range, 400 not a whole number")
  void badRule() {
    Map<Object, Integer> refusals = Map.of(0, 422, -5, 422, 10081, 422, "30", 400, 1.5, 400);
    refusals.forEach(
        (bad, status) -> {
          Reply put =
              server.putJson(
                  "/v1/spaces/A", new JsonObject().put("name", "A").put("idle_reset_minutes", bad));
          assertEquals(status, put.status(), bad + " → " + put.json().encode());
          assertEquals("idle_reset_minutes", put.json().getString("field"), put.json().encode());
        });
    Reply bulk =
        server.postJson(
            "/v1/bulk/spaces",
            new JsonArray()
                .add(new JsonObject().put("id", "C").put("idle_reset_minutes", 240))
                .add(new JsonObject().put("id", "D").put("idle_reset_minutes", 0)));
    assertEquals(200, bulk.status(), bulk.json().encode());
    assertEquals(
        240, server.get("/v1/spaces/C").json().getInteger("idle_reset_minutes"), "bulk sets it");
    assertEquals(404, server.get("/v1/spaces/D").status(), "the bad item is left out");
    assertEquals(null, server.get("/v1/spaces/A").json().getInteger("idle_reset_minutes"));
  }

  // ---------------------------------------------------------------- helpers

  /** Three days ago, on the minute. */
  private static Instant start() {
    return Instant.now().minus(Duration.ofDays(3)).truncatedTo(ChronoUnit.MINUTES);
  }

  private void rules() {
    putSpace("A", (int) A_IDLE.toMinutes());
    putSpace("B", (int) B_IDLE.toMinutes());
    contract.idleReset("A", A_IDLE);
    contract.idleReset("B", B_IDLE);
  }

  private void putSpace(String id, Integer idleMinutes) {
    Reply put =
        server.putJson(
            "/v1/spaces/" + id,
            new JsonObject().put("name", "Space " + id).put("idle_reset_minutes", idleMinutes));
    assertEquals(200, put.status(), put.json().encode());
    assertEquals(idleMinutes, put.json().getInteger("idle_reset_minutes"));
  }

  /**
   * Bursts of datapoints (mostly entries, so people stay inside) separated by gaps shorter than,
   * equal to and longer than the idle periods.
   */
  private static List<JsonObject> sessions(Instant from, int sessions, long seed) {
    Random random = new Random(seed);
    long[] gapsMinutes = {5, 20, 29, 30, 31, 44, 45, 50, 120};
    List<JsonObject> out = new ArrayList<>();
    Instant t = from;
    for (int s = 0; s < sessions; s++) {
      int n = 2 + random.nextInt(8);
      for (int i = 0; i < n; i++) {
        String dpu = random.nextBoolean() ? "283" : "423";
        out.add(datapoint(dpu, t, random.nextInt(10) < 7 ? 1 : -1));
        t = t.plusMillis(2_000 + random.nextInt(90_000));
      }
      t = t.plus(Duration.ofMinutes(gapsMinutes[random.nextInt(gapsMinutes.length)]));
    }
    return out;
  }

  private static JsonObject datapoint(String dpu, Instant ts, int direction) {
    return new JsonObject()
        .put("dpu_id", dpu)
        .put("timestamp", ts.toString())
        .put("direction", direction);
  }

  private void feedInBatches(List<JsonObject> datapoints, int size) {
    for (int from = 0; from < datapoints.size(); from += size) {
      server.feed(contract, datapoints.subList(from, Math.min(datapoints.size(), from + size)));
    }
  }

  private Integer count(String path) {
    Reply reply = server.get(path);
    assertEquals(200, reply.status(), path + " → " + reply.json().encode());
    return reply.json().getInteger("count");
  }

  private List<String> idleResets(String space) {
    List<String> out = new ArrayList<>();
    JsonArray items = server.get("/v1/spaces/" + space + "/resets").json().getJsonArray("items");
    for (int i = 0; i < items.size(); i++) {
      if ("idle".equals(items.getJsonObject(i).getString("kind"))) {
        out.add(items.getJsonObject(i).getString("timestamp"));
      }
    }
    return out;
  }

  /** The resets listed as idle are the contract's idle resets. */
  private void assertIdleResetsListed(String space) {
    assertEquals(
        contract.idleResets(space).stream().map(Instant::toString).toList(),
        idleResets(space),
        space + " idle resets");
  }

  /**
   * Realtime, as-of (at every effect, around every idle reset, every 20 minutes), nearest, hourly
   * buckets and the events' counts equal the contract's.
   */
  private void assertLikeContract(String space, Instant from) {
    int expected = contract.realtime(space);
    // The last idle reset may be written by the owner's check, within about a second.
    assertTrue(
        Await.until(
            () -> count("/v1/spaces/" + space + "/count") == expected, Duration.ofSeconds(10)),
        space + " realtime: expected " + expected);
    assertEquals(expected, count("/?space=" + space), space + " seed realtime");
    Instant to = Instant.now();
    TreeSet<Instant> times = new TreeSet<>();
    for (Instant t = from; t.isBefore(to); t = t.plus(Duration.ofMinutes(20))) {
      times.add(t);
    }
    times.addAll(contract.effectTimes(space));
    for (Instant r : contract.idleResets(space)) {
      times.add(r.minusMillis(1));
      times.add(r);
      times.add(r.plusMillis(1));
    }
    for (Instant t : times) {
      assertEquals(
          contract.countAsOf(space, t),
          count("/v1/spaces/" + space + "/count?at=" + t),
          space + " as of " + t);
    }
    for (Instant t = from; t.isBefore(to); t = t.plus(Duration.ofMinutes(47))) {
      Instant nearest = contract.nearestEffect(space, t);
      assertEquals(
          nearest == null ? null : contract.countAsOf(space, nearest),
          server.get("/count?space=" + space + "&timestamp=" + t).json().getInteger("count"),
          space + " nearest to " + t);
    }
    Instant b0 = from.truncatedTo(ChronoUnit.HOURS);
    Instant end = to.truncatedTo(ChronoUnit.HOURS);
    // Whole hours before this one (none when the history began in this hour).
    JsonArray buckets =
        !end.isAfter(b0)
            ? new JsonArray()
            : server
                .get("/v1/spaces/" + space + "/counts?start=" + b0 + "&end=" + end + "&interval=1h")
                .json()
                .getJsonArray("buckets");
    for (int i = 0; i < buckets.size(); i++) {
      JsonObject b = buckets.getJsonObject(i);
      Instant start = Instant.parse(b.getString("start"));
      assertBucket(
          contract.bucket(space, start, start.plus(Duration.ofHours(1))),
          b,
          space + " bucket " + start);
    }
    JsonArray events =
        server.get("/v1/spaces/" + space + "/events?limit=10000").json().getJsonArray("items");
    List<Integer> counts = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      counts.add(events.getJsonObject(i).getInteger("count"));
    }
    assertEquals(contract.countsAfterEachEffect(space), counts, space + " events' counts");
  }
}
