package io.density;

import static io.density.support.BucketAssertions.assertBucket;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.density.dev.SeedBuilding;
import io.density.load.SeedCsv;
import io.density.support.ContractModel;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Daily resets hold on every day of the history, whatever order rule and history come")
class DailyResetHistoryTest {
  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");
  private static final ZoneId KOLKATA = ZoneId.of("Asia/Kolkata");
  private static final ZoneId PARIS = ZoneId.of("Europe/Paris");

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
  @DisplayName(
      "rule first, then the seed's days and a week across a DST change, shuffled in batches:"
          + " every answer is the contract's (New York 02:30, Kolkata 05:30)")
  void ruleFirstHistoryAfter() throws Exception {
    // 02:30 does not exist in New York on 11 March 2018 (clocks jump from 02:00 to 03:00);
    // Kolkata is UTC+05:30 all year.
    rule("A", NEW_YORK, "02:30");
    rule("B", KOLKATA, "05:30");
    LocalDate first = LocalDate.parse("2018-02-20");
    contract.dailyReset("A", NEW_YORK, LocalTime.parse("02:30"), first);
    contract.dailyReset("B", KOLKATA, LocalTime.parse("05:30"), first);
    // An explicit reset at one of the daily instants keeps its count.
    Instant explicit = ZonedDateTime.of(2018, 3, 10, 2, 30, 0, 0, NEW_YORK).toInstant();
    postReset("A", explicit, 4);
    contract.reset("A", explicit, 4);

    List<JsonObject> history = new ArrayList<>(seedDatapoints());
    history.addAll(
        leavingPeopleInside(
            SeedBuilding.day(
                Instant.parse("2018-03-08T00:00:00Z"),
                Instant.parse("2018-03-14T00:00:00Z"),
                400,
                11)));
    Collections.shuffle(history, new Random(7));
    feedInBatches(history, 150);

    Instant from = Instant.parse("2018-02-23T00:00:00Z");
    Instant to = Instant.parse("2018-03-16T00:00:00Z");
    assertAnswersEqualContract("A", NEW_YORK, LocalTime.parse("02:30"), from, to);
    assertAnswersEqualContract("B", KOLKATA, LocalTime.parse("05:30"), from, to);
    assertDailyBucketsEqualContract("A", NEW_YORK, LocalDate.parse("2018-02-23"), 21);
    assertDailyBucketsEqualContract("B", KOLKATA, LocalDate.parse("2018-02-23"), 21);
    assertEquals(
        "2018-03-11T07:30:00Z",
        resetsOn("A", "2018-03-11T00:00:00Z", "2018-03-12T00:00:00Z").getString("timestamp"),
        "on the day of the jump, the reset is as much later as the clocks jump");

    // A replay of the whole raw log gives the same answers, and writes no reset before the history.
    long resets = server.countRows("space_reset");
    Reply replay = server.postJson("/v1/admin/replay", new JsonObject());
    assertEquals(200, replay.status(), replay.json().encode());
    assertEquals(resets, server.countRows("space_reset"));
    assertAnswersEqualContract("A", NEW_YORK, LocalTime.parse("02:30"), from, to);
    assertDailyBucketsEqualContract("B", KOLKATA, LocalDate.parse("2018-02-23"), 21);
  }

  @Test
  @DisplayName("a late datapoint older than the space's creation finds the resets of its days")
  void lateDatapointOlderThanCreation() {
    // Today's (or yesterday's) reset came six hours ago; the live data follows it in order.
    LocalTime at = LocalTime.now(PARIS).minusHours(6).truncatedTo(ChronoUnit.MINUTES);
    rule("A", PARIS, at.toString());
    Instant now = Instant.now();
    Instant lastReset = lastAtOrBefore(now, PARIS, at);
    contract.dailyReset("A", PARIS, at, LocalDate.now(PARIS).minusDays(12));
    feedInBatches(
        leavingPeopleInside(
            SeedBuilding.day(lastReset.plusSeconds(60), now.minusSeconds(60), 40, 5)),
        1000);

    // Ten days ago: before the space existed and before every daily reset written so far.
    Instant tenDaysAgo = now.minus(Duration.ofDays(10));
    List<JsonObject> late = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      late.add(datapoint("283", tenDaysAgo.plusSeconds(60L * i), 1));
    }
    feedInBatches(late, 1000);

    assertAnswersEqualContract("A", PARIS, at, now.minus(Duration.ofDays(11)), now);
    assertEquals(
        3,
        server
            .get("/v1/spaces/A/count?at=" + tenDaysAgo.plusSeconds(300))
            .json()
            .getInteger("count"),
        "the three who came in ten days ago");
    Instant nextReset = lastAtOrBefore(tenDaysAgo, PARIS, at).plus(Duration.ofDays(1));
    assertEquals(
        0,
        server.get("/v1/spaces/A/count?at=" + nextReset.plusSeconds(1)).json().getInteger("count"),
        "gone at the next daily reset");
  }

  @Test
  @DisplayName("a back-dated link brings effects from before every written reset; they reset daily")
  void backDatedLink() {
    rule("B", KOLKATA, "05:30");
    Instant now = Instant.now();
    contract.dailyReset(
        "B", KOLKATA, LocalTime.parse("05:30"), LocalDate.now(KOLKATA).minusDays(8));
    // A DPU over a new side door of B sends for a week before anyone links it.
    assertEquals(201, server.putJson("/v1/doorways/Y", new JsonObject()).status());
    assertEquals(201, server.putJson("/v1/dpus/900", new JsonObject()).status());
    List<JsonObject> sent = new ArrayList<>();
    Random random = new Random(3);
    for (Instant t = now.minus(Duration.ofDays(7)); t.isBefore(now.minus(Duration.ofHours(1))); ) {
      sent.add(datapoint("900", t, random.nextInt(4) == 0 ? -1 : 1));
      t = t.plusSeconds(600 + random.nextInt(3600));
    }
    feedInBatches(sent, 1000);
    assertEquals(0, server.get("/v1/spaces/B/count").json().getInteger("count"));

    Instant validFrom = now.minus(Duration.ofDays(8));
    Reply link =
        server.postJson(
            "/v1/links",
            new JsonObject()
                .put("dpu_id", "900")
                .put("doorway_id", "Y")
                .put("space_id", "B")
                .put("sensor_placement", 1)
                .put("valid_from", validFrom.toString()));
    assertEquals(201, link.status(), link.json().encode());
    contract.link("900", "B", 1, validFrom);

    assertAnswersEqualContract(
        "B", KOLKATA, LocalTime.parse("05:30"), validFrom, now.minusSeconds(1));
    assertDailyBucketsEqualContract("B", KOLKATA, LocalDate.now(KOLKATA).minusDays(7), 7);
  }

  @Test
  @DisplayName(
      "a space created after its reset time, with data from the day before: the reset is in force")
  void createdAfterItsResetTime() {
    LocalTime at = LocalTime.now(PARIS).minusHours(2).truncatedTo(ChronoUnit.MINUTES);
    Instant now = Instant.now();
    Instant lastReset = lastAtOrBefore(now, PARIS, at);
    rule("A", PARIS, at.toString());
    assertEquals(0, server.get("/v1/spaces/A/count").json().getInteger("count"));
    contract.dailyReset("A", PARIS, at, LocalDate.now(PARIS).minusDays(3));

    // Three people came in during the hours before the reset and were never seen leaving.
    List<JsonObject> before = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      before.add(datapoint("283", lastReset.minus(Duration.ofHours(5 - i)), 1));
    }
    feedInBatches(before, 1000);
    assertEquals(
        3,
        server.get("/v1/spaces/A/count?at=" + lastReset.minusMillis(1)).json().getInteger("count"));
    assertEquals(0, server.get("/v1/spaces/A/count?at=" + lastReset).json().getInteger("count"));
    assertEquals(0, server.get("/v1/spaces/A/count").json().getInteger("count"), "realtime");
    assertEquals(0, server.get("/?space=A").json().getInteger("count"), "seed realtime");

    // One more came in after the reset: the count starts again from it.
    feedInBatches(List.of(datapoint("283", lastReset.plus(Duration.ofMinutes(30)), 1)), 1000);
    assertEquals(1, server.get("/v1/spaces/A/count").json().getInteger("count"));
    assertAnswersEqualContract("A", PARIS, at, lastReset.minus(Duration.ofDays(1)), now);
  }

  // ---------------------------------------------------------------- helpers

  private void rule(String space, ZoneId zone, String at) {
    Reply put =
        server.putJson(
            "/v1/spaces/" + space,
            new JsonObject()
                .put("name", "Space " + space)
                .put("time_zone", zone.getId())
                .put("daily_reset", at));
    assertEquals(200, put.status(), put.json().encode());
  }

  private void postReset(String space, Instant at, int count) {
    Reply reply =
        server.postJson(
            "/v1/spaces/" + space + "/resets",
            new JsonObject().put("timestamp", at.toString()).put("count", count));
    assertEquals(201, reply.status(), reply.json().encode());
  }

  private JsonObject resetsOn(String space, String start, String end) {
    return server
        .get("/v1/spaces/" + space + "/resets?start=" + start + "&end=" + end)
        .json()
        .getJsonArray("items")
        .getJsonObject(0);
  }

  private static JsonObject datapoint(String dpu, Instant ts, int direction) {
    return new JsonObject()
        .put("dpu_id", dpu)
        .put("timestamp", ts.toString())
        .put("direction", direction);
  }

  private static List<JsonObject> seedDatapoints() throws Exception {
    try (var in = DailyResetHistoryTest.class.getResourceAsStream("/fixtures/seed-building.csv")) {
      return SeedCsv.read(new InputStreamReader(in, StandardCharsets.UTF_8));
    }
  }

  /** Drops some exits, so that people are inside when a reset comes. */
  private static List<JsonObject> leavingPeopleInside(List<JsonObject> datapoints) {
    List<JsonObject> kept = new ArrayList<>();
    for (JsonObject d : datapoints) {
      if (kept.size() % 6 == 2 && d.getInteger("direction") < 0) {
        continue;
      }
      kept.add(d);
    }
    return kept;
  }

  private void feedInBatches(List<JsonObject> datapoints, int size) {
    for (int from = 0; from < datapoints.size(); from += size) {
      server.feed(contract, datapoints.subList(from, Math.min(datapoints.size(), from + size)));
    }
  }

  private static Instant lastAtOrBefore(Instant t, ZoneId zone, LocalTime at) {
    LocalDate day = t.atZone(zone).toLocalDate();
    Instant r = ZonedDateTime.of(day, at, zone).toInstant();
    return r.isAfter(t) ? ZonedDateTime.of(day.minusDays(1), at, zone).toInstant() : r;
  }

  /**
   * Realtime, as-of and nearest answers equal the contract's: every three hours over [from, to),
   * and just before, at and just after every daily reset in it.
   */
  private void assertAnswersEqualContract(
      String space, ZoneId zone, LocalTime at, Instant from, Instant to) {
    assertEquals(contract.realtime(space), count("/v1/spaces/" + space + "/count"), "realtime");
    assertEquals(contract.realtime(space), count("/?space=" + space), "seed realtime");
    TreeSet<Instant> times = new TreeSet<>();
    for (Instant t = from; t.isBefore(to); t = t.plus(Duration.ofHours(3))) {
      times.add(t);
    }
    for (LocalDate day = from.atZone(zone).toLocalDate();
        !day.isAfter(to.atZone(zone).toLocalDate());
        day = day.plusDays(1)) {
      Instant r = ZonedDateTime.of(day, at, zone).toInstant();
      if (!r.isBefore(from) && r.isBefore(to)) {
        times.add(r.minusMillis(1));
        times.add(r);
        times.add(r.plusMillis(1));
      }
    }
    for (Instant t : times) {
      assertEquals(
          contract.countAsOf(space, t),
          count("/v1/spaces/" + space + "/count?at=" + t),
          space + " as of " + t);
      Instant nearest = contract.nearestEffect(space, t);
      assertEquals(
          nearest == null ? null : contract.countAsOf(space, nearest),
          server.get("/count?space=" + space + "&timestamp=" + t).json().getInteger("count"),
          space + " nearest to " + t);
    }
  }

  private Integer count(String path) {
    Reply reply = server.get(path);
    assertEquals(200, reply.status(), path + " → " + reply.json().encode());
    return reply.json().getInteger("count");
  }

  /** One-day buckets in the space's own time zone: count, entries, exits, min and max. */
  private void assertDailyBucketsEqualContract(
      String space, ZoneId zone, LocalDate first, int days) {
    Instant start = first.atStartOfDay(zone).toInstant();
    Instant end = first.plusDays(days).atStartOfDay(zone).toInstant();
    JsonArray buckets =
        server
            .get(
                "/v1/spaces/"
                    + space
                    + "/counts?start="
                    + start
                    + "&end="
                    + end
                    + "&interval=1d&tz="
                    + zone.getId())
            .json()
            .getJsonArray("buckets");
    assertEquals(days, buckets.size(), space + " buckets");
    for (int i = 0; i < days; i++) {
      JsonObject b = buckets.getJsonObject(i);
      Instant b0 = first.plusDays(i).atStartOfDay(zone).toInstant();
      Instant b1 = first.plusDays(i + 1).atStartOfDay(zone).toInstant();
      assertEquals(b0.toString(), b.getString("start"));
      assertBucket(contract.bucket(space, b0, b1), b, space + " on " + first.plusDays(i));
    }
  }
}
