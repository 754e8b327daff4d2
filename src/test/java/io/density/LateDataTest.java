package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.load.BuildingSimulator;
import io.density.load.BuildingSimulator.Crossing;
import io.density.support.Arrivals;
import io.density.support.ContractModel;
import io.density.support.TestServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A simulated building delivered late, out of order and twice counts as if in order")
class LateDataTest {
  private static final Instant START = Instant.parse("2024-03-04T06:00:00Z");
  private static final Instant END = START.plus(Duration.ofDays(3));
  private static TestServer server;
  private static final ContractModel contract = new ContractModel();

  @BeforeAll
  static void deliverThreeDays() {
    server = new TestServer().start();
    server.provisionSimulatedBuilding(contract, START.minus(Duration.ofDays(1)));

    List<Crossing> crossings = BuildingSimulator.simulate(START, END, 400, 0.03, 42);
    Random random = new Random(7);
    Arrivals arrivals = new Arrivals();
    for (Crossing c : crossings) {
      double r = random.nextDouble();
      Duration delay =
          r < 0.01
              ? Duration.ofDays(4) // delivered after everything else: days late
              : r < 0.11
                  ? Duration.ofMinutes(60 + random.nextInt(300)) // an outage of hours
                  : Duration.ofMillis(random.nextInt(2_000)); // ordinary jitter
      arrivals.add(c, c.ts().plus(delay));
      if (random.nextDouble() < 0.05) { // a retransmission, some time later
        arrivals.add(c, c.ts().plus(delay).plus(Duration.ofMinutes(random.nextInt(600))));
      }
      contract.add(c.dpu(), c.ts().toString(), c.direction());
    }
    arrivals.deliver(server, 40, random);
    assertEquals(contract.distinctDatapoints(), server.countRows("datapoint"));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  @DisplayName("realtime counts of every space equal the contract's")
  void realtime() {
    for (String space : BuildingSimulator.SPACES) {
      assertEquals(
          contract.realtime(space),
          server.get("/v1/spaces/" + space + "/count").json().getInteger("count"),
          space);
    }
  }

  @Test
  @DisplayName("counts as of every 20 minutes equal the contract's")
  void asOf() {
    for (String space : BuildingSimulator.SPACES) {
      for (Instant t = START; t.isBefore(END); t = t.plus(Duration.ofMinutes(20))) {
        assertEquals(
            contract.countAsOf(space, t),
            server.get("/v1/spaces/" + space + "/count?at=" + t).json().getInteger("count"),
            space + " as of " + t);
      }
    }
  }

  @Test
  @DisplayName("nearest-timestamp counts equal the contract's")
  void nearest() {
    for (String space : BuildingSimulator.SPACES) {
      for (Instant t = START.plusSeconds(77); t.isBefore(END); t = t.plus(Duration.ofMinutes(47))) {
        Instant nearest = contract.nearestEffect(space, t);
        JsonObject answer = server.get("/count?space=" + space + "&timestamp=" + t).json();
        assertEquals(
            contract.countAsOf(space, nearest), answer.getInteger("count"), space + " near " + t);
        assertEquals(nearest, Instant.parse(answer.getString("timestamp")));
      }
    }
  }

  @Test
  @DisplayName("late datapoints left a trace: the arrival count and when it was reconciled")
  void reconciliationsAreRecorded() {
    long reconciled =
        server
            .rows(
                "SELECT count(*) FROM space_count WHERE reconciled_at IS NOT NULL AND arrival_count <> count")
            .get(0)
            .getLong(0);
    assertTrue(reconciled > 0, "some counts changed after arrival");
  }
}
