package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.ContractModel;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.density.support.UtilizationReference;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The stored per-day summaries of utilization reports go stale exactly when their inputs change:
 * each test lets a report store a space's days, changes the space's history the way the server
 * meets it (late data, resets of every kind, a moved sensor, an in-order datapoint after days of
 * silence, retention), and checks that the next report equals the reference computed here from the
 * datapoints sent ({@link UtilizationReference}), never the stored figures of before.
 */
@DisplayName(
    "Utilization summaries: stored per day, and recomputed exactly when a change reaches them")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UtilizationSummaryTest {
  private static final ZoneId PARIS = ZoneId.of("Europe/Paris");
  private static final ZoneId UTC = ZoneId.of("UTC");
  private static final LocalDate FIRST = LocalDate.parse("2024-07-01");
  private static final LocalDate AFTER = LocalDate.parse("2024-07-06");
  private static final Instant LINKS_FROM = Instant.parse("2024-01-01T00:00:00Z");

  private static TestServer server;
  private static final ContractModel contract = new ContractModel();

  @BeforeAll
  static void start() {
    server = new TestServer().start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  @Order(1)
  @DisplayName("a late datapoint on a summarised day: that day and the later ones are recomputed")
  void lateDatapoint() {
    JsonObject space = space("L", UTC, 12);
    sensor("701", "LW", "L", 1);
    server.feed(contract, UtilizationReference.walk("701", FIRST, AFTER, 1));
    JsonArray before = assertReportEqualsReference(space, UTC, FIRST, AFTER, null);
    assertEquals(5, storedDays("L", UTC), "the report stored its five complete days");
    assertReportEqualsReference(space, UTC, FIRST, AFTER, null); // from the stored days

    // An hour late on 3 July: behind everything counted, so recounted in SQL.
    server.feed(contract, List.of(datapoint("701", "2024-07-03T10:00:00.500Z", 1)));
    JsonArray after = assertReportEqualsReference(space, UTC, FIRST, AFTER, null);
    assertEquals(before.getJsonObject(1), after.getJsonObject(1), "2 July did not change");
    assertNotEquals(
        before.getJsonObject(2).getLong("entries"), after.getJsonObject(2).getLong("entries"));
    assertEquals(5, storedDays("L", UTC), "stored again");
  }

  @Test
  @Order(2)
  @DisplayName("an explicit reset, a new daily rule and an idle rule on summarised days")
  void resetsOfEveryKind() {
    JsonObject space = space("R", PARIS, 10);
    sensor("702", "RW", "R", 1);
    server.feed(contract, UtilizationReference.walk("702", FIRST, AFTER, 2));
    assertReportEqualsReference(space, PARIS, FIRST, AFTER, null);

    Reply explicit =
        server.postJson(
            "/v1/spaces/R/resets",
            new JsonObject().put("timestamp", "2024-07-02T12:00:00Z").put("count", 7));
    assertEquals(201, explicit.status(), explicit.json().encode());
    contract.reset("R", Instant.parse("2024-07-02T12:00:00Z"), 7);
    assertReportEqualsReference(space, PARIS, FIRST, AFTER, null);

    put(space.put("daily_reset", "04:00"));
    contract.dailyReset("R", PARIS, LocalTime.of(4, 0), FIRST.minusDays(2));
    assertReportEqualsReference(space, PARIS, FIRST, AFTER, null);

    put(space.put("idle_reset_minutes", 90));
    contract.idleReset("R", Duration.ofMinutes(90));
    assertTrue(
        contract.idleResets("R").stream()
            .anyMatch(r -> r.isAfter(FIRST.atStartOfDay(PARIS).toInstant())),
        "the walk has gaps of 90 minutes");
    assertReportEqualsReference(space, PARIS, FIRST, AFTER, null);
  }

  @Test
  @Order(3)
  @DisplayName("a sensor moved back in time: both spaces' days after the move are recomputed")
  void movedSensor() {
    JsonObject from = space("M1", UTC, 20);
    JsonObject to = space("M2", UTC, null);
    sensor("703", "MW1", "M1", 1);
    server.feed(contract, UtilizationReference.walk("703", FIRST, AFTER, 3));
    assertReportEqualsReference(from, UTC, FIRST, AFTER, null);
    assertReportEqualsReference(to, UTC, FIRST, AFTER, null);

    assertEquals(201, server.putJson("/v1/doorways/MW2", new JsonObject()).status());
    Instant at = Instant.parse("2024-07-03T12:00:00Z");
    Reply moved =
        server.postJson(
            "/v1/dpus/703/move",
            new JsonObject()
                .put("doorway_id", "MW2")
                .put("at", at.toString())
                .put(
                    "links",
                    new JsonArray()
                        .add(new JsonObject().put("space_id", "M2").put("sensor_placement", 1))));
    assertEquals(200, moved.status(), moved.json().encode());
    contract.close("703", at);
    contract.link("703", "M2", 1, at);
    assertReportEqualsReference(from, UTC, FIRST, AFTER, null);
    JsonArray rows = assertReportEqualsReference(to, UTC, FIRST, AFTER, null);
    assertTrue(rows.getJsonObject(3).getLong("entries") > 0, "M2 has the sensor's traffic");
  }

  @Test
  @Order(4)
  @DisplayName("a datapoint in order after days of silence lands on a summarised day")
  void inOrderAfterSilence() {
    JsonObject space = space("Q", UTC, 5);
    sensor("704", "QW", "Q", 1);
    server.feed(
        contract,
        List.of(
            datapoint("704", "2024-07-01T08:00:00Z", 1),
            datapoint("704", "2024-07-01T08:10:00Z", 1),
            datapoint("704", "2024-07-01T09:00:00Z", 1)));
    JsonArray before = assertReportEqualsReference(space, UTC, FIRST, AFTER, null);
    assertEquals(3, before.getJsonObject(3).getInteger("count_at_end"), "3 inside since 1 July");

    // After the space's latest effect, so counted in order: no recount touches 4 July.
    server.feed(contract, List.of(datapoint("704", "2024-07-04T09:00:00Z", -1)));
    JsonArray after = assertReportEqualsReference(space, UTC, FIRST, AFTER, null);
    assertEquals(before.getJsonObject(2), after.getJsonObject(2), "3 July did not change");
    assertEquals(2, after.getJsonObject(3).getInteger("count_at_end"));
    assertEquals(2, after.getJsonObject(4).getInteger("peak"));
  }

  @Test
  @Order(5)
  @DisplayName("another tz is computed from the changes; the space's own days stay its own")
  void anotherZone() {
    JsonObject space = space("Z", PARIS, 8);
    sensor("705", "ZW", "Z", 1);
    server.feed(contract, UtilizationReference.walk("705", FIRST, AFTER, 5));
    assertReportEqualsReference(space, PARIS, FIRST, AFTER, null);
    assertReportEqualsReference(space, UTC, FIRST, AFTER, "UTC");
    assertEquals(5, storedDays("Z", PARIS));
    assertEquals(0, storedDays("Z", UTC), "a day of another zone is not stored");

    server.feed(contract, List.of(datapoint("705", "2024-07-02T21:30:00Z", 1)));
    assertReportEqualsReference(space, UTC, FIRST, AFTER, "UTC");
    assertReportEqualsReference(space, PARIS, FIRST, AFTER, null);
  }

  @Test
  @Order(6)
  @DisplayName("late data while reports compute and store the same days: the next report is exact")
  void lateDataDuringReports() throws Exception {
    JsonObject space = space("C", UTC, 9);
    sensor("707", "CW", "C", 1);
    server.feed(contract, UtilizationReference.walk("707", FIRST, AFTER, 7));
    String path = "/v1/spaces/C/utilization?start=" + FIRST + "&end=" + AFTER;
    HttpClient http = HttpClient.newHttpClient();
    Random random = new Random(7);
    for (int i = 0; i < 12; i++) {
      server.rows("DELETE FROM utilization_day WHERE space_id = 'C'"); // cold again
      CompletableFuture<HttpResponse<String>> during =
          http.sendAsync(server.request(path).build(), HttpResponse.BodyHandlers.ofString());
      Instant late =
          FIRST.atStartOfDay(UTC).toInstant().plusSeconds(random.nextInt(5 * 86_400)).plusMillis(i);
      server.feed(contract, List.of(datapoint("707", late.toString(), i % 3 == 0 ? -1 : 1)));
      assertEquals(200, during.get(60, TimeUnit.SECONDS).statusCode());
      assertReportEqualsReference(space, UTC, FIRST, AFTER, null);
    }
  }

  @Test
  @Order(7)
  @DisplayName("retention: days before the boundary lose their history, later ones keep theirs")
  void retention() {
    JsonObject space = space("E", UTC, 6);
    sensor("706", "EW", "E", 1);
    LocalDate first = LocalDate.parse("2024-05-29");
    LocalDate after = LocalDate.parse("2024-06-04");
    List<JsonObject> walk = UtilizationReference.walk("706", first, after, 6);
    walk.removeIf(d -> d.getInteger("direction") < 0 && walk.indexOf(d) % 7 == 3);
    server.feed(contract, walk);
    assertReportEqualsReference(space, UTC, first, after, null);
    assertEquals(6, storedDays("E", UTC));

    // A period that puts the boundary at the start of June 2024 (the UTC month of now − days).
    LocalDate boundary = LocalDate.parse("2024-06-01");
    int days = (int) ChronoUnit.DAYS.between(LocalDate.parse("2024-06-15"), LocalDate.now(UTC));
    server.stop();
    server.restartWith(server.config.with("ingest", "retentionDays", days));
    Reply dropped = server.postJson("/v1/admin/retention", new JsonObject());
    assertEquals(200, dropped.status(), dropped.json().encode());
    assertEquals(boundary + "T00:00:00Z", dropped.json().getString("boundary"));

    assertEquals(
        0L,
        server
            .rows(
                "SELECT count(*) FROM utilization_day WHERE d0 < $1",
                boundary.atStartOfDay(UTC).toOffsetDateTime())
            .get(0)
            .getLong(0),
        "retention forgot the summaries of the days it dropped");
    JsonArray rows = report("E", first, after, null);
    assertEquals(6, rows.size());
    for (JsonObject row : rows.stream().map(JsonObject.class::cast).toList()) {
      LocalDate day = LocalDate.parse(row.getString("date"));
      if (day.isBefore(boundary)) {
        String what = "history dropped: " + row.encode();
        assertEquals(0, row.getInteger("peak"), what);
        assertEquals(0.0, row.getDouble("average"), 1e-9, what);
        assertEquals(0L, row.getLong("entries"), what);
        assertEquals(0L, row.getLong("exits"), what);
        assertEquals(0, row.getInteger("count_at_end"), what);
      } else {
        UtilizationReference.assertRow(contract, "E", day, UTC, 6, row);
      }
    }
    assertTrue(
        rows.getJsonObject(3).getInteger("peak") > 0, "June keeps its history: " + rows.encode());
  }

  // ---------------------------------------------------------------- helpers

  /** The report of a space over [first, after), every row equal to the reference; its rows. */
  private static JsonArray assertReportEqualsReference(
      JsonObject space, ZoneId zone, LocalDate first, LocalDate after, String tz) {
    JsonArray rows = report(space.getString("id"), first, after, tz);
    assertEquals(ChronoUnit.DAYS.between(first, after), rows.size(), rows.encodePrettily());
    for (int i = 0; i < rows.size(); i++) {
      UtilizationReference.assertRow(
          contract,
          space.getString("id"),
          first.plusDays(i),
          zone,
          space.getInteger("capacity"),
          rows.getJsonObject(i));
    }
    return rows;
  }

  private static JsonArray report(String space, LocalDate first, LocalDate after, String tz) {
    String query =
        "/v1/spaces/"
            + space
            + "/utilization?start="
            + first
            + "&end="
            + after
            + (tz == null ? "" : "&tz=" + tz);
    Reply reply = server.get(query);
    assertEquals(200, reply.status(), reply.json().encode());
    return reply.json().getJsonArray("rows");
  }

  /** The days of the space stored in a zone (not those a report is still computing). */
  private static long storedDays(String space, ZoneId zone) {
    return server
        .rows(
            "SELECT count(*) FROM utilization_day"
                + " WHERE space_id = $1 AND time_zone = $2 AND token IS NULL",
            space,
            zone.getId())
        .get(0)
        .getLong(0);
  }

  private static JsonObject space(String id, ZoneId zone, Integer capacity) {
    JsonObject body =
        new JsonObject()
            .put("name", "Space " + id)
            .put("time_zone", zone.getId())
            .put("capacity", capacity);
    put(body.copy().put("id", id));
    return body.put("id", id);
  }

  private static void put(JsonObject space) {
    JsonObject body = space.copy();
    String id = (String) body.remove("id");
    Reply reply = server.putJson("/v1/spaces/" + id, body);
    assertTrue(reply.status() == 200 || reply.status() == 201, reply.json().encode());
  }

  /** A DPU in its own doorway, linked to the space since 2024. */
  private static void sensor(String dpu, String doorway, String space, int placement) {
    assertEquals(201, server.putJson("/v1/doorways/" + doorway, new JsonObject()).status());
    assertEquals(201, server.putJson("/v1/dpus/" + dpu, new JsonObject()).status());
    Reply link =
        server.postJson(
            "/v1/links",
            new JsonObject()
                .put("dpu_id", dpu)
                .put("doorway_id", doorway)
                .put("space_id", space)
                .put("sensor_placement", placement)
                .put("valid_from", LINKS_FROM.toString()));
    assertEquals(201, link.status(), link.json().encode());
    contract.link(dpu, space, placement, LINKS_FROM);
  }

  private static JsonObject datapoint(String dpu, String timestamp, int direction) {
    return new JsonObject()
        .put("dpu_id", dpu)
        .put("timestamp", timestamp)
        .put("direction", direction);
  }
}
