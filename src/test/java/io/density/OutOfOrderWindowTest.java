package io.density;

import static io.density.support.CountAssertions.assertCountsAtEffects;
import static io.density.support.CountAssertions.assertCountsLikeTheContract;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.load.BuildingSimulator;
import io.density.load.BuildingSimulator.Crossing;
import io.density.support.Arrivals;
import io.density.support.ContractModel;
import io.density.support.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Datapoints that arrive a few seconds out of order, as a fleet's do (DPUs of one space on other
 * connections and gateways), are counted by the contract without a single recount in PostgreSQL:
 * the spaces' tails in Redis place them. A busy stretch of a simulated building's day, each
 * datapoint delivered after a random delay of 0 to 4 s, some twice.
 */
@DisplayName("Out of order by seconds: every answer by the contract, no recount in PostgreSQL")
class OutOfOrderWindowTest {
  private static final Instant START = Instant.parse("2024-03-05T08:00:00Z");
  private static final Instant END = START.plus(Duration.ofHours(3));
  private static TestServer server;
  private static final ContractModel contract = new ContractModel();

  @BeforeAll
  static void deliver() {
    server = new TestServer().holdingCorrections().start();
    server.provisionSimulatedBuilding(contract, START.minus(Duration.ofDays(1)));

    List<Crossing> crossings = BuildingSimulator.simulate(START, END, 2000, 0.03, 11);
    Random random = new Random(5);
    Arrivals arrivals = new Arrivals();
    for (Crossing c : crossings) {
      Instant arrival = c.ts().plusMillis(random.nextInt(4_001));
      arrivals.add(c, arrival);
      if (random.nextDouble() < 0.03) { // a retransmission, within the same seconds
        arrivals.add(c, arrival.plusMillis(random.nextInt(3_000)));
      }
      contract.add(c.dpu(), c.ts().toString(), c.direction());
    }
    arrivals.deliver(server, 8, null);
    assertEquals(contract.distinctDatapoints(), server.countRows("datapoint"));
    // Realtime counts are right at once; stored ones once the corrections held are written.
    server.awaitCorrectionsWritten();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  @DisplayName("no space was recounted in PostgreSQL; the tails placed effects out of order")
  void noRecount() {
    assertEquals(0.0, server.metric("density_reconciled_spaces_total"), "SQL recounts");
    assertTrue(
        server.metric("density_reordered_spaces_total") > 0,
        "effects came out of order and were placed in their tails");
  }

  @Test
  @DisplayName("realtime counts, as of every 2 minutes and at effects, equal the contract's")
  void asOf() {
    for (String space : BuildingSimulator.SPACES) {
      assertCountsLikeTheContract(server, contract, space, START, END, Duration.ofMinutes(2));
      assertCountsAtEffects(server, contract, space, 7);
    }
  }

  @Test
  @DisplayName("15-minute buckets equal the contract's")
  void buckets() {
    for (String space : BuildingSimulator.SPACES) {
      JsonArray buckets =
          server
              .get(
                  "/v1/spaces/"
                      + space
                      + "/counts?start="
                      + START
                      + "&end="
                      + END
                      + "&interval=15m")
              .json()
              .getJsonArray("buckets");
      for (int i = 0; i < buckets.size(); i++) {
        JsonObject b = buckets.getJsonObject(i);
        int[] expected =
            contract.bucket(
                space, Instant.parse(b.getString("start")), Instant.parse(b.getString("end")));
        assertEquals(
            List.of(expected[0], expected[1], expected[2], expected[3], expected[4]),
            List.of(
                b.getInteger("count"),
                b.getInteger("entries"),
                b.getInteger("exits"),
                b.getInteger("min"),
                b.getInteger("max")),
            space + " " + b.encode());
      }
    }
  }

  @Test
  @DisplayName(
      "the counts changed by later arrivals keep their arrival count and say when, and are"
          + " counted in the metric of tail corrections")
  void correctionsAreRecorded() {
    long corrected =
        server
            .rows(
                "SELECT count(*) FROM space_count"
                    + " WHERE reconciled_at IS NOT NULL AND arrival_count <> count")
            .get(0)
            .getLong(0);
    assertTrue(corrected > 0, "some counts changed after arrival");
    // No recount ran (noRecount), so every changed row was corrected by a tail, once or more.
    double corrections = server.metric("density_tail_corrections_total");
    assertTrue(
        corrections >= corrected,
        corrections + " tail corrections counted for " + corrected + " rows changed");
    assertTrue(
        server.metric("density_correction_lag_seconds_count") > 0,
        "each write of held corrections is timed (density_correction_lag)");
  }
}
