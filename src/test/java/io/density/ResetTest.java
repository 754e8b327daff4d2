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
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Resets, explicit and daily, are honoured by every answer")
class ResetTest {
  private static final Instant DAY = Instant.parse("2018-03-24T00:00:00Z");
  private static final ZoneId PARIS = ZoneId.of("Europe/Paris");
  private TestServer server;
  private ContractModel contract;

  @BeforeEach
  void threeDays() {
    server = new TestServer().start();
    server.provisionSeedBuilding();
    contract = ContractModel.seedBuilding();
    List<JsonObject> sent = new ArrayList<>();
    // Missed exits leave people "inside" overnight: what a reset is for.
    for (JsonObject d : SeedBuilding.day(DAY, DAY.plus(Duration.ofDays(3)), 300, 5)) {
      if (d.getString("dpu_id").equals("283")
          && d.getInteger("direction") < 0
          && sent.size() % 7 == 0) {
        continue;
      }
      sent.add(d);
    }
    server.feed(contract, sent);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private void assertAnswersEqualContract(String space) {
    CountAssertions.assertCountsLikeTheContract(
        server, contract, space, DAY, DAY.plus(Duration.ofDays(3)), Duration.ofMinutes(20));
  }

  @Test
  @DisplayName(
      "an explicit reset in the past replaces the count from then on, effects at it on top")
  void explicitReset() {
    Instant at = DAY.plus(Duration.ofHours(30));
    Reply reply =
        server.postJson(
            "/v1/spaces/A/resets",
            new JsonObject().put("timestamp", at.toString()).put("count", 3));
    assertEquals(201, reply.status(), reply.json().encode());
    contract.reset("A", at, 3);
    assertAnswersEqualContract("A");
    assertAnswersEqualContract("B");
    assertEquals(
        3, server.get("/v1/spaces/A/count?at=" + at).json().getInteger("count") >= 3 ? 3 : -1);

    Instant zero = DAY.plus(Duration.ofHours(50));
    server.postJson("/v1/spaces/A/resets", new JsonObject().put("timestamp", zero.toString()));
    contract.reset("A", zero, 0);
    assertAnswersEqualContract("A");
    JsonArray listed = server.get("/v1/spaces/A/resets").json().getJsonArray("items");
    assertEquals(2, listed.size());
    assertEquals("explicit", listed.getJsonObject(0).getString("kind"));

    JsonObject late =
        new JsonObject()
            .put("timestamp", at.minusSeconds(60).toString())
            .put("direction", 1)
            .put("dpu_id", "283");
    server.postJson("/send", late);
    contract.add("283", at.minusSeconds(60).toString(), 1);
    assertAnswersEqualContract("A"); // a late entry before the reset changes nothing after it
  }

  @Test
  @DisplayName("a space that does not clamp counts below zero, its whole history recounted")
  void withoutClamping() {
    Reply put =
        server.putJson("/v1/spaces/A", new JsonObject().put("name", "Space A").put("clamp", false));
    assertEquals(200, put.status(), put.json().encode());
    contract.noClamp("A");
    // Someone seen leaving before anyone was seen coming in: -1 without clamping.
    JsonObject exit =
        new JsonObject()
            .put("timestamp", DAY.plusSeconds(1).toString())
            .put("direction", -1)
            .put("dpu_id", "283");
    server.feed(contract, List.of(exit));
    assertAnswersEqualContract("A");
    assertTrue(
        server.rows("SELECT 1 FROM space_count WHERE space_id = 'A' AND count < 0").size() > 0,
        "the missed exits take A below zero somewhere");
    server.putJson("/v1/spaces/A", new JsonObject().put("name", "Space A"));
    contract = contractWithoutResets();
    assertAnswersEqualContract("A");
  }

  @Test
  @DisplayName("bad resets are refused: future, negative, unknown space")
  void badResets() {
    assertEquals(
        422,
        server
            .postJson(
                "/v1/spaces/A/resets",
                new JsonObject().put("timestamp", Instant.now().plusSeconds(3600).toString()))
            .status());
    assertEquals(
        "count",
        server
            .postJson(
                "/v1/spaces/A/resets",
                new JsonObject().put("timestamp", DAY.toString()).put("count", -1))
            .json()
            .getString("field"));
    assertEquals(
        404,
        server
            .postJson(
                "/v1/spaces/nowhere/resets", new JsonObject().put("timestamp", DAY.toString()))
            .status());
    assertEquals(0, server.get("/v1/spaces/A/resets").json().getJsonArray("items").size());
  }

  @Test
  @DisplayName("a daily reset at 04:00 Paris time applies to every day of the history, across DST")
  void dailyReset() {
    Reply put =
        server.putJson(
            "/v1/spaces/A",
            new JsonObject()
                .put("name", "Space A")
                .put("time_zone", "Europe/Paris")
                .put("daily_reset", "04:00"));
    assertEquals(200, put.status(), put.json().encode());
    // 2018-03-25 is the spring DST change in Paris: 04:00 is then 02:00Z, not 03:00Z.
    for (LocalDate d = LocalDate.parse("2018-03-23");
        d.isBefore(LocalDate.parse("2018-03-28"));
        d = d.plusDays(1)) {
      contract.reset("A", ZonedDateTime.of(d, LocalTime.of(4, 0), PARIS).toInstant(), 0);
    }
    assertAnswersEqualContract("A");
    JsonArray resets =
        server
            .get("/v1/spaces/A/resets?start=2018-03-25T00:00:00Z&end=2018-03-26T00:00:00Z")
            .json()
            .getJsonArray("items");
    assertEquals("2018-03-25T02:00:00Z", resets.getJsonObject(0).getString("timestamp"));
    assertEquals("daily", resets.getJsonObject(0).getString("kind"));

    server.putJson("/v1/spaces/A", new JsonObject().put("name", "Space A"));
    contract = contractWithoutResets();
    assertAnswersEqualContract("A");
  }

  @Test
  @DisplayName("when a daily reset comes due, the realtime count drops to 0 within a second or so")
  void dailyResetComesDue() {
    JsonObject entry =
        new JsonObject()
            .put("timestamp", Instant.now().minusSeconds(5).toString())
            .put("direction", 1)
            .put("dpu_id", "283");
    server.postJson("/send", entry);
    int before = server.get("/?space=A").json().getInteger("count");
    assertTrue(before > 0);
    LocalTime soon = LocalTime.now(PARIS).plusSeconds(2).truncatedTo(ChronoUnit.SECONDS);
    server.putJson(
        "/v1/spaces/A",
        new JsonObject().put("time_zone", "Europe/Paris").put("daily_reset", soon.toString()));
    Instant deadline = Instant.now().plusSeconds(10);
    int now = before;
    while (now != 0 && Instant.now().isBefore(deadline)) {
      now = server.get("/?space=A").json().getInteger("count");
    }
    assertEquals(0, now, "reset to 0 at " + soon + " Paris time");
  }

  private ContractModel contractWithoutResets() {
    ContractModel fresh = ContractModel.seedBuilding();
    server
        .rows("SELECT dpu_id, ts, direction FROM datapoint")
        .forEach(
            r ->
                fresh.add(
                    r.getString("dpu_id"),
                    r.getOffsetDateTime("ts").toInstant().toString(),
                    r.getShort("direction")));
    return fresh;
  }
}
