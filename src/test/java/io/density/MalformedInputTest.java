package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@DisplayName("Bad input is refused with a 4xx naming the problem, and changes nothing")
class MalformedInputTest {
  private static TestServer server;

  @BeforeAll
  static void start() {
    server = new TestServer().start();
    server.provisionSeedBuilding();
    Reply first = server.postJson("/send", datapoint("2018-02-24T08:45:21.893Z", "1", "283"));
    assertEquals(200, first.status());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @AfterEach
  void nothingWasStoredOrCounted() {
    assertEquals(1, server.countRows("datapoint"));
    assertEquals(1, server.countRows("space_count"));
    assertEquals(1, server.get("/?space=A").json().getInteger("count"));
    assertEquals(0, server.get("/?space=B").json().getInteger("count"));
    assertEquals(1, server.get("/v1/dpus/283").json().getInteger("total"));
  }

  static JsonObject datapoint(Object timestamp, Object direction, Object dpu) {
    return new JsonObject()
        .put("timestamp", timestamp)
        .put("direction", direction)
        .put("dpu_id", dpu);
  }

  /**
   * Each bad datapoint, the field named, and the status of /send by the rule of docs/api.md's error
   * table.
   */
  static Stream<Arguments> badDatapoints() {
    String ok = "2018-02-24T09:00:00Z";
    return Stream.of(
        // Malformed (400): missing, or not of its type, or a timestamp that does not parse.
        Arguments.of(
            "missing timestamp",
            new JsonObject().put("direction", "1").put("dpu_id", "283"),
            "timestamp",
            400),
        Arguments.of(
            "missing direction",
            new JsonObject().put("timestamp", ok).put("dpu_id", "283"),
            "direction",
            400),
        Arguments.of(
            "missing dpu_id",
            new JsonObject().put("timestamp", ok).put("direction", 1),
            "dpu_id",
            400),
        Arguments.of("numeric timestamp", datapoint(1519462721893L, "1", "283"), "timestamp", 400),
        Arguments.of(
            "unparsable timestamp", datapoint("24/02/2018 09:00", "1", "283"), "timestamp", 400),
        Arguments.of(
            "timestamp without zone",
            datapoint("2018-02-24T09:00:00", "1", "283"),
            "timestamp",
            400),
        Arguments.of("direction as boolean", datapoint(ok, true, "283"), "direction", 400),
        Arguments.of(
            "direction as array", datapoint(ok, new JsonArray().add(1), "283"), "direction", 400),
        Arguments.of("dpu_id as object", datapoint(ok, "1", new JsonObject()), "dpu_id", 400),
        // Invalid (422): well-formed, but against a rule.
        Arguments.of(
            "far-future timestamp",
            datapoint(Instant.now().plusSeconds(3600).toString(), "1", "283"),
            "timestamp",
            422),
        Arguments.of("direction 0", datapoint(ok, 0, "283"), "direction", 422),
        Arguments.of("direction \"2\"", datapoint(ok, "2", "283"), "direction", 422),
        Arguments.of("empty dpu_id", datapoint(ok, "1", ""), "dpu_id", 422),
        Arguments.of("oversized dpu_id", datapoint(ok, "1", "d".repeat(65)), "dpu_id", 422));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("badDatapoints")
  @DisplayName("POST /send with a bad field answers 400 (malformed) or 422 (invalid) naming it")
  void badFieldOnSend(String why, JsonObject body, String field, int status) {
    Reply reply = server.postJson("/send", body);
    assertEquals(status, reply.status(), reply.json().encode());
    assertEquals("error", reply.json().getString("status"));
    assertEquals(field, reply.json().getString("field"));
    assertNotNull(reply.json().getString("error"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("badDatapoints")
  @DisplayName("POST /v1/datapoints with only bad items answers 422 with a reason per item")
  void badFieldInBatch(String why, JsonObject body, String field, int status) {
    Reply reply = server.postJson("/v1/datapoints", new JsonArray().add(body));
    assertEquals(422, reply.status(), reply.json().encode());
    JsonObject result = reply.json().getJsonArray("results").getJsonObject(0);
    assertEquals("rejected", result.getString("status"));
    assertEquals(field, result.getString("field"));
  }

  @Test
  @DisplayName("a body that is not JSON is 400")
  void notJson() {
    Reply reply = server.send("/send", "POST", "application/json", "{\"timestamp\": ");
    assertEquals(400, reply.status());
    assertEquals("body", reply.json().getString("field"));
    assertEquals(400, server.send("/v1/datapoints", "POST", "application/json", "[{]").status());
    assertEquals(400, server.send("/send", "POST", "application/json", "[1, 2]").status());
  }

  @Test
  @DisplayName("an unknown or missing content type is 415")
  void unknownContentType() {
    String body = datapoint("2018-02-24T09:00:00Z", "1", "283").encode();
    Reply xml = server.send("/send", "POST", "application/xml", body);
    assertEquals(415, xml.status());
    assertEquals("Content-Type", xml.json().getString("field"));
    assertEquals(415, server.send("/send", "POST", null, body).status());
    assertEquals(
        415, server.send("/v1/datapoints", "POST", "text/plain", "[" + body + "]").status());
  }

  @Test
  @DisplayName("an oversized body is 413, as is a batch of more items than allowed")
  void oversizedBody() {
    String huge = "[" + "1,".repeat(server.config.http().maxBodyBytes() / 2) + "1]";
    Reply tooBig = server.send("/v1/datapoints", "POST", "application/json", huge);
    assertEquals(413, tooBig.status());
    assertEquals("error", tooBig.json().getString("status"));

    JsonArray many = new JsonArray();
    for (int i = 0; i <= server.config.http().maxBatchItems(); i++) {
      many.add(datapoint("not a time", "1", "283"));
    }
    Reply tooMany = server.postJson("/v1/datapoints", many);
    assertEquals(413, tooMany.status());
    assertTrue(
        tooMany
            .json()
            .getString("error")
            .contains(String.valueOf(server.config.http().maxBatchItems())));
  }

  @Test
  @DisplayName("queries without a space, or with a bad timestamp, are 400 naming the parameter")
  void badQueries() {
    assertEquals("space", server.get("/").json().getString("field"));
    assertEquals(400, server.get("/count").status());
    Reply badTime = server.get("/count?space=A&timestamp=noon");
    assertEquals(400, badTime.status());
    assertEquals("timestamp", badTime.json().getString("field"));
    assertEquals("at", server.get("/v1/spaces/A/count?at=noon").json().getString("field"));
  }

  @Test
  @DisplayName("unknown paths and methods answer JSON errors")
  void unknownRoutes() {
    Reply missing = server.get("/nothing/here");
    assertEquals(404, missing.status());
    assertEquals("error", missing.json().getString("status"));
    Reply method = server.send("/send", "DELETE", null, "");
    assertEquals(405, method.status());
    assertEquals("error", method.json().getString("status"));
  }
}
