package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Doorway traffic against a reference computed here from the datapoints sent and the links made,
 * not by the server's code: a small building in Paris (a hall H behind the front door, a room R
 * behind the hall, a side door of R) over three local days around the change to summer time
 * (2024-03-31, a day of 23 hours), with two sensors swapped between doorways by a move, a sensor
 * that sent before it was registered and got a back-dated link, datapoints sent shuffled (late) and
 * repeats.
 */
@DisplayName("Doorway traffic: entries and exits per doorway and space, and crossings")
class DoorwayTrafficTest {
  private static final ZoneId PARIS = ZoneId.of("Europe/Paris");
  private static final LocalDate FIRST_DAY = LocalDate.parse("2024-03-30");
  private static final int DAYS = 3;
  private static final Instant START = FIRST_DAY.atStartOfDay(PARIS).toInstant();
  private static final Instant END = FIRST_DAY.plusDays(DAYS).atStartOfDay(PARIS).toInstant();
  private static final Instant INSTALLED = Instant.parse("2024-01-01T00:00:00Z");

  /** i1 and i2 swap doorways (inner, side) on the short day, after the clocks changed. */
  private static final Instant MOVE = Instant.parse("2024-03-31T09:17:00Z");

  /** f2 sent before it was registered; its link starts here, in the past. */
  private static final Instant BACK_DATED = Instant.parse("2024-03-30T12:00:00Z");

  private record Link(
      String dpu, String doorway, String space, int placement, Instant from, Instant to) {
    boolean validAt(Instant t) {
      return !t.isBefore(from) && (to == null || t.isBefore(to));
    }
  }

  private record Datapoint(String dpu, Instant ts, int direction) {}

  private static TestServer server;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** The links as this test made them, closed where it moved a sensor. */
  private static final List<Link> links = new ArrayList<>();

  /** Every distinct datapoint sent, however many times. */
  private static final Set<Datapoint> sent = new LinkedHashSet<>();

  @BeforeAll
  static void building() {
    server = new TestServer().start();
    for (String space : List.of("H", "R")) {
      put("/v1/spaces/" + space, new JsonObject().put("time_zone", PARIS.getId()));
    }
    for (String doorway : List.of("front", "inner", "side", "unused")) {
      put("/v1/doorways/" + doorway, new JsonObject());
    }
    for (String dpu : List.of("f1", "i1", "i2")) {
      put("/v1/dpus/" + dpu, new JsonObject());
    }
    link("f1", "front", "H", 1, INSTALLED);
    // Between the hall and the room: +1 is a walk from R into H.
    link("i1", "inner", "H", 1, INSTALLED);
    link("i1", "inner", "R", -1, INSTALLED);
    link("i2", "side", "R", 1, INSTALLED);

    Random random = new Random(19);
    List<Datapoint> traffic = new ArrayList<>();
    for (String dpu : List.of("f1", "i1", "i2", "f2")) {
      // From before the range to after it: what lies outside must not count.
      Instant from = START.minus(3, ChronoUnit.HOURS);
      long span = END.plus(3, ChronoUnit.HOURS).toEpochMilli() - from.toEpochMilli();
      for (int i = 0; i < 260; i++) {
        traffic.add(
            new Datapoint(
                dpu,
                from.plusMillis((long) (random.nextDouble() * span)),
                random.nextBoolean() ? 1 : -1));
      }
      // On bucket boundaries (the first hour of summer time included), at the move, and both
      // directions at one instant: two crossings.
      for (Instant t :
          List.of(
              START,
              Instant.parse("2024-03-31T01:00:00Z"),
              Instant.parse("2024-03-30T23:00:00Z"),
              Instant.parse("2024-03-31T22:00:00Z"),
              MOVE,
              END.minusMillis(1),
              END)) {
        traffic.add(new Datapoint(dpu, t, 1));
      }
      traffic.add(new Datapoint(dpu, MOVE.plusSeconds(3600), -1));
    }
    Collections.shuffle(traffic, random);
    List<Datapoint> early = new ArrayList<>();
    List<Datapoint> late = new ArrayList<>();
    for (Datapoint d : traffic) {
      (d.dpu.equals("f2") || random.nextInt(3) > 0 ? early : late).add(d);
    }

    // Shuffled, in batches: much of it late; f2 is not registered yet.
    send(early);
    // The sensors swap doorways: i2, mounted the other way round, now counts between H and R.
    move("i2", "inner", List.of(new To("H", -1), new To("R", 1)));
    move("i1", "side", List.of(new To("R", 1)));
    // The rest arrives after the move, much of it from before it.
    send(late);
    // f2 is registered and linked from a past instant: what it sent before stays unattributed.
    put("/v1/dpus/f2", new JsonObject());
    link("f2", "front", "H", -1, BACK_DATED);
    // Repeats: a fifth of everything again, some with the instant written with an offset.
    List<Datapoint> repeats = new ArrayList<>();
    traffic.forEach(
        d -> {
          if (random.nextInt(5) == 0) {
            repeats.add(d);
          }
        });
    JsonArray again = new JsonArray();
    for (Datapoint d : repeats) {
      again.add(
          new JsonObject()
              .put("dpu_id", d.dpu)
              .put(
                  "timestamp",
                  again.size() % 2 == 0
                      ? d.ts.toString()
                      : DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(
                          d.ts.atOffset(ZoneOffset.ofHours(2))))
              .put("direction", String.valueOf(d.direction)));
    }
    Reply repeated = server.postJson("/v1/datapoints", again);
    assertEquals(200, repeated.status(), repeated.json().encode());
    assertEquals(0, repeated.json().getInteger("rejected"), repeated.json().encode());
    assertEquals(repeats.size(), repeated.json().getInteger("duplicates"));
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  // ---------------------------------------------------------------- the answers

  @Test
  @DisplayName(
      "per doorway, hourly and daily in Paris across the DST change, JSON and CSV: every bucket's"
          + " entries, exits and crossings equal the reference")
  void doorwayTrafficEqualsTheReference() throws Exception {
    for (String interval : List.of("1h", "1d")) {
      List<Instant> bounds = boundaries(interval);
      assertEquals(interval.equals("1h") ? 24 + 23 + 24 : DAYS, bounds.size() - 1);
      for (String doorway : List.of("front", "inner", "side")) {
        String query = "/v1/doorways/" + doorway + "/counts?" + window(interval);
        Reply reply = server.get(query);
        assertEquals(200, reply.status(), reply.json().encode());
        JsonObject answer = reply.json();
        assertEquals(doorway, answer.getString("doorway_id"));
        assertEquals("Europe/Paris", answer.getString("time_zone"));
        List<String> spaces = spacesOf(doorway);
        assertEquals(new JsonArray(new ArrayList<>(spaces)), answer.getJsonArray("space_ids"));
        JsonArray buckets = answer.getJsonArray("buckets");
        assertEquals(bounds.size() - 1, buckets.size());
        StringBuilder csv = new StringBuilder("start,end,crossings,space_id,entries,exits\n");
        for (int i = 0; i < buckets.size(); i++) {
          Instant b0 = bounds.get(i);
          Instant b1 = bounds.get(i + 1);
          JsonObject b = buckets.getJsonObject(i);
          String where = doorway + " " + interval + " [" + b0 + ", " + b1 + ")";
          assertEquals(b0.toString(), b.getString("start"), where);
          assertEquals(b1.toString(), b.getString("end"), where);
          assertEquals(crossings(doorway, b0, b1), b.getInteger("crossings"), where);
          JsonArray perSpace = b.getJsonArray("spaces");
          assertEquals(spaces.size(), perSpace.size(), where);
          for (int s = 0; s < spaces.size(); s++) {
            String space = spaces.get(s);
            int[] expected = traffic(doorway, space, b0, b1);
            JsonObject got = perSpace.getJsonObject(s);
            assertEquals(space, got.getString("space_id"), where);
            assertEquals(expected[0], got.getInteger("entries"), where + " entries of " + space);
            assertEquals(expected[1], got.getInteger("exits"), where + " exits of " + space);
            csv.append(b0)
                .append(',')
                .append(b1)
                .append(',')
                .append(crossings(doorway, b0, b1))
                .append(',')
                .append(space)
                .append(',')
                .append(expected[0])
                .append(',')
                .append(expected[1])
                .append('\n');
          }
        }
        assertEquals(csv.toString(), text(query + "&format=csv", null));
        assertEquals(csv.toString(), text(query, "text/csv"));
      }
    }
    // The reference is not empty where it matters: the move and the back-dated link show.
    assertTrue(crossings("side", MOVE, END) > 0 && crossings("inner", MOVE, END) > 0);
    assertTrue(traffic("front", "H", BACK_DATED, END)[1] > 0, "f2's exits of H after its link");
  }

  @Test
  @DisplayName(
      "a space's counts by doorway: each bucket's entries and exits per doorway equal the"
          + " reference and add up to the bucket's own, JSON and CSV")
  void spaceCountsByDoorway() throws Exception {
    for (String interval : List.of("1h", "1d")) {
      List<Instant> bounds = boundaries(interval);
      for (String space : List.of("H", "R")) {
        String query = "/v1/spaces/" + space + "/counts?" + window(interval) + "&by=doorway";
        Reply reply = server.get(query);
        assertEquals(200, reply.status(), reply.json().encode());
        List<String> doorways = doorwaysOf(space);
        assertEquals(
            new JsonArray(new ArrayList<>(doorways)), reply.json().getJsonArray("doorway_ids"));
        JsonArray buckets = reply.json().getJsonArray("buckets");
        assertEquals(bounds.size() - 1, buckets.size());
        StringBuilder csv =
            new StringBuilder(
                "start,end,count,entries,exits,min,max,doorway_id,doorway_entries,doorway_exits\n");
        for (int i = 0; i < buckets.size(); i++) {
          Instant b0 = bounds.get(i);
          Instant b1 = bounds.get(i + 1);
          JsonObject b = buckets.getJsonObject(i);
          String where = space + " " + interval + " [" + b0 + ", " + b1 + ")";
          JsonArray perDoorway = b.getJsonArray("doorways");
          assertEquals(doorways.size(), perDoorway.size(), where);
          int entries = 0;
          int exits = 0;
          for (int d = 0; d < doorways.size(); d++) {
            String doorway = doorways.get(d);
            int[] expected = traffic(doorway, space, b0, b1);
            JsonObject got = perDoorway.getJsonObject(d);
            assertEquals(doorway, got.getString("doorway_id"), where);
            assertEquals(expected[0], got.getInteger("entries"), where + " through " + doorway);
            assertEquals(expected[1], got.getInteger("exits"), where + " through " + doorway);
            entries += expected[0];
            exits += expected[1];
            csv.append(
                    String.join(
                        ",",
                        b0.toString(),
                        b1.toString(),
                        String.valueOf(b.getInteger("count")),
                        String.valueOf(b.getInteger("entries")),
                        String.valueOf(b.getInteger("exits")),
                        String.valueOf(b.getInteger("min")),
                        String.valueOf(b.getInteger("max")),
                        doorway,
                        String.valueOf(expected[0]),
                        String.valueOf(expected[1])))
                .append('\n');
          }
          // The breakdown is of the bucket's own effects.
          assertEquals(entries, b.getInteger("entries"), where + " entries");
          assertEquals(exits, b.getInteger("exits"), where + " exits");
        }
        assertEquals(csv.toString(), text(query + "&format=csv", null));
        // Without by, the answer is as it was: no breakdown.
        JsonObject plain = server.get("/v1/spaces/" + space + "/counts?" + window(interval)).json();
        assertTrue(plain.getJsonArray("buckets").getJsonObject(0).getValue("doorways") == null);
        assertTrue(plain.getValue("doorway_ids") == null);
      }
    }
  }

  @Test
  @DisplayName("a doorway linked to no space: zero crossings, no space; CSV lines without one")
  void unlinkedDoorway() throws Exception {
    Reply reply = server.get("/v1/doorways/unused/counts?" + window("1d"));
    assertEquals(200, reply.status(), reply.json().encode());
    assertEquals(new JsonArray(), reply.json().getJsonArray("space_ids"));
    for (Object o : reply.json().getJsonArray("buckets")) {
      assertEquals(0, ((JsonObject) o).getInteger("crossings"));
      assertEquals(new JsonArray(), ((JsonObject) o).getJsonArray("spaces"));
    }
    List<Instant> days = boundaries("1d");
    StringBuilder csv = new StringBuilder("start,end,crossings,space_id,entries,exits\n");
    for (int i = 0; i + 1 < days.size(); i++) {
      csv.append(days.get(i)).append(',').append(days.get(i + 1)).append(",0,,,\n");
    }
    assertEquals(
        csv.toString(), text("/v1/doorways/unused/counts?" + window("1d") + "&format=csv", null));
  }

  @Test
  @DisplayName("bad input is a 4xx naming the field; an unknown doorway is 404 as on its own route")
  void errors() {
    String range = "start=" + START + "&end=" + END;
    assertEquals(404, server.get("/v1/doorways/nowhere").status());
    Reply unknown = server.get("/v1/doorways/nowhere/counts?" + range + "&interval=1h");
    assertEquals(404, unknown.status());
    assertEquals("error", unknown.json().getString("status"));
    assertError(400, "start", "/v1/doorways/front/counts?end=" + END + "&interval=1h");
    assertError(400, "end", "/v1/doorways/front/counts?start=" + START + "&interval=1h");
    assertError(422, "interval", "/v1/doorways/front/counts?" + range + "&interval=2h");
    assertError(422, "interval", "/v1/doorways/front/counts?" + range + "&interval=");
    assertError(
        422, "end", "/v1/doorways/front/counts?start=" + END + "&end=" + START + "&interval=1h");
    assertError(422, "tz", "/v1/doorways/front/counts?" + range + "&interval=1h&tz=Mars/Olympus");
    assertError(422, "format", "/v1/doorways/front/counts?" + range + "&interval=1h&format=xml");
    assertError(
        422,
        "interval",
        "/v1/doorways/front/counts?start=2024-01-01T00:00:00Z&end=2024-02-01T00:00:00Z"
            + "&interval=1m");
    assertError(
        400, "start", "/v1/doorways/front/counts?start=yesterday&end=" + END + "&interval=1h");
    assertError(422, "by", "/v1/spaces/H/counts?" + range + "&interval=1h&by=dpu");
  }

  // ---------------------------------------------------------------- the reference

  /** Bucket boundaries in Paris, from the calendar: hours are UTC hours there, days local days. */
  private static List<Instant> boundaries(String interval) {
    List<Instant> out = new ArrayList<>();
    if (interval.equals("1d")) {
      for (int i = 0; i <= DAYS; i++) {
        out.add(FIRST_DAY.plusDays(i).atStartOfDay(PARIS).toInstant());
      }
    } else {
      for (Instant t = START; !t.isAfter(END); t = t.plus(1, ChronoUnit.HOURS)) {
        out.add(t);
      }
    }
    return out;
  }

  private static boolean inside(Datapoint d, Instant b0, Instant b1) {
    return !d.ts.isBefore(b0) && d.ts.isBefore(b1);
  }

  /**
   * Distinct datapoints in [b0, b1) of a DPU that a link valid at their time puts in the doorway.
   */
  private static int crossings(String doorway, Instant b0, Instant b1) {
    int n = 0;
    for (Datapoint d : sent) {
      if (inside(d, b0, b1)
          && links.stream()
              .anyMatch(l -> l.dpu.equals(d.dpu) && l.doorway.equals(doorway) && l.validAt(d.ts))) {
        n++;
      }
    }
    return n;
  }

  /** {entries, exits} of a space through a doorway in [b0, b1): direction × placement. */
  private static int[] traffic(String doorway, String space, Instant b0, Instant b1) {
    int[] out = new int[2];
    for (Datapoint d : sent) {
      if (!inside(d, b0, b1)) {
        continue;
      }
      for (Link l : links) {
        if (l.dpu.equals(d.dpu)
            && l.doorway.equals(doorway)
            && l.space.equals(space)
            && l.validAt(d.ts)) {
          out[d.direction * l.placement > 0 ? 0 : 1]++;
        }
      }
    }
    return out;
  }

  private static boolean inRange(Link l) {
    return l.from.isBefore(END) && (l.to == null || l.to.isAfter(START));
  }

  private static List<String> spacesOf(String doorway) {
    Set<String> out = new TreeSet<>();
    links.stream()
        .filter(l -> l.doorway.equals(doorway) && inRange(l))
        .forEach(l -> out.add(l.space));
    return new ArrayList<>(out);
  }

  private static List<String> doorwaysOf(String space) {
    Set<String> out = new TreeSet<>();
    links.stream()
        .filter(l -> l.space.equals(space) && inRange(l))
        .forEach(l -> out.add(l.doorway));
    return new ArrayList<>(out);
  }

  // ---------------------------------------------------------------- talking to the server

  private static String window(String interval) {
    return "start=" + START + "&end=" + END + "&interval=" + interval + "&tz=Europe/Paris";
  }

  private static void put(String path, JsonObject body) {
    Reply reply = server.putJson(path, body);
    assertTrue(reply.status() < 300, path + " → " + reply);
  }

  private static void link(String dpu, String doorway, String space, int placement, Instant from) {
    Reply reply =
        server.postJson(
            "/v1/links",
            new JsonObject()
                .put("dpu_id", dpu)
                .put("doorway_id", doorway)
                .put("space_id", space)
                .put("sensor_placement", placement)
                .put("valid_from", from.toString()));
    assertEquals(201, reply.status(), reply.json().encode());
    links.add(new Link(dpu, doorway, space, placement, from, null));
  }

  /** A link a move opens. */
  private record To(String space, int placement) {}

  /** Moves a DPU at {@link #MOVE} to a doorway with these links. */
  private static void move(String dpu, String doorway, List<To> to) {
    JsonArray body = new JsonArray();
    for (To l : to) {
      body.add(new JsonObject().put("space_id", l.space).put("sensor_placement", l.placement));
    }
    Reply reply =
        server.postJson(
            "/v1/dpus/" + dpu + "/move",
            new JsonObject()
                .put("doorway_id", doorway)
                .put("at", MOVE.toString())
                .put("links", body));
    assertEquals(200, reply.status(), reply.json().encode());
    for (int i = 0; i < links.size(); i++) {
      Link l = links.get(i);
      if (l.dpu.equals(dpu) && l.validAt(MOVE)) {
        links.set(i, new Link(l.dpu, l.doorway, l.space, l.placement, l.from, MOVE));
      }
    }
    for (To l : to) {
      links.add(new Link(dpu, doorway, l.space, l.placement, MOVE, null));
    }
  }

  /** Sends datapoints in shuffled batches of 97, each counted once in the reference. */
  private static void send(List<Datapoint> datapoints) {
    for (int from = 0; from < datapoints.size(); from += 97) {
      JsonArray batch = new JsonArray();
      for (Datapoint d : datapoints.subList(from, Math.min(datapoints.size(), from + 97))) {
        batch.add(
            new JsonObject()
                .put("dpu_id", d.dpu)
                .put("timestamp", d.ts.toString())
                .put("direction", d.direction));
      }
      Reply reply = server.postJson("/v1/datapoints", batch);
      assertEquals(200, reply.status(), reply.json().encode());
      assertEquals(0, reply.json().getInteger("rejected"), reply.json().encode());
    }
    sent.addAll(datapoints);
  }

  private static void assertError(int status, String field, String path) {
    Reply reply = server.get(path);
    assertEquals(status, reply.status(), path + " → " + reply.json().encode());
    assertEquals("error", reply.json().getString("status"), path);
    assertEquals(field, reply.json().getString("field"), path);
  }

  /** The body of a GET as text, with an Accept header (null: none); it must be CSV. */
  private static String text(String path, String accept) throws IOException, InterruptedException {
    var request = server.request(path).GET();
    if (accept != null) {
      request.header("Accept", accept);
    }
    HttpResponse<String> response =
        HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    assertEquals(
        "text/csv", response.headers().firstValue("Content-Type").orElse("").split(";")[0]);
    return response.body();
  }
}
