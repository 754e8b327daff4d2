package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.density.load.SeedCsv;
import io.density.support.ContractModel;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonObject;
import java.io.InputStreamReader;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The seed's building, fed through /send in order with retransmissions")
class SeedBuildingCountTest {
  private static TestServer server;
  private static final ContractModel contract = ContractModel.seedBuilding();
  private static List<JsonObject> rows;

  @BeforeAll
  static void feedTheSampleDay() throws Exception {
    server = new TestServer().start();
    server.provisionSeedBuilding();
    try (var in = SeedBuildingCountTest.class.getResourceAsStream("/fixtures/seed-building.csv")) {
      rows = SeedCsv.read(new InputStreamReader(in, StandardCharsets.UTF_8));
    }
    for (JsonObject row : rows) {
      Reply reply = server.postJson("/send", row);
      assertEquals(200, reply.status(), reply.json().encode());
      contract.add(
          String.valueOf(row.getValue("dpu_id")),
          row.getString("timestamp"),
          Integer.parseInt(String.valueOf(row.getValue("direction"))));
    }
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  @DisplayName("realtime counts of A and B equal the contract's")
  void realtimeCounts() {
    for (String space : List.of("A", "B")) {
      Reply seed = server.get("/?space=" + space);
      assertEquals(
          new JsonObject().put("status", "OK").put("count", contract.realtime(space)), seed.json());
      Reply v1 = server.get("/v1/spaces/" + space + "/count");
      assertEquals(contract.realtime(space), v1.json().getInteger("count"));
    }
  }

  @Test
  @DisplayName("counts as of many instants equal the contract's, at and between effects")
  void asOfCounts() {
    for (String space : List.of("A", "B")) {
      List<Instant> times = contract.effectTimes(space);
      for (int i = 0; i < times.size(); i += 3) {
        for (Instant t :
            List.of(times.get(i), times.get(i).minusMillis(1), times.get(i).plusSeconds(7))) {
          Reply reply = server.get("/v1/spaces/" + space + "/count?at=" + t);
          assertEquals(200, reply.status());
          assertEquals(
              contract.countAsOf(space, t),
              reply.json().getInteger("count"),
              space + " as of " + t);
        }
      }
      Reply before = server.get("/v1/spaces/" + space + "/count?at=2018-02-01T00:00:00Z");
      assertEquals(
          0, before.json().getInteger("count"), "a known space before any datapoint holds 0");
    }
  }

  @Test
  @DisplayName(
      "the seed's /count answers with the count at the nearest effect, written as the seed writes it")
  void nearestTimestampCounts() {
    for (String space : List.of("A", "B")) {
      List<Instant> times = contract.effectTimes(space);
      for (int i = 1; i < times.size(); i += 4) {
        Instant between =
            times
                .get(i - 1)
                .plusMillis((times.get(i).toEpochMilli() - times.get(i - 1).toEpochMilli()) / 3);
        Instant nearest = contract.nearestEffect(space, between);
        Reply reply = server.get("/count?space=" + space + "&timestamp=" + seedStyle(between));
        assertEquals(
            contract.countAsOf(space, nearest),
            reply.json().getInteger("count"),
            space + " near " + between);
        assertEquals(
            nearest.toString(), Instant.parse(reply.json().getString("timestamp")).toString());
      }
    }
  }

  @Test
  @DisplayName("an unknown space has a null count and status OK")
  void unknownSpace() {
    assertEquals(
        new JsonObject().put("status", "OK").put("count", null), server.get("/?space=Q").json());
    Reply nearest = server.get("/count?space=Q&timestamp=2018-02-24T17:24:25.493Z");
    assertEquals("OK", nearest.json().getString("status"));
    assertNull(nearest.json().getValue("count"));
  }

  @Test
  @DisplayName("retransmissions are stored once and DPU totals count each datapoint once")
  void duplicatesStoredOnce() {
    assertEquals(contract.distinctDatapoints(), server.countRows("datapoint"));
    JsonObject dpu = server.get("/v1/dpus/283").json();
    long distinct283 =
        server.rows("SELECT count(*) FROM datapoint WHERE dpu_id = '283'").get(0).getLong(0);
    assertEquals(distinct283, dpu.getLong("total"));
    assertEquals(dpu.getLong("total"), dpu.getLong("entries") + dpu.getLong("exits"));
    assertEquals(true, dpu.getBoolean("registered"));
  }

  /** "2018-02-24 17:24:25.493z", URL-encoded with '+' for the space, as a browser would. */
  private static String seedStyle(Instant t) {
    String text =
        DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS'z'")
            .withZone(ZoneOffset.UTC)
            .format(t);
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
  }
}
