package io.density;

import static io.density.support.BucketAssertions.assertBucket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.dev.SeedBuilding;
import io.density.support.ContractModel;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A space's history: buckets across DST, events, reconciliations")
class HistoryTest {
  private static final ZoneId PARIS = ZoneId.of("Europe/Paris");
  private static final Instant START = Instant.parse("2018-03-23T23:00:00Z"); // 24 March, Paris
  private static final Instant END = Instant.parse("2018-03-26T22:00:00Z"); // 27 March, Paris
  private static TestServer server;
  private static final ContractModel contract = ContractModel.seedBuilding();
  private static int datapoints;

  @BeforeAll
  static void threeDaysAcrossTheSpringChange() {
    server = new TestServer().start();
    server.provisionSeedBuilding();
    List<JsonObject> sent = new ArrayList<>();
    for (JsonObject d : SeedBuilding.day(START, END, 500, 3)) {
      if (sent.size() % 9 == 4 && d.getInteger("direction") < 0) {
        continue; // missed exits: clamping and resets have work to do
      }
      sent.add(d);
    }
    server.feed(contract, sent);
    datapoints = sent.size();
    Instant reset = Instant.parse("2018-03-25T10:00:00Z");
    server.postJson(
        "/v1/spaces/A/resets", new JsonObject().put("timestamp", reset.toString()).put("count", 2));
    contract.reset("A", reset, 2);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static String range(Instant start, Instant end) {
    return "start=" + start + "&end=" + end;
  }

  @Test
  @DisplayName("daily buckets in Paris: local days, one of 23 hours, each equal to the contract's")
  void dailyBucketsAcrossDst() {
    JsonObject series =
        server
            .get("/v1/spaces/A/counts?" + range(START, END) + "&interval=1d&tz=Europe/Paris")
            .json();
    JsonArray buckets = series.getJsonArray("buckets");
    assertEquals(3, buckets.size());
    for (int i = 0; i < 3; i++) {
      JsonObject b = buckets.getJsonObject(i);
      Instant b0 = LocalDate.parse("2018-03-24").plusDays(i).atStartOfDay(PARIS).toInstant();
      Instant b1 = LocalDate.parse("2018-03-24").plusDays(i + 1).atStartOfDay(PARIS).toInstant();
      assertEquals(b0.toString(), b.getString("start"));
      assertEquals(b1.toString(), b.getString("end"));
      assertBucket(contract.bucket("A", b0, b1), b, "day " + i);
    }
    assertEquals(
        Duration.ofHours(23),
        Duration.between(
            Instant.parse(buckets.getJsonObject(1).getString("start")),
            Instant.parse(buckets.getJsonObject(1).getString("end"))));
  }

  @Test
  @DisplayName("hourly and 15-minute buckets equal the contract's for both spaces")
  void finerBuckets() {
    for (String space : new String[] {"A", "B"}) {
      for (String interval : new String[] {"1h", "15m"}) {
        Instant from = Instant.parse("2018-03-25T00:00:00Z");
        JsonArray buckets =
            server
                .get(
                    "/v1/spaces/"
                        + space
                        + "/counts?"
                        + range(from, from.plus(Duration.ofHours(20)))
                        + "&interval="
                        + interval
                        + "&tz=Europe/Paris")
                .json()
                .getJsonArray("buckets");
        for (Object o : buckets) {
          JsonObject b = (JsonObject) o;
          assertBucket(
              contract.bucket(
                  space, Instant.parse(b.getString("start")), Instant.parse(b.getString("end"))),
              b,
              space + " " + b.getString("start"));
        }
      }
    }
  }

  @Test
  @DisplayName("the series exports as CSV")
  void csv() throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                server
                    .request(
                        "/v1/spaces/A/counts?" + range(START, END) + "&interval=1d&tz=Europe/Paris")
                    .header("Accept", "text/csv")
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/csv"));
    String[] lines = response.body().split("\n");
    assertEquals("start,end,count,entries,exits,min,max", lines[0]);
    assertEquals(4, lines.length);
  }

  @Test
  @DisplayName(
      "events page through every effect once, in order, with arrival and reconciled counts")
  void eventsPaging() {
    Set<Long> seen = new HashSet<>();
    String after = null;
    Instant previous = Instant.MIN;
    int pages = 0;
    do {
      JsonObject page =
          server
              .get("/v1/spaces/A/events?limit=100" + (after == null ? "" : "&after=" + after))
              .json();
      for (Object o : page.getJsonArray("items")) {
        JsonObject e = (JsonObject) o;
        Instant ts = Instant.parse(e.getString("timestamp"));
        assertTrue(!ts.isBefore(previous), "in timestamp order");
        previous = ts;
        assertTrue(seen.add(e.getJsonObject("datapoint").getLong("id")), "each effect once");
        assertTrue(e.containsKey("arrival_count") && e.containsKey("count"));
      }
      after = page.getString("next");
      pages++;
    } while (after != null);
    assertEquals(
        server.rows("SELECT count(*) FROM space_count WHERE space_id = 'A'").get(0).getLong(0),
        (long) seen.size());
    assertTrue(pages > 1);
  }

  @Test
  @DisplayName("a late datapoint shows in the reconciliations with the count it had on arrival")
  void reconciliations() {
    Instant t = Instant.parse("2018-03-24T09:00:00.123Z");
    JsonObject late =
        new JsonObject().put("timestamp", t.toString()).put("direction", 1).put("dpu_id", "283");
    assertEquals(200, server.postJson("/send", late).status());
    contract.add("283", t.toString(), 1);
    JsonArray items =
        server
            .get("/v1/spaces/A/reconciliations?start=" + t + "&end=" + END)
            .json()
            .getJsonArray("items");
    assertTrue(items.size() > 0);
    for (Object o : items) {
      JsonObject e = (JsonObject) o;
      assertNotEquals(null, e.getString("reconciled_at"));
    }
    assertTrue(
        items.stream()
            .anyMatch(
                o ->
                    !((JsonObject) o)
                        .getValue("arrival_count")
                        .equals(((JsonObject) o).getValue("count"))));
  }

  @Test
  @DisplayName("bounds and bad parameters are 4xx naming the parameter; unknown spaces 404")
  void bounds() {
    assertEquals(
        "interval",
        server
            .get("/v1/spaces/A/counts?" + range(START, END) + "&interval=2h")
            .json()
            .getString("field"));
    assertEquals(
        "tz",
        server
            .get("/v1/spaces/A/counts?" + range(START, END) + "&interval=1h&tz=Moon/Base")
            .json()
            .getString("field"));
    assertEquals(
        "end",
        server
            .get("/v1/spaces/A/counts?" + range(END, START) + "&interval=1h")
            .json()
            .getString("field"));
    assertEquals(
        "start",
        server.get("/v1/spaces/A/counts?end=" + END + "&interval=1h").json().getString("field"));
    Reply tooMany =
        server.get(
            "/v1/spaces/A/counts?"
                + range(START, START.plus(Duration.ofDays(30)))
                + "&interval=1m");
    assertEquals(422, tooMany.status());
    assertEquals("limit", server.get("/v1/spaces/A/events?limit=100000").json().getString("field"));
    assertEquals("after", server.get("/v1/spaces/A/events?after=xyz").json().getString("field"));
    assertEquals(
        404,
        server.get("/v1/spaces/nowhere/counts?" + range(START, END) + "&interval=1h").status());
    assertEquals(404, server.get("/v1/spaces/nowhere/events").status());
    assertNull(server.get("/?space=nowhere").json().getValue("count"));
    assertTrue(datapoints > 0);
  }
}
