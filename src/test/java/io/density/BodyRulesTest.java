package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.api.BodyRules;
import io.density.api.Documents;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Request bodies are checked against their schemas in the API document (api/BodyRules), where they
 * enter: a route's JSON body, each item of a bulk request. The answer follows the error rule of
 * docs/api.md and names the property at fault; nothing of a refused body is stored.
 */
@DisplayName("Request bodies are checked against the API document")
class BodyRulesTest {
  private static TestServer server;

  @BeforeAll
  static void start() {
    server = new TestServer().start();
    server.provisionSeedBuilding();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static void assertRefused(Reply reply, int status, String field, String words) {
    String seen = reply.json().encode();
    assertEquals(status, reply.status(), seen);
    assertEquals("error", reply.json().getString("status"), seen);
    assertEquals(field, reply.json().getString("field"), seen);
    assertTrue(reply.json().getString("error").contains(words), seen);
  }

  @Test
  @DisplayName(
      "a rule of the schema broken is 422, a property missing or not of its type 400, each naming"
          + " the property and the rule; nothing is stored")
  void routes() {
    assertRefused(
        server.putJson("/v1/spaces/X", new JsonObject().put("capacity", -1)),
        422,
        "capacity",
        "capacity must be at least 0");
    assertRefused(
        server.putJson("/v1/spaces/X", new JsonObject().put("clamp", "yes")),
        400,
        "clamp",
        "clamp must be true or false or null");
    assertEquals(404, server.get("/v1/spaces/X").status(), "a refused space is not stored");
    assertRefused(
        server.putJson("/v1/dpus/D9", new JsonObject().put("name", "n".repeat(201))),
        422,
        "name",
        "at most 200 characters");

    JsonObject link =
        new JsonObject()
            .put("dpu_id", "423")
            .put("doorway_id", "Z")
            .put("space_id", "A")
            .put("sensor_placement", 2);
    assertRefused(
        server.postJson("/v1/links", link), 422, "sensor_placement", "must be one of 1, -1");
    assertRefused(
        server.postJson("/v1/links", link.copy().put("sensor_placement", 1).put("space_id", true)),
        400,
        "space_id",
        "space_id must be a string or an integer");

    JsonObject move = new JsonObject().put("doorway_id", "Z").put("links", new JsonArray());
    assertRefused(server.postJson("/v1/dpus/423/move", move), 422, "links", "at least 1 item");
    assertRefused(
        server.postJson("/v1/dpus/423/move", new JsonObject().put("doorway_id", "Z")),
        400,
        "links",
        "links is required");
    assertRefused(
        server.postJson(
            "/v1/dpus/423/move",
            move.copy()
                .put(
                    "links",
                    new JsonArray().add(new JsonObject().put("space_id", "B").put("other", 1)))),
        400,
        "sensor_placement",
        "links[0].sensor_placement is required");

    JsonObject level = new JsonObject().put("name", "full").put("level", 0);
    assertRefused(
        server.putJson(
            "/v1/spaces/A/alerts", new JsonObject().put("levels", new JsonArray().add(level))),
        422,
        "level",
        "levels[0].level must be an integer from 1 to 2147483647 or \"capacity\"");
    assertRefused(
        server.postJson("/v1/tokens", new JsonObject().put("scope", "root")),
        422,
        "scope",
        "scope must be one of \"read\", \"ingest\", \"admin\"");
    assertRefused(
        server.putJson("/v1/webhooks/ops", new JsonObject().put("url", 5)),
        400,
        "url",
        "url must be a string");
    assertRefused(
        server.postJson(
            "/v1/spaces/A/resets",
            new JsonObject().put("timestamp", "2024-01-01T00:00:00Z").put("count", -1)),
        422,
        "count",
        "count must be at least 0");
  }

  @Test
  @DisplayName("sensor_placement takes what the document lists: 1, -1, \"+1\", \"1\", \"-1\"")
  void placements() {
    server.putJson("/v1/spaces/P", new JsonObject()).status();
    int i = 0;
    for (Object placement : List.of(1, "+1", "1", -1, "-1")) {
      String dpu = "P" + i++;
      assertEquals(201, server.putJson("/v1/dpus/" + dpu, new JsonObject()).status());
      JsonObject link =
          new JsonObject()
              .put("dpu_id", dpu)
              .put("doorway_id", "Z")
              .put("space_id", "P")
              .put("sensor_placement", placement);
      Reply created = server.postJson("/v1/links", link);
      assertEquals(201, created.status(), placement + " → " + created.json().encode());
      int expected = placement.toString().startsWith("-") ? -1 : 1;
      assertEquals(
          expected, created.json().getInteger("sensor_placement"), placement + " is stored");
    }
  }

  @Test
  @DisplayName("each item of a bulk request is checked against its kind's schema, on its own")
  void bulkItems() {
    Reply spaces =
        server.postJson(
            "/v1/bulk/spaces",
            new JsonArray()
                .add(new JsonObject().put("id", "S1").put("capacity", 10))
                .add(new JsonObject().put("id", "S2").put("capacity", "many"))
                .add(new JsonObject().put("capacity", 3)));
    assertEquals(200, spaces.status(), spaces.json().encode());
    JsonArray results = spaces.json().getJsonArray("results");
    assertEquals("created", results.getJsonObject(0).getString("status"));
    assertEquals("rejected", results.getJsonObject(1).getString("status"));
    assertEquals("capacity", results.getJsonObject(1).getString("field"));
    assertEquals("rejected", results.getJsonObject(2).getString("status"));
    assertEquals("id", results.getJsonObject(2).getString("field"));
    assertEquals(404, server.get("/v1/spaces/S2").status(), "a rejected item is not stored");

    Reply dpus =
        server.postJson(
            "/v1/bulk/dpus",
            new JsonArray().add(new JsonObject().put("id", "Q1").put("name", List.of("x"))));
    assertEquals(422, dpus.status(), "every item rejected: " + dpus.json().encode());
    assertEquals("name", dpus.json().getJsonArray("results").getJsonObject(0).getString("field"));
  }

  @Test
  @DisplayName(
      "every JSON body of the document has a schema of its own that the server checks, and the"
          + " document's example of it meets it")
  void everyBodyHasItsRules() {
    JsonObject paths = new JsonObject(Documents.OPENAPI_JSON).getJsonObject("paths");
    List<String> checked = new ArrayList<>();
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        JsonObject operation = item.getJsonObject(method);
        JsonObject json =
            operation.getJsonObject("requestBody") == null
                ? null
                : operation
                    .getJsonObject("requestBody")
                    .getJsonObject("content")
                    .getJsonObject("application/json");
        String id = operation.getString("operationId");
        if (json == null || List.of("sendDatapoint", "ingestDatapoints").contains(id)) {
          continue; // no JSON body, or the datapoints, which the streaming parser reads
        }
        if (id.equals("bulkProvision")) {
          for (Object example : json.getJsonArray("example")) {
            BodyRules.check("SpaceItem", (JsonObject) example);
          }
          continue;
        }
        String schema = BodyRules.ofOperation(id);
        assertNotNull(schema, id + ": its body is a schema of components/schemas");
        assertNotNull(json.getJsonObject("example"), id + ": its body has an example");
        BodyRules.check(schema, json.getJsonObject("example"));
        checked.add(id);
      }
    }
    assertTrue(checked.size() >= 11, "the bodies checked: " + checked);
  }
}
