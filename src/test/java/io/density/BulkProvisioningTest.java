package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.ContractModel;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Bulk provisioning: many spaces, doorways, DPUs and links per request")
class BulkProvisioningTest {
  private static final int ROOMS = 200;
  private TestServer server;

  @BeforeEach
  void start() {
    server = new TestServer().start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /**
   * A building: one floor, ROOMS rooms in it (every tenth with a daily reset), a door from the
   * corridor into each room with its DPU, the floor counting everyone in any room.
   */
  private void provisionBuilding() {
    JsonArray spaces = new JsonArray().add(new JsonObject().put("id", "floor"));
    JsonArray doorways = new JsonArray();
    JsonArray dpus = new JsonArray();
    JsonArray links = new JsonArray();
    for (int r = 0; r < ROOMS; r++) {
      JsonObject room = new JsonObject().put("id", "room-" + r).put("parent_id", "floor");
      if (r % 10 == 0) {
        room.put("time_zone", "Europe/Paris").put("daily_reset", "04:00");
      }
      spaces.add(room);
      doorways.add(new JsonObject().put("id", "door-" + r));
      dpus.add(new JsonObject().put("id", "dpu-" + r).put("name", "over door " + r));
      links.add(link("dpu-" + r, "door-" + r, "room-" + r, 1));
    }
    // The rooms before the floor they are in: order within a request does not matter.
    JsonArray roomsFirst = new JsonArray();
    for (int i = 1; i < spaces.size(); i++) {
      roomsFirst.add(spaces.getValue(i));
    }
    roomsFirst.add(spaces.getValue(0));
    assertCreated(ROOMS + 1, bulk("spaces", roomsFirst));
    assertCreated(ROOMS, bulk("doorways", doorways));
    assertCreated(ROOMS, bulkNdjson("dpus", dpus));
    assertCreated(ROOMS, bulk("links", links));
  }

  private static JsonObject link(String dpu, String door, String space, int placement) {
    return new JsonObject()
        .put("dpu_id", dpu)
        .put("doorway_id", door)
        .put("space_id", space)
        .put("sensor_placement", placement)
        .put("valid_from", "2020-01-01T00:00:00Z");
  }

  private Reply bulk(String kind, JsonArray items) {
    return server.postJson("/v1/bulk/" + kind, items);
  }

  private Reply bulkNdjson(String kind, JsonArray items) {
    String body =
        items.stream().map(o -> ((JsonObject) o).encode()).collect(Collectors.joining("\n"));
    return server.send("/v1/bulk/" + kind, "POST", "application/x-ndjson", body);
  }

  private static void assertCreated(int created, Reply reply) {
    assertEquals(200, reply.status(), reply.json().encode());
    assertEquals(created, reply.json().getInteger("created"), reply.json().encode());
    assertEquals(0, reply.json().getInteger("rejected"), reply.json().encode());
  }

  @Test
  @DisplayName(
      "a building provisioned in bulk counts as the contract says, from its first datapoint")
  void buildingInBulk() {
    provisionBuilding();
    assertEquals(ROOMS + 1, server.get("/v1/spaces").json().getJsonArray("items").size());
    assertEquals(0, server.get("/?space=room-7").json().getInteger("count"));
    assertEquals(
        1,
        server
            .rows("SELECT 1 FROM space WHERE id = 'room-10' AND next_daily_reset IS NOT NULL")
            .size(),
        "the daily reset of a room provisioned in bulk is scheduled");

    ContractModel contract = new ContractModel();
    for (int r = 0; r < ROOMS; r++) {
      contract.link("dpu-" + r, "room-" + r, 1, Instant.parse("2020-01-01T00:00:00Z"));
      if (r % 10 == 0) {
        contract.dailyReset(
            "room-" + r,
            java.time.ZoneId.of("Europe/Paris"),
            java.time.LocalTime.of(4, 0),
            java.time.LocalDate.parse("2024-04-01"));
      }
    }
    List<JsonObject> datapoints = new ArrayList<>();
    Instant t = Instant.parse("2024-04-02T08:00:00Z");
    for (int i = 0; i < 3 * ROOMS; i++) {
      datapoints.add(
          new JsonObject()
              .put("dpu_id", "dpu-" + (i * 7 % ROOMS))
              .put("timestamp", t.plusSeconds(i).toString())
              .put("direction", i % 5 == 4 ? -1 : 1));
    }
    server.feed(contract, datapoints);
    for (int r = 0; r < ROOMS; r += 3) {
      assertEquals(
          contract.realtime("room-" + r),
          server.get("/v1/spaces/room-" + r + "/count").json().getInteger("count"),
          "room-" + r);
      Instant noon = Instant.parse("2024-04-02T12:00:00Z");
      assertEquals(
          contract.countAsOf("room-" + r, noon),
          server.get("/v1/spaces/room-" + r + "/count?at=" + noon).json().getInteger("count"),
          "room-" + r + " at noon");
    }
  }

  @Test
  @DisplayName(
      "bad items are rejected one by one with their field; the rest is written; a second time it is"
          + " updated or unchanged")
  void perItemResults() {
    provisionBuilding();
    JsonArray spaces =
        new JsonArray()
            .add(new JsonObject().put("id", "annex"))
            .add(new JsonObject().put("id", "annex").put("name", "again"))
            .add(new JsonObject().put("id", "lab").put("parent_id", "nowhere"))
            .add(new JsonObject().put("id", "bad-zone").put("time_zone", "Mars/Olympus"))
            .add("not an object")
            .add(new JsonObject().put("name", "no id"));
    Reply reply = bulk("spaces", spaces);
    assertEquals(200, reply.status(), reply.json().encode());
    assertEquals(
        List.of("created", "rejected", "rejected", "rejected", "rejected", "rejected"),
        statuses(reply));
    assertEquals(
        List.of("", "id", "parent_id", "time_zone", "", "id"),
        reply.json().getJsonArray("results").stream()
            .map(r -> ((JsonObject) r).getString("field", ""))
            .toList());

    JsonArray links =
        new JsonArray()
            .add(link("dpu-1", "door-1", "room-1", 1)) // the same link again
            .add(link("ghost", "door-1", "room-1", 1))
            .add(link("dpu-2", "door-2", "annex", 2));
    Reply linked = bulk("links", links);
    assertEquals(List.of("unchanged", "rejected", "rejected"), statuses(linked));
    assertEquals(
        "dpu_id", linked.json().getJsonArray("results").getJsonObject(1).getString("field"));

    Reply again = bulk("doorways", new JsonArray().add(new JsonObject().put("id", "door-3")));
    assertEquals(List.of("updated"), statuses(again));

    Reply none = bulk("dpus", new JsonArray().add(new JsonObject().put("id", "")));
    assertEquals(422, none.status(), "every item rejected");
  }

  @Test
  @DisplayName("parents that would make a cycle are refused and nothing of the request is written")
  void cycle() {
    JsonArray spaces =
        new JsonArray()
            .add(new JsonObject().put("id", "a").put("parent_id", "b"))
            .add(new JsonObject().put("id", "b").put("parent_id", "a"))
            .add(new JsonObject().put("id", "c"));
    Reply reply = bulk("spaces", spaces);
    assertEquals(422, reply.status(), reply.json().encode());
    assertEquals("parent_id", reply.json().getString("field"));
    assertEquals(0, server.countRows("space"));
  }

  /** Spaces {@code prefix-0} to {@code prefix-(n-1)}, each the parent of the one before it. */
  private static JsonArray chain(String prefix, int n) {
    JsonArray spaces = new JsonArray();
    for (int i = 0; i < n; i++) {
      JsonObject space = new JsonObject().put("id", prefix + "-" + i);
      spaces.add(i + 1 < n ? space.put("parent_id", prefix + "-" + (i + 1)) : space);
    }
    return spaces;
  }

  private static void assertCycleRefused(Reply reply, String prefix) {
    String answer = reply.json().encode();
    String brief = answer.substring(0, Math.min(answer.length(), 300));
    assertEquals(422, reply.status(), brief);
    assertEquals("parent_id", reply.json().getString("field"), brief);
    assertTrue(
        reply.json().getString("error").matches(".*\\b" + prefix + "-\\d+\\b.*"),
        "names a space of the cycle: " + brief);
  }

  @Test
  @DisplayName("a cycle of parents is refused whatever its length, and nothing is written")
  void longCycles() {
    for (int n : new int[] {1_001, 10_000}) {
      JsonArray ring = chain("ring" + n, n);
      ring.getJsonObject(n - 1).put("parent_id", "ring" + n + "-0");
      assertCycleRefused(bulk("spaces", ring), "ring" + n);
      assertEquals(0, server.countRows("space"), n + " spaces in a ring");
    }
  }

  @Test
  @DisplayName(
      "a chain of 10,000 spaces is accepted at once; closing it later, in bulk or alone, is not")
  void longChain() {
    int n = 10_000;
    assertCreated(n, bulk("spaces", chain("c", n)));
    assertEquals(n, server.countRows("space"));

    JsonObject closing = new JsonObject().put("id", "c-" + (n - 1)).put("parent_id", "c-0");
    assertCycleRefused(bulk("spaces", new JsonArray().add(closing)), "c");
    assertCycleRefused(
        server.putJson("/v1/spaces/c-" + (n - 1), new JsonObject().put("parent_id", "c-0")), "c");
    assertEquals(
        List.of(),
        server.rows("SELECT id FROM space WHERE id = $1 AND parent_id IS NOT NULL", "c-" + (n - 1)),
        "the root still has no parent");

    // A new space above the root, and a second chain hung under a leaf: no cycle, accepted.
    JsonArray more = chain("d", 100);
    more.getJsonObject(99).put("parent_id", "c-0");
    more.add(new JsonObject().put("id", "c-" + (n - 1)).put("parent_id", "top"));
    more.add(new JsonObject().put("id", "top"));
    Reply grown = bulk("spaces", more);
    assertEquals(200, grown.status(), grown.json().encode());
    assertEquals(0, grown.json().getInteger("rejected"), grown.json().encode());
  }

  @Test
  @DisplayName("links posted in bulk with a past valid_from attribute the DPUs' earlier datapoints")
  void backDatedLinksInBulk() {
    provisionBuilding();
    assertCreated(1, bulk("dpus", new JsonArray().add(new JsonObject().put("id", "late-dpu"))));
    assertCreated(
        1, bulk("doorways", new JsonArray().add(new JsonObject().put("id", "side-door"))));
    JsonArray sent = new JsonArray();
    for (int i = 0; i < 4; i++) {
      sent.add(
          new JsonObject()
              .put("dpu_id", "late-dpu")
              .put("timestamp", "2024-05-01T10:0" + i + ":00Z")
              .put("direction", 1));
    }
    assertEquals(200, server.postJson("/v1/datapoints", sent).status());
    assertEquals(0, server.get("/?space=room-3").json().getInteger("count"));
    Reply linked = bulk("links", new JsonArray().add(link("late-dpu", "side-door", "room-3", 1)));
    assertEquals(List.of("created"), statuses(linked));
    assertEquals(4, server.get("/?space=room-3").json().getInteger("count"));
  }

  private static List<String> statuses(Reply reply) {
    return reply.json().getJsonArray("results").stream()
        .map(r -> ((JsonObject) r).getString("status"))
        .toList();
  }
}
