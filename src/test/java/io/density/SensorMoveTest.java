package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.dev.SeedBuilding;
import io.density.support.ContractModel;
import io.density.support.CountAssertions;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Moving sensors and back-dated links re-attribute the datapoints after them")
class SensorMoveTest {
  private static final Instant DAY = Instant.parse("2018-03-10T00:00:00Z");
  private static final Instant MOVE = DAY.plus(Duration.ofHours(13));
  private TestServer server;
  private ContractModel contract;

  @BeforeEach
  void sampleDay() {
    server = new TestServer().start();
    server.provisionSeedBuilding();
    contract = ContractModel.seedBuilding();
    server.feed(contract, SeedBuilding.day(DAY, DAY.plus(Duration.ofDays(1)), 200, 11));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private void assertAnswersEqualContract(List<String> spaces) {
    for (String space : spaces) {
      CountAssertions.assertCountsLikeTheContract(
          server, contract, space, DAY, DAY.plus(Duration.ofDays(1)), Duration.ofMinutes(30));
    }
  }

  private JsonObject move(String dpu, String doorway, String at, JsonArray links) {
    JsonObject body = new JsonObject().put("doorway_id", doorway).put("links", links);
    if (at != null) {
      body.put("at", at);
    }
    Reply reply = server.postJson("/v1/dpus/" + dpu + "/move", body);
    return reply.json().put("http", reply.status());
  }

  @Test
  @DisplayName("a move at a past time changes every answer after it, and none before")
  void backDatedMove() {
    server.putJson("/v1/spaces/C", new JsonObject().put("name", "Space C"));
    server.putJson("/v1/doorways/W", new JsonObject());
    assertAnswersEqualContract(List.of("A", "B"));
    JsonObject before = server.get("/v1/spaces/B/count?at=" + MOVE.minusSeconds(1)).json();

    JsonArray links =
        new JsonArray()
            .add(new JsonObject().put("space_id", "A").put("sensor_placement", 1))
            .add(new JsonObject().put("space_id", "C").put("sensor_placement", -1));
    JsonObject moved = move("423", "W", MOVE.toString(), links);
    assertEquals(200, moved.getInteger("http"), moved.encode());
    assertEquals(2, moved.getJsonArray("closed").size());
    assertEquals(2, moved.getJsonArray("opened").size());
    contract.close("423", MOVE).link("423", "A", 1, MOVE).link("423", "C", -1, MOVE);

    assertAnswersEqualContract(List.of("A", "B", "C"));
    assertEquals(before, server.get("/v1/spaces/B/count?at=" + MOVE.minusSeconds(1)).json());
    assertTrue(
        contract.realtime("C") > 0 || contract.effectTimes("C").size() > 0,
        "C got the moved datapoints");

    JsonObject again = move("423", "W", MOVE.toString(), links);
    assertEquals(200, again.getInteger("http"), "the same move again is answered, not refused");
    assertAnswersEqualContract(List.of("A", "B", "C"));
  }

  @Test
  @DisplayName(
      "a move before the DPU's latest move, to a second doorway at once, or in the future is refused")
  void refusedMoves() {
    server.putJson("/v1/doorways/W", new JsonObject());
    JsonArray toA =
        new JsonArray().add(new JsonObject().put("space_id", "A").put("sensor_placement", 1));
    assertEquals(200, move("423", "W", MOVE.toString(), toA).getInteger("http"));
    JsonObject earlier = move("423", "Z", MOVE.minusSeconds(3600).toString(), toA);
    assertEquals(409, earlier.getInteger("http"));
    assertEquals("at", earlier.getString("field"));
    JsonObject future = move("423", "Z", Instant.now().plus(Duration.ofHours(1)).toString(), toA);
    assertEquals(422, future.getInteger("http"));
    JsonObject noLinks = move("423", "Z", null, new JsonArray());
    assertEquals("links", noLinks.getString("field"));
    Reply secondDoorway =
        server.postJson(
            "/v1/links",
            new JsonObject()
                .put("dpu_id", "423")
                .put("doorway_id", "X")
                .put("space_id", "B")
                .put("sensor_placement", 1)
                .put("valid_from", MOVE.plusSeconds(60).toString()));
    assertEquals(409, secondDoorway.status());
    assertEquals("doorway_id", secondDoorway.json().getString("field"));
  }

  @Test
  @DisplayName(
      "datapoints from a DPU without a link are counted once a back-dated link covers them")
  void backDatedLink() {
    server.putJson("/v1/spaces/D", new JsonObject());
    server.putJson("/v1/doorways/V", new JsonObject());
    JsonArray early = new JsonArray();
    for (int i = 0; i < 5; i++) {
      early.add(
          new JsonObject()
              .put("timestamp", DAY.plusSeconds(60L * i).toString())
              .put("direction", 1)
              .put("dpu_id", "777"));
    }
    assertEquals(5, server.postJson("/v1/datapoints", early).json().getInteger("accepted"));
    assertEquals(0, server.get("/?space=D").json().getInteger("count"));

    server.putJson("/v1/dpus/777", new JsonObject());
    Reply link =
        server.postJson(
            "/v1/links",
            new JsonObject()
                .put("dpu_id", "777")
                .put("doorway_id", "V")
                .put("space_id", "D")
                .put("sensor_placement", 1)
                .put("valid_from", DAY.plusSeconds(90).toString()));
    assertEquals(201, link.status(), link.json().encode());
    assertEquals(
        3,
        server.get("/?space=D").json().getInteger("count"),
        "the 3 datapoints from valid_from on");
    assertEquals(
        1, server.get("/v1/spaces/D/count?at=" + DAY.plusSeconds(150)).json().getInteger("count"));

    JsonObject after =
        new JsonObject()
            .put("timestamp", DAY.plusSeconds(3600).toString())
            .put("direction", 1)
            .put("dpu_id", "777");
    server.postJson("/send", after);
    assertEquals(
        4,
        server.get("/?space=D").json().getInteger("count"),
        "live counting continues on the new link");
  }
}
