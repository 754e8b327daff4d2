package io.density.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.Await;
import io.density.support.ContractModel;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.density.support.UtilizationReference;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The job that stores past utilization days ({@link UtilizationSummaries}) against the real
 * PostgreSQL: it runs here with a clock of its own (the server's job, on here and on the real
 * clock, never reaches these 2024 days), and its stored days are then read by the server's report,
 * whose rows must equal the reference worked out from the datapoints sent ({@link
 * UtilizationReference}).
 */
@DisplayName("The utilization summary job: past days stored for every space, never an open one")
class UtilizationSummariesTest {
  private static final ZoneId PARIS = ZoneId.of("Europe/Paris");
  private static final ZoneId UTC = ZoneId.of("UTC");
  private static final Instant LINKS_FROM = Instant.parse("2024-01-01T00:00:00Z");

  private static TestServer server;
  private static final ContractModel contract = new ContractModel();

  @BeforeAll
  static void start() {
    server = new TestServer();
    server.config = server.config.with("history", "utilizationSummaryMinutes", 5);
    server.start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  @DisplayName(
      "every space's complete days in its own zone are stored, today is not; a late datapoint's"
          + " days are stored again by the next pass")
  void pastDaysOfEverySpace() {
    LocalDate first = LocalDate.parse("2024-07-01");
    LocalDate today = LocalDate.parse("2024-07-06");
    JsonObject utc = space("PU", UTC, 12);
    JsonObject paris = space("PP", PARIS, null);
    sensor("801", "PUW", "PU");
    sensor("802", "PPW", "PP");
    server.feed(contract, UtilizationReference.walk("801", first, today.plusDays(1), 1));
    server.feed(contract, UtilizationReference.walk("802", first, today.plusDays(1), 2));
    // Noon UTC on 6 July: 6 July is today in both zones.
    Clock clock = Clock.fixed(Instant.parse("2024-07-06T12:00:00Z"), ZoneOffset.UTC);

    pass(clock, 5);
    for (JsonObject space : List.of(utc, paris)) {
      String id = space.getString("id");
      assertEquals(5, storedDays(id, first, today), id + ": 1 to 5 July");
      assertEquals(0, storedDays(id, today, today.plusDays(1)), id + ": not today");
      assertReportEqualsReference(space, first, today);
    }
    assertEquals(0, pass(clock, 5), "a second pass finds nothing missing");

    // Late on 3 July (behind what was counted): the triggers delete PU's days from then on.
    server.feed(contract, List.of(datapoint("801", "2024-07-03T10:00:00.500Z", 1)));
    assertEquals(2, storedDays("PU", first, today), "1 and 2 July stay");
    assertEquals(5, storedDays("PP", first, today), "the other space is untouched");
    assertEquals(3, pass(clock, 5), "the three deleted days, nothing else");
    assertEquals(5, storedDays("PU", first, today));
    assertReportEqualsReference(utc, first, today);
  }

  @Test
  @DisplayName(
      "a 25-hour day (Paris, 27 October 2024) is stored only once its 25th hour has passed")
  void daylightSavingDay() {
    JsonObject space = space("PD", PARIS, 30);
    sensor("803", "PDW", "PD");
    LocalDate first = LocalDate.parse("2024-10-25");
    LocalDate longDay = LocalDate.parse("2024-10-27");
    server.feed(contract, UtilizationReference.walk("803", first, longDay.plusDays(2), 3));
    Instant longDayEnd = longDay.plusDays(1).atStartOfDay(PARIS).toInstant();
    assertEquals(Instant.parse("2024-10-27T23:00:00Z"), longDayEnd, "25 hours after 22:00 UTC");

    // 24 hours and a half into the day: a day of 24 hours would have ended.
    Clock inside = Clock.fixed(longDayEnd.minus(30, ChronoUnit.MINUTES), ZoneOffset.UTC);
    pass(inside, 3);
    assertEquals(2, storedDays("PD", first, longDay), "25 and 26 October");
    assertEquals(0, storedDays("PD", longDay, longDay.plusDays(1)), "27 October is open");

    pass(Clock.fixed(longDayEnd, ZoneOffset.UTC), 3);
    assertEquals(1, storedDays("PD", longDay, longDay.plusDays(1)), "27 October, once ended");
    assertEquals(
        25.0,
        server
            .rows(
                "SELECT extract(epoch FROM d1 - d0) / 3600 AS hours FROM utilization_day"
                    + " WHERE space_id = 'PD' AND day = $1",
                longDay)
            .get(0)
            .getDouble("hours"),
        1e-9);
    assertReportEqualsReference(space, first, longDay.plusDays(1));
  }

  @Test
  @DisplayName(
      "two passes at once (two nodes, or a leader taking over) store each day once and" + " right")
  void twoPassesAtOnce() {
    LocalDate first = LocalDate.parse("2024-08-01");
    LocalDate today = LocalDate.parse("2024-08-11");
    List<JsonObject> spaces = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      JsonObject space = space("PT" + i, i % 2 == 0 ? UTC : PARIS, 10 + i);
      sensor("81" + i, "PTW" + i, "PT" + i);
      server.feed(contract, UtilizationReference.walk("81" + i, first, today, 10 + i));
      spaces.add(space);
    }
    Clock clock = Clock.fixed(Instant.parse("2024-08-11T06:00:00Z"), ZoneOffset.UTC);
    UtilizationSummaries a = job(clock, 10);
    UtilizationSummaries b = job(clock, 10);
    Future.all(a.pass(), b.pass()).await();
    for (JsonObject space : spaces) {
      String id = space.getString("id");
      assertEquals(10, storedDays(id, first, today), id + ": each day once");
      assertReportEqualsReference(space, first, today);
    }
  }

  @Test
  @DisplayName("with two history nodes one leads the job; when it stops, the other takes over")
  void oneLeader() {
    TestServer second = server.node("history").start();
    try {
      assertTrue(
          Await.until(() -> leaders().size() == 1, Duration.ofSeconds(10)),
          "one session holds the job's lock: " + leaders());
      int first = leaders().get(0);
      server.stop(); // the first node, which led since it started
      assertTrue(
          Await.until(
              () -> leaders().size() == 1 && leaders().get(0) != first, Duration.ofSeconds(10)),
          "the second node leads: " + leaders());
      server.start();
      assertEquals(1, leaders().size(), "the first node stands by");
    } finally {
      second.stop();
    }
  }

  // ---------------------------------------------------------------- helpers

  /** The backends that hold the job's advisory lock ("dens" + 5). */
  private static List<Integer> leaders() {
    return server
        .rows(
            // advisory locks are per database: a server of another test may hold its own
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                + " AND classid = 0 AND objid = "
                + (0x64656e73L + 5))
        .stream()
        .map(r -> r.getInteger("pid"))
        .toList();
  }

  private static UtilizationSummaries job(Clock clock, int days) {
    return new UtilizationSummaries(
        server.vertx(), server.sql, new Utilization(server.sql, clock), clock, days);
  }

  private static int pass(Clock clock, int days) {
    return job(clock, days).pass().await();
  }

  private static void assertReportEqualsReference(
      JsonObject space, LocalDate first, LocalDate after) {
    String id = space.getString("id");
    Reply reply = server.get("/v1/spaces/" + id + "/utilization?start=" + first + "&end=" + after);
    assertEquals(200, reply.status(), reply.json().encode());
    JsonArray rows = reply.json().getJsonArray("rows");
    assertEquals(ChronoUnit.DAYS.between(first, after), rows.size(), rows.encodePrettily());
    for (int i = 0; i < rows.size(); i++) {
      UtilizationReference.assertRow(
          contract,
          id,
          first.plusDays(i),
          ZoneId.of(space.getString("time_zone")),
          space.getInteger("capacity"),
          rows.getJsonObject(i));
    }
  }

  /** The days of the space stored (not pending) in its own zone in [first, after). */
  private static long storedDays(String space, LocalDate first, LocalDate after) {
    return server
        .rows(
            "SELECT count(*) FROM utilization_day u JOIN space s ON s.id = u.space_id"
                + " WHERE u.space_id = $1 AND u.time_zone = s.time_zone AND u.token IS NULL"
                + " AND u.day >= $2 AND u.day < $3",
            space,
            first,
            after)
        .get(0)
        .getLong(0);
  }

  private static JsonObject space(String id, ZoneId zone, Integer capacity) {
    JsonObject body =
        new JsonObject()
            .put("name", "Space " + id)
            .put("time_zone", zone.getId())
            .put("capacity", capacity);
    Reply reply = server.putJson("/v1/spaces/" + id, body);
    assertEquals(201, reply.status(), reply.json().encode());
    return body.put("id", id);
  }

  /** A DPU in its own doorway, linked to the space since 2024. */
  private static void sensor(String dpu, String doorway, String space) {
    assertEquals(201, server.putJson("/v1/doorways/" + doorway, new JsonObject()).status());
    assertEquals(201, server.putJson("/v1/dpus/" + dpu, new JsonObject()).status());
    Reply link =
        server.postJson(
            "/v1/links",
            new JsonObject()
                .put("dpu_id", dpu)
                .put("doorway_id", doorway)
                .put("space_id", space)
                .put("sensor_placement", 1)
                .put("valid_from", LINKS_FROM.toString()));
    assertEquals(201, link.status(), link.json().encode());
    contract.link(dpu, space, 1, LINKS_FROM);
  }

  private static JsonObject datapoint(String dpu, String timestamp, int direction) {
    return new JsonObject()
        .put("dpu_id", dpu)
        .put("timestamp", timestamp)
        .put("direction", direction);
  }
}
