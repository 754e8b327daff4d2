package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Hostile input gets a clear 4xx and bounded work, and stores nothing")
class HostileInputTest {
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

  @AfterEach
  void nothingStored() {
    assertEquals(0, server.countRows("datapoint"));
    assertEquals(2, server.countRows("space"), "only the seed's spaces A and B");
  }

  private static void assertRefused(int status, String field, Reply reply) {
    assertEquals(status, reply.status(), reply.json().encode());
    assertEquals("error", reply.json().getString("status"));
    assertEquals(field, reply.json().getString("field"), reply.json().encode());
  }

  @Test
  @DisplayName("a series of 1-minute buckets over two thousand years is refused before it is built")
  void bucketsOverCenturies() {
    assertRefused(
        422,
        "interval",
        server.get(
            "/v1/spaces/A/counts?start=0001-01-01T00:00:00Z&end=2026-01-01T00:00:00Z&interval=1m"));
    assertEquals(200, server.get("/health").status());
  }

  @Test
  @DisplayName("timestamps before the earliest accepted one (2000 by default) are refused")
  void ancientTimestamps() {
    for (String ts : new String[] {"0000-01-01T00:00:00Z", "1000-06-01T00:00:00Z"}) {
      assertRefused(
          422,
          "timestamp",
          server.postJson(
              "/send",
              new JsonObject().put("timestamp", ts).put("direction", 1).put("dpu_id", "283")));
    }
  }

  @Test
  @DisplayName(
      "NUL, control characters and lone surrogates in ids and names are 422 naming the field")
  void badCharacters() {
    assertRefused(422, "id", server.putJson("/v1/spaces/a%00b", new JsonObject()));
    assertRefused(422, "id", server.putJson("/v1/spaces/a%01b", new JsonObject()));
    assertRefused(422, "space", server.get("/?space=a%00b"));
    assertRefused(
        422, "name", server.putJson("/v1/spaces/C", new JsonObject().put("name", "a\u0000b")));
    assertRefused(
        422,
        "dpu_id",
        server.postJson(
            "/send",
            "{\"timestamp\":\"2024-01-01T00:00:00Z\",\"direction\":1,\"dpu_id\":\"\\udc00zz\"}"));
  }

  @Test
  @DisplayName("a key given twice is refused, not resolved by taking the last")
  void duplicateKeys() {
    Reply reply =
        server.postJson(
            "/send",
            "{\"timestamp\":\"2024-01-01T00:00:00Z\",\"direction\":1,\"direction\":-1,\"dpu_id\":\"283\"}");
    assertRefused(400, "body", reply);
    assertTrue(reply.json().getString("error").contains("direction"), reply.json().encode());
  }

  @Test
  @DisplayName("parameters out of range are 422 naming them: replay window, alert limit, format")
  void parametersOutOfRange() {
    assertRefused(
        422,
        "to",
        server.postJson(
            "/v1/admin/replay?from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z",
            new JsonObject()));
    assertRefused(422, "limit", server.get("/v1/alerts?limit=-5"));
    assertRefused(
        422,
        "format",
        server.get(
            "/v1/spaces/A/counts?start=2024-01-01T00:00:00Z&end=2024-01-02T00:00:00Z&interval=1h&format=xml"));
  }
}
