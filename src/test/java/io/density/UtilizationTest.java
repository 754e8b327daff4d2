package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.dev.SeedBuilding;
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
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Utilization reports against a reference computed here from the datapoints sent: the contract
 * model gives the count as of any instant, and the peak, its instant and the time-weighted average
 * are worked out by walking the changes of each day, not by any code of the server.
 *
 * <p>The building is the seed's, over three days in Paris around the spring change of 2024 (31
 * March has 23 hours): A (capacity 40, daily reset at local midnight, an explicit reset above its
 * capacity) is the parent of B (no capacity, an explicit reset). A fifth of the datapoints arrive
 * after the rest and after the resets: late data that every figure must honour.
 */
@DisplayName("Utilization: peak, time-weighted average, ratios, entries and exits per local day")
class UtilizationTest {
  private static final ZoneId PARIS = ZoneId.of("Europe/Paris");
  private static final LocalDate FIRST = LocalDate.parse("2024-03-30");
  private static final LocalDate AFTER = LocalDate.parse("2024-04-02");
  private static final int CAPACITY = 40;

  private static TestServer server;
  private static final ContractModel contract = ContractModel.seedBuilding();

  @BeforeAll
  static void aBuildingAcrossTheSpringChange() {
    server = new TestServer().start();
    server.provisionSeedBuilding();
    put(
        "A",
        new JsonObject()
            .put("name", "Space A")
            .put("time_zone", PARIS.getId())
            .put("capacity", CAPACITY)
            .put("daily_reset", "00:00"));
    put(
        "B",
        new JsonObject()
            .put("name", "Space B")
            .put("time_zone", PARIS.getId())
            .put("parent_id", "A"));
    LocalDate firstReset = LocalDate.parse("2024-03-20");
    contract.dailyReset("A", PARIS, LocalTime.MIDNIGHT, firstReset);

    List<JsonObject> sent = new ArrayList<>();
    for (JsonObject d :
        SeedBuilding.day(
            Instant.parse("2024-03-29T23:00:00Z"),
            Instant.parse("2024-04-01T22:00:00Z"),
            700,
            19)) {
      if (sent.size() % 23 == 3 && d.getInteger("direction") < 0) {
        continue; // missed exits: people stay inside over midnight, the resets have work to do
      }
      sent.add(d);
    }
    // Into B just before the end of 31 March (after its closing instant, end - 1 ms), and at the
    // very start of 1 April, the instant of A's daily reset.
    sent.add(datapoint("423", "2024-03-31T21:59:59.999500Z", -1));
    sent.add(datapoint("423", "2024-03-31T22:00:00Z", -1));
    Collections.shuffle(sent, new Random(19));
    int onTime = sent.size() * 4 / 5;
    for (int from = 0; from < onTime; from += 250) {
      server.feed(contract, sent.subList(from, Math.min(onTime, from + 250)));
    }

    reset("B", Instant.parse("2024-03-31T09:30:00Z"), 3);
    reset("A", Instant.parse("2024-04-01T10:00:00Z"), 45); // above its capacity

    // The rest comes late: behind what was counted, across the resets.
    server.feed(contract, sent.subList(onTime, sent.size()));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  @DisplayName(
      "a parent with children=true: a row per space and local day, each equal to the reference")
  void subtreeEqualsTheReference() {
    JsonObject report = report("A", "start=" + FIRST + "&end=" + AFTER + "&children=true");
    JsonArray rows = report.getJsonArray("rows");
    assertEquals(6, rows.size(), rows.encodePrettily());
    assertNull(report.getValue("time_zone"), "each space in its own zone");
    for (int i = 0; i < 6; i++) {
      JsonObject row = rows.getJsonObject(i);
      String space = i < 3 ? "A" : "B";
      LocalDate day = FIRST.plusDays(i % 3);
      assertEquals(space, row.getString("space_id"));
      assertEquals(i < 3 ? null : "A", row.getString("parent_id"));
      assertEquals(day.toString(), row.getString("date"));
      assertEquals(PARIS.getId(), row.getString("time_zone"));
      assertRowEqualsReference(space, day, PARIS, i < 3 ? (Integer) CAPACITY : null, row);
    }
    JsonObject dstDay = rows.getJsonObject(1);
    assertEquals(
        Duration.ofHours(23),
        Duration.between(
            Instant.parse(dstDay.getString("start")), Instant.parse(dstDay.getString("end"))),
        "31 March in Paris");
    assertTrue(
        rows.getJsonObject(2).getInteger("peak") >= 45,
        "A's explicit reset to 45 is a peak above capacity");
    assertTrue(rows.getJsonObject(2).getDouble("peak_utilization") > 1.0);
  }

  @Test
  @DisplayName("without children one space; tz aligns every day in another zone")
  void oneSpaceInAnotherZone() {
    ZoneId utc = ZoneOffset.UTC;
    JsonObject report = report("A", "start=" + FIRST + "&end=" + AFTER + "&tz=UTC");
    JsonArray rows = report.getJsonArray("rows");
    assertEquals("UTC", report.getString("time_zone"));
    assertEquals(3, rows.size());
    for (int i = 0; i < 3; i++) {
      JsonObject row = rows.getJsonObject(i);
      assertEquals("A", row.getString("space_id"));
      assertEquals(FIRST.plusDays(i) + "T00:00:00Z", row.getString("start"));
      assertRowEqualsReference("A", FIRST.plusDays(i), utc, CAPACITY, row);
    }
    JsonArray b = report("B", "start=" + FIRST + "&end=" + AFTER + "&tz=UTC").getJsonArray("rows");
    for (int i = 0; i < 3; i++) {
      assertRowEqualsReference("B", FIRST.plusDays(i), utc, null, b.getJsonObject(i));
    }
  }

  @Test
  @DisplayName("today is averaged up to now and flagged incomplete; days to come are left out")
  void todayIsPartial() {
    LocalDate today = LocalDate.now(PARIS);
    JsonArray rows =
        report("A", "start=" + today.minusDays(1) + "&end=" + today.plusDays(2) + "&children=true")
            .getJsonArray("rows");
    assertEquals(4, rows.size(), "yesterday and today of A and B: " + rows.encodePrettily());
    int inB = contract.realtime("B");
    for (int i = 0; i < 4; i++) {
      JsonObject row = rows.getJsonObject(i);
      assertEquals(i % 2 == 1, !row.getBoolean("complete"), row.encode());
      if (i >= 2) {
        // Nothing has happened to B since 2024: its count holds all day.
        assertEquals(inB, row.getInteger("peak"));
        assertEquals(inB, row.getDouble("average"), 1e-9);
        assertEquals(inB, row.getInteger("count_at_end"));
        assertEquals(row.getString("start"), row.getString("peak_at"));
      } else {
        assertEquals(0, row.getInteger("peak"), "A resets at midnight and saw nobody since");
        assertEquals(0.0, row.getDouble("average_utilization"), 1e-9);
      }
    }
  }

  @Test
  @DisplayName("the report exports as CSV: a header, then the JSON rows' values")
  void csv() throws Exception {
    String query = "/v1/spaces/A/utilization?start=" + FIRST + "&end=" + AFTER + "&children=true";
    JsonArray rows = server.get(query).json().getJsonArray("rows");
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                server.request(query + "&format=csv").build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/csv"));
    String[] lines = response.body().split("\n");
    String[] header = lines[0].split(",");
    assertEquals(
        "space_id,parent_id,date,time_zone,start,end,complete,capacity,peak,peak_at,average,"
            + "peak_utilization,average_utilization,entries,exits,count_at_end",
        lines[0]);
    assertEquals(rows.size() + 1, lines.length);
    for (int i = 0; i < rows.size(); i++) {
      String[] fields = lines[i + 1].split(",", -1);
      JsonObject row = rows.getJsonObject(i);
      for (int f = 0; f < header.length; f++) {
        Object value = row.getValue(header[f]);
        assertEquals(value == null ? "" : String.valueOf(value), fields[f], header[f]);
      }
    }
  }

  @Test
  @DisplayName("a child in another time zone: each space's days are its own local days")
  void childInAnotherZone() {
    ZoneId kolkata = ZoneId.of("Asia/Kolkata");
    put("T", new JsonObject().put("name", "Space T").put("time_zone", "UTC"));
    put(
        "U",
        new JsonObject()
            .put("name", "Space U")
            .put("time_zone", kolkata.getId())
            .put("parent_id", "T")
            .put("capacity", 5));
    assertEquals(201, server.putJson("/v1/doorways/V", new JsonObject()).status());
    assertEquals(201, server.putJson("/v1/dpus/904", new JsonObject()).status());
    Reply link =
        server.postJson(
            "/v1/links",
            new JsonObject()
                .put("dpu_id", "904")
                .put("doorway_id", "V")
                .put("space_id", "U")
                .put("sensor_placement", 1)
                .put("valid_from", "2024-01-01T00:00:00Z"));
    assertEquals(201, link.status(), link.json().encode());
    contract.link("904", "U", 1, Instant.parse("2024-01-01T00:00:00Z"));
    List<JsonObject> walk = new ArrayList<>();
    Random random = new Random(4);
    int inside = 0;
    for (Instant t = Instant.parse("2024-06-10T00:00:00Z");
        t.isBefore(Instant.parse("2024-06-13T00:00:00Z"));
        t = t.plusSeconds(300 + random.nextInt(1800))) {
      int direction = inside == 0 || random.nextBoolean() ? 1 : -1;
      inside += direction;
      walk.add(datapoint("904", t.toString(), direction));
    }
    Collections.shuffle(walk, new Random(4));
    server.feed(contract, walk);

    JsonArray rows =
        report("T", "start=2024-06-11&end=2024-06-13&children=true").getJsonArray("rows");
    assertEquals(4, rows.size(), rows.encodePrettily());
    for (int i = 0; i < 2; i++) {
      JsonObject t = rows.getJsonObject(i);
      assertEquals("T", t.getString("space_id"));
      assertEquals("2024-06-1" + (1 + i) + "T00:00:00Z", t.getString("start"));
      assertEquals(0, t.getInteger("peak"), "T has no doorway of its own: no roll-up");
      JsonObject u = rows.getJsonObject(2 + i);
      assertEquals("U", u.getString("space_id"));
      assertEquals("2024-06-1" + i + "T18:30:00Z", u.getString("start"), "midnight in Kolkata");
      assertRowEqualsReference("U", LocalDate.parse("2024-06-11").plusDays(i), kolkata, 5, u);
    }
  }

  @Test
  @DisplayName("the worked example of docs/counting.md gives the figures the document states")
  void workedExample() {
    put(
        "R",
        new JsonObject()
            .put("name", "Space R")
            .put("time_zone", "UTC")
            .put("capacity", 10)
            .put("daily_reset", "06:00"));
    assertEquals(201, server.putJson("/v1/doorways/W", new JsonObject()).status());
    for (String dpu : List.of("901", "902", "903")) {
      assertEquals(201, server.putJson("/v1/dpus/" + dpu, new JsonObject()).status());
      Reply link =
          server.postJson(
              "/v1/links",
              new JsonObject()
                  .put("dpu_id", dpu)
                  .put("doorway_id", "W")
                  .put("space_id", "R")
                  .put("sensor_placement", 1)
                  .put("valid_from", "2024-01-01T00:00:00Z"));
      assertEquals(201, link.status(), link.json().encode());
    }
    server.feed(
        new ContractModel(),
        List.of(
            datapoint("901", "2024-05-05T20:00:00Z", 1), // 2 in force at midnight
            datapoint("902", "2024-05-05T20:00:00Z", 1),
            datapoint("901", "2024-05-06T08:00:00Z", 1), // two at one instant
            datapoint("902", "2024-05-06T08:00:00Z", 1),
            datapoint("903", "2024-05-06T08:30:00Z", 1),
            datapoint("901", "2024-05-06T12:00:00Z", -1),
            datapoint("901", "2024-05-06T18:00:00Z", -1),
            datapoint("902", "2024-05-06T18:00:00Z", -1),
            datapoint("903", "2024-05-06T18:00:00Z", -1))); // absorbed by the clamp
    JsonObject row =
        report("R", "start=2024-05-06&end=2024-05-07").getJsonArray("rows").getJsonObject(0);
    assertEquals(3, row.getInteger("peak"), row.encode());
    assertEquals("2024-05-06T08:30:00Z", row.getString("peak_at"));
    assertEquals(1.4792, row.getDouble("average"), 1e-9);
    assertEquals(0.3, row.getDouble("peak_utilization"), 1e-9);
    assertEquals(0.1479, row.getDouble("average_utilization"), 1e-9);
    assertEquals(3, row.getInteger("entries"));
    assertEquals(4, row.getInteger("exits"));
    assertEquals(0, row.getInteger("count_at_end"));
  }

  @Test
  @DisplayName("bad parameters are 4xx naming the parameter; an unknown space is 404")
  void bounds() {
    String u = "/v1/spaces/A/utilization?";
    assertError(400, "start", u + "end=2024-04-02");
    assertError(400, "start", u + "start=2024-03-30T00:00:00Z&end=2024-04-02");
    assertError(400, "end", u + "start=2024-03-30&end=tomorrow");
    assertError(422, "end", u + "start=2024-04-02&end=2024-04-02");
    assertError(422, "start", u + "start=%2B999999999-01-01&end=2024-04-02");
    assertError(422, "end", u + "start=9999-12-01&end=%2B10000-01-02");
    assertError(422, "end", u + "start=2020-01-01&end=2024-01-01");
    assertError(422, "tz", u + "start=2024-03-30&end=2024-04-02&tz=Moon/Base");
    assertError(422, "children", u + "start=2024-03-30&end=2024-04-02&children=yes");
    assertError(422, "format", u + "start=2024-03-30&end=2024-04-02&format=xml");
    for (String zone : List.of("%2B14:00", "Etc/GMT-14", "UTC")) {
      assertEquals(
          200,
          server.get(u + "start=1900-01-01&end=1900-01-03&tz=" + zone).status(),
          "far from any data, in " + zone);
    }
    Reply unknown = server.get("/v1/spaces/nowhere/utilization?start=2024-03-30&end=2024-04-02");
    assertEquals(404, unknown.status());
    assertEquals("error", unknown.json().getString("status"));
  }

  // ---------------------------------------------------------------- the reference

  /** The row of a space and a local day equals the reference ({@link UtilizationReference}). */
  private static void assertRowEqualsReference(
      String space, LocalDate day, ZoneId zone, Integer capacity, JsonObject row) {
    int changes = UtilizationReference.assertRow(contract, space, day, zone, capacity, row);
    assertTrue(changes > 0, "a day without traffic tests little: " + space + " on " + day);
  }

  // ---------------------------------------------------------------- helpers

  private static JsonObject report(String space, String query) {
    Reply reply = server.get("/v1/spaces/" + space + "/utilization?" + query);
    assertEquals(200, reply.status(), reply.json().encode());
    return reply.json();
  }

  private static void assertError(int status, String field, String path) {
    Reply reply = server.get(path);
    assertEquals(status, reply.status(), path + " → " + reply.json().encode());
    assertEquals(field, reply.json().getString("field"), path);
  }

  private static void put(String space, JsonObject body) {
    Reply reply = server.putJson("/v1/spaces/" + space, body);
    assertTrue(reply.status() == 200 || reply.status() == 201, reply.json().encode());
  }

  private static void reset(String space, Instant at, int count) {
    Reply reply =
        server.postJson(
            "/v1/spaces/" + space + "/resets",
            new JsonObject().put("timestamp", at.toString()).put("count", count));
    assertEquals(201, reply.status(), reply.json().encode());
    contract.reset(space, at, count);
  }

  private static JsonObject datapoint(String dpu, String timestamp, int direction) {
    return new JsonObject()
        .put("dpu_id", dpu)
        .put("timestamp", timestamp)
        .put("direction", direction);
  }
}
