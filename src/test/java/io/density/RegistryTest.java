package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Managing the building: idempotent, validated, with clear errors")
class RegistryTest {
  private static TestServer server;

  @BeforeAll
  static void start() {
    server = new TestServer().start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static JsonObject link(
      String dpu, String doorway, String space, int placement, String from) {
    JsonObject link =
        new JsonObject()
            .put("dpu_id", dpu)
            .put("doorway_id", doorway)
            .put("space_id", space)
            .put("sensor_placement", placement);
    return from == null ? link : link.put("valid_from", from);
  }

  @Test
  @DisplayName("PUT creates (201), re-PUT updates (200), GET returns it with defaults filled in")
  void spacesAreIdempotent() {
    JsonObject body =
        new JsonObject()
            .put("name", "Lobby")
            .put("time_zone", "Europe/Paris")
            .put("capacity", 40)
            .put("daily_reset", "04:00");
    assertEquals(201, server.putJson("/v1/spaces/lobby", body).status());
    Reply again = server.putJson("/v1/spaces/lobby", body.put("name", "Main lobby"));
    assertEquals(200, again.status());
    JsonObject space = server.get("/v1/spaces/lobby").json();
    assertEquals("Main lobby", space.getString("name"));
    assertEquals("Europe/Paris", space.getString("time_zone"));
    assertEquals(40, space.getInteger("capacity"));
    assertEquals(true, space.getBoolean("clamp"));
    assertEquals("04:00", space.getString("daily_reset"));
    assertEquals(404, server.get("/v1/spaces/nowhere").status());
    assertEquals(
        1,
        server.get("/v1/spaces").json().getJsonArray("items").stream()
            .filter(s -> ((JsonObject) s).getString("id").equals("lobby"))
            .count());
  }

  @Test
  @DisplayName("bad space values are 422 naming the field")
  void badSpaces() {
    assertEquals(
        "time_zone",
        server
            .putJson("/v1/spaces/s1", new JsonObject().put("time_zone", "Mars/Olympus"))
            .json()
            .getString("field"));
    assertEquals(
        "capacity",
        server
            .putJson("/v1/spaces/s1", new JsonObject().put("capacity", -3))
            .json()
            .getString("field"));
    assertEquals(
        "clamp",
        server
            .putJson("/v1/spaces/s1", new JsonObject().put("clamp", "yes"))
            .json()
            .getString("field"));
    assertEquals(
        "daily_reset",
        server
            .putJson("/v1/spaces/s1", new JsonObject().put("daily_reset", "4am"))
            .json()
            .getString("field"));
    Reply unknownParent =
        server.putJson("/v1/spaces/s1", new JsonObject().put("parent_id", "ghost"));
    assertEquals(422, unknownParent.status());
    assertEquals("parent_id", unknownParent.json().getString("field"));
    assertEquals(
        404, server.get("/v1/spaces/s1").status(), "nothing was created by the failed PUTs");
  }

  @Test
  @DisplayName("nesting works, and a parent that would close a cycle is refused")
  void nesting() {
    assertEquals(201, server.putJson("/v1/spaces/building", new JsonObject()).status());
    assertEquals(
        201,
        server
            .putJson("/v1/spaces/floor1", new JsonObject().put("parent_id", "building"))
            .status());
    assertEquals("building", server.get("/v1/spaces/floor1").json().getString("parent_id"));
    Reply cycle =
        server.putJson("/v1/spaces/building", new JsonObject().put("parent_id", "floor1"));
    assertEquals(422, cycle.status());
    assertEquals("parent_id", cycle.json().getString("field"));
    assertNull(server.get("/v1/spaces/building").json().getString("parent_id"));
  }

  /** Every PUT of a space's parent, {@code {child, parent}}, sent at once; their statuses. */
  private static List<Integer> putParentsAtOnce(List<String[]> changes) {
    ExecutorService senders = Executors.newFixedThreadPool(changes.size());
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> statuses = new ArrayList<>();
      for (String[] change : changes) {
        statuses.add(
            senders.submit(
                () -> {
                  go.await();
                  return server
                      .putJson(
                          "/v1/spaces/" + change[0], new JsonObject().put("parent_id", change[1]))
                      .status();
                }));
      }
      go.countDown();
      List<Integer> out = new ArrayList<>();
      for (Future<Integer> status : statuses) {
        out.add(status.get(60, TimeUnit.SECONDS));
      }
      return out;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      senders.shutdownNow();
    }
  }

  /** The spaces that are their own ancestor. */
  private static List<String> spacesInACycle() {
    return server
        .rows(
            """
            WITH RECURSIVE up(start, id) AS (
              SELECT id, parent_id FROM space WHERE parent_id IS NOT NULL
              UNION
              SELECT up.start, s.parent_id FROM up JOIN space s ON s.id = up.id
               WHERE s.parent_id IS NOT NULL
            )
            SELECT start FROM up WHERE id = start
            """)
        .stream()
        .map(r -> r.getString("start"))
        .toList();
  }

  @Test
  @DisplayName("of two PUTs at once making each space the other's parent, exactly one is refused")
  void concurrentPairs() {
    int pairs = 16;
    List<String[]> changes = new ArrayList<>();
    for (int i = 0; i < pairs; i++) {
      assertEquals(201, server.putJson("/v1/spaces/pair" + i + "a", new JsonObject()).status());
      assertEquals(201, server.putJson("/v1/spaces/pair" + i + "b", new JsonObject()).status());
      changes.add(new String[] {"pair" + i + "a", "pair" + i + "b"});
      changes.add(new String[] {"pair" + i + "b", "pair" + i + "a"});
    }
    List<Integer> statuses = putParentsAtOnce(changes);
    for (int i = 0; i < pairs; i++) {
      assertEquals(
          List.of(200, 422),
          statuses.subList(2 * i, 2 * i + 2).stream().sorted().toList(),
          "pair " + i + ": " + statuses);
    }
    assertEquals(List.of(), spacesInACycle());
  }

  @Test
  @DisplayName("of three PUTs at once closing a ring of three spaces, exactly one is refused")
  void concurrentRings() {
    int rings = 8;
    List<String[]> changes = new ArrayList<>();
    for (int i = 0; i < rings; i++) {
      for (int k = 0; k < 3; k++) {
        assertEquals(
            201, server.putJson("/v1/spaces/ring" + i + "-" + k, new JsonObject()).status());
        changes.add(new String[] {"ring" + i + "-" + k, "ring" + i + "-" + (k + 1) % 3});
      }
    }
    List<Integer> statuses = putParentsAtOnce(changes);
    for (int i = 0; i < rings; i++) {
      assertEquals(
          List.of(200, 200, 422),
          statuses.subList(3 * i, 3 * i + 3).stream().sorted().toList(),
          "ring " + i + ": " + statuses);
    }
    assertEquals(List.of(), spacesInACycle());
  }

  @Test
  @DisplayName("links: re-posting is idempotent, overlaps and a second doorway at once are 409")
  void links() {
    server.putJson("/v1/spaces/L1", new JsonObject());
    server.putJson("/v1/spaces/L2", new JsonObject());
    server.putJson("/v1/doorways/D1", new JsonObject());
    server.putJson("/v1/doorways/D2", new JsonObject());
    server.putJson("/v1/dpus/P1", new JsonObject().put("name", "over D1"));

    Reply created = server.postJson("/v1/links", link("P1", "D1", "L1", 1, "2024-01-01T00:00:00Z"));
    assertEquals(201, created.status(), created.json().encode());
    Reply again = server.postJson("/v1/links", link("P1", "D1", "L1", 1, "2024-01-01T00:00:00Z"));
    assertEquals(200, again.status());
    assertEquals(created.json().getLong("id"), again.json().getLong("id"));
    Reply openEnded = server.postJson("/v1/links", link("P1", "D1", "L1", 1, null));
    assertEquals(
        200, openEnded.status(), "without valid_from, the link still open is the same link");

    assertEquals(
        201,
        server.postJson("/v1/links", link("P1", "D1", "L2", -1, "2024-01-01T00:00:00Z")).status());

    Reply overlap =
        server.postJson("/v1/links", link("P1", "D1", "L1", -1, "2024-06-01T00:00:00Z"));
    assertEquals(409, overlap.status());
    Reply twoDoorways =
        server.postJson("/v1/links", link("P1", "D2", "L1", 1, "2024-06-01T00:00:00Z"));
    assertEquals(409, twoDoorways.status());
    assertEquals("doorway_id", twoDoorways.json().getString("field"));

    assertEquals(2, server.get("/v1/links?dpu_id=P1").json().getJsonArray("items").size());
    assertEquals(1, server.get("/v1/links?space_id=L2").json().getJsonArray("items").size());
    assertEquals(
        2, server.get("/v1/dpus/P1").json().getJsonArray("links").size(), "links valid now");
  }

  @Test
  @DisplayName("links to unregistered things, or with bad values, are 422 naming the field")
  void badLinks() {
    server.putJson("/v1/spaces/M1", new JsonObject());
    server.putJson("/v1/doorways/MD", new JsonObject());
    server.putJson("/v1/dpus/MP", new JsonObject());
    assertEquals(
        "dpu_id",
        server.postJson("/v1/links", link("nope", "MD", "M1", 1, null)).json().getString("field"));
    assertEquals(
        "doorway_id",
        server.postJson("/v1/links", link("MP", "nope", "M1", 1, null)).json().getString("field"));
    assertEquals(
        "space_id",
        server.postJson("/v1/links", link("MP", "MD", "nope", 1, null)).json().getString("field"));
    assertEquals(
        "sensor_placement",
        server.postJson("/v1/links", link("MP", "MD", "M1", 2, null)).json().getString("field"));
    assertEquals(
        "valid_from",
        server.postJson("/v1/links", link("MP", "MD", "M1", 1, "soon")).json().getString("field"));
    Reply backwards =
        server.postJson(
            "/v1/links",
            link("MP", "MD", "M1", 1, "2024-01-02T00:00:00Z")
                .put("valid_to", "2024-01-01T00:00:00Z"));
    assertEquals(422, backwards.status());
    assertEquals("valid_to", backwards.json().getString("field"));
    assertEquals(0, server.get("/v1/links?dpu_id=MP").json().getJsonArray("items").size());
  }
}
