package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.history.Buckets;
import io.density.support.RawConnection;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The parameters of the management and query routes are checked against the API document (the
 * enums, minimums, maximums and required parameters it states, which no route checks again), after
 * the token and by the error rule of docs/api.md.
 */
@DisplayName("Parameters are checked against the API document, after the token")
class ApiValidationTest {
  private static final String WINDOW = "start=2024-01-01T00:00:00Z&end=2024-01-02T00:00:00Z";

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

  private static void assertRefused(int status, String field, String path) {
    Reply reply = server.get(path);
    assertEquals(status, reply.status(), path + " → " + reply.json().encode());
    assertEquals("error", reply.json().getString("status"), path);
    assertEquals(field, reply.json().getString("field"), path + " → " + reply.json().encode());
  }

  @Test
  @DisplayName("a request without a valid token is 401 before any of its parameters is checked")
  void tokenFirst() {
    for (String path :
        List.of(
            "/v1/spaces/A/counts?" + WINDOW + "&interval=2h",
            "/v1/spaces/A/counts",
            "/v1/alerts?limit=0",
            "/v1/dpu-activity?silent_minutes=abc")) {
      Reply none = server.sendAs(null, "GET", path, null);
      assertEquals(401, none.status(), path);
      assertEquals("Authorization", none.json().getString("field"), path);
      assertEquals(401, server.sendAs("Bearer dens_unknown", "GET", path, null).status(), path);
    }
  }

  @Test
  @DisplayName("a value not in the document's enum is 422 naming the parameter")
  void enums() {
    String counts = "/v1/spaces/A/counts?" + WINDOW;
    assertRefused(422, "interval", counts + "&interval=2h");
    assertRefused(422, "interval", counts + "&interval=");
    // Read as sent, not as JSON: the quotes are part of the value.
    assertRefused(422, "interval", counts + "&interval=%221h%22");
    assertRefused(422, "interval", counts + "&interval=1H");
    assertRefused(422, "format", counts + "&interval=1h&format=xml");
    assertRefused(422, "by", counts + "&interval=1h&by=dpu");
    assertRefused(422, "interval", "/v1/doorways/Z/counts?" + WINDOW + "&interval=1w");
    assertRefused(
        422, "children", "/v1/spaces/A/utilization?start=2024-01-01&end=2024-01-02&children=1");
    assertEquals(200, server.get(counts + "&interval=1h&format=json&by=doorway").status());
  }

  @Test
  @DisplayName("a number outside the document's minimum and maximum is 422 naming the parameter")
  void ranges() {
    assertRefused(422, "limit", "/v1/alerts?limit=0");
    assertRefused(422, "limit", "/v1/alerts?limit=1001");
    assertRefused(422, "limit", "/v1/spaces/A/events?limit=10001");
    assertRefused(422, "silent_minutes", "/v1/dpu-activity?silent_minutes=525601");
    assertRefused(422, "limit", "/v1/dpu-activity?limit=-1");
    assertRefused(422, "id", "/v1/spaces/" + "s".repeat(65));
    assertEquals(200, server.get("/v1/spaces/A/events?limit=10000").status());
    assertEquals(200, server.get("/v1/alerts?limit=1000").status());
    // Whole numbers as JSON writes them.
    JsonObject activity = server.get("/v1/dpu-activity?silent_minutes=1e2&limit=5.0").json();
    assertEquals(100, activity.getInteger("silent_minutes"), activity.encode());
  }

  @Test
  @DisplayName("a missing required parameter, or text where a number belongs, is 400")
  void malformed() {
    assertRefused(400, "interval", "/v1/spaces/A/counts?" + WINDOW);
    assertRefused(400, "start", "/v1/doorways/Z/counts?end=2024-01-02T00:00:00Z&interval=1h");
    assertRefused(400, "space", "/count");
    assertRefused(400, "limit", "/v1/alerts?limit=ten");
    assertRefused(400, "limit", "/v1/alerts?limit=");
    assertRefused(400, "limit", "/v1/alerts?limit=2.5");
    assertRefused(400, "limit", "/v1/alerts?limit=%00");
    assertRefused(400, "silent_minutes", "/v1/dpu-activity?silent_minutes=%2210%22");
  }

  @Test
  @DisplayName("every spelling of a path the router serves is checked")
  void spellings() {
    for (String path :
        List.of(
            "/v1/spaces/A/counts/?" + WINDOW + "&interval=2h",
            "//v1//spaces/A/counts?" + WINDOW + "&interval=2h",
            "/v1/spaces/%41/counts?" + WINDOW + "&interval=2h")) {
      assertRefused(422, "interval", path);
    }
    // An id that is not percent-encoding (which Java's client will not send): refused as such.
    try (RawConnection raw =
        new RawConnection(server.config.http().port(), "Bearer " + server.createToken("read"))) {
      for (String id : List.of("%zz", "%4", "a%")) {
        RawConnection.Answer answer = raw.get("/v1/spaces/" + id + "/counts?" + WINDOW);
        assertEquals(400, answer.status(), id + ": " + answer.body());
        assertTrue(answer.json().encode().contains("percent-encoded"), id + ": " + answer.body());
      }
    }
    // Another case is another path: the router does not serve it, so it needs no check.
    assertEquals(
        404, server.get("/V1/spaces/A/counts?" + WINDOW + "&interval=2h").status(), "upper case");
  }

  @Test
  @DisplayName("the document's intervals are the ones the history buckets")
  void intervalsAreTheBuckets() {
    JsonObject document = server.sendAs(null, "GET", "/openapi.json", null).json();
    for (String path : List.of("/v1/spaces/{id}/counts", "/v1/doorways/{id}/counts")) {
      JsonArray parameters =
          document
              .getJsonObject("paths")
              .getJsonObject(path)
              .getJsonObject("get")
              .getJsonArray("parameters");
      Set<String> intervals = new TreeSet<>();
      for (Object p : parameters) {
        JsonObject parameter = (JsonObject) p;
        if ("interval".equals(parameter.getString("name"))) {
          parameter
              .getJsonObject("schema")
              .getJsonArray("enum")
              .forEach(v -> intervals.add((String) v));
        }
      }
      assertTrue(!intervals.isEmpty(), path);
      assertEquals(new TreeSet<>(Buckets.INTERVALS.keySet()), intervals, path);
    }
  }
}
