package io.density;

import static io.density.support.CountAssertions.assertCountsAtEffects;
import static io.density.support.CountAssertions.assertCountsLikeTheContract;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.load.BuildingSimulator.Crossing;
import io.density.support.Arrivals;
import io.density.support.ContractModel;
import io.density.support.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A doorway so busy that the tails of its spaces hold hundreds of effects (40 crossings a second
 * through a doorway between three spaces, for a minute), with a tenth of its datapoints held back
 * by up to 8 s: effects are placed hundreds of entries back in a tail, and the tails' old ends
 * leave them many at a time. Every answer is the contract's, with no recount in PostgreSQL.
 */
@DisplayName("A busy doorway's datapoints held back by seconds: long tails, answers by contract")
class BusyDoorwayTest {
  private static final Instant START = Instant.parse("2024-03-06T09:00:00Z");
  private static final Instant END = START.plus(Duration.ofMinutes(1));
  private static final List<String> SPACES = List.of("lobby", "office", "floor");
  private static TestServer server;
  private static final ContractModel contract = new ContractModel();

  @BeforeAll
  static void deliver() {
    server = new TestServer().holdingCorrections().start();
    server.provisionSimulatedBuilding(contract, START.minus(Duration.ofDays(1)));

    Random random = new Random(17);
    Arrivals arrivals = new Arrivals();
    int inside = 0;
    for (Instant t = START; t.isBefore(END); t = t.plusMillis(25)) {
      // sim-d2 is the doorway between the lobby, the office and the floor; mostly in at first.
      int direction = inside < 5 || random.nextInt(100) < 50 ? 1 : -1;
      inside += direction;
      Crossing c = new Crossing("sim-d2", t, direction);
      long delay = random.nextInt(10) == 0 ? 1_000 + random.nextInt(7_000) : 0;
      arrivals.add(c, t.plusMillis(delay));
      contract.add(c.dpu(), c.ts().toString(), c.direction());
    }
    arrivals.deliver(server, 10, null);
    assertEquals(contract.distinctDatapoints(), server.countRows("datapoint"));
    // Realtime counts are right at once; stored ones once the corrections held are written.
    server.awaitCorrectionsWritten();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  @DisplayName("no space was recounted in PostgreSQL; the tails placed the held-back effects")
  void noRecount() {
    assertEquals(0.0, server.metric("density_reconciled_spaces_total"), "SQL recounts");
    assertTrue(server.metric("density_reordered_spaces_total") > 0, "effects placed in tails");
  }

  @Test
  @DisplayName("realtime counts, as of every 250 ms and at every third effect, are the contract's")
  void asOf() {
    for (String space : SPACES) {
      assertCountsLikeTheContract(server, contract, space, START, END, Duration.ofMillis(250));
      assertCountsAtEffects(server, contract, space, 3);
    }
  }

  @Test
  @DisplayName("every stored count is the contract's, the corrected ones with their arrival count")
  void storedCounts() {
    for (String space : SPACES) {
      List<Integer> stored =
          server
              .rows(
                  "SELECT count FROM space_count WHERE space_id = '"
                      + space
                      + "' AND ts >= '"
                      + START
                      + "' ORDER BY ts, delta DESC, datapoint_id")
              .stream()
              .map(r -> r.getInteger(0))
              .toList();
      List<Integer> expected = contract.countsAfterEachEffect(space);
      assertEquals(expected.subList(expected.size() - stored.size(), expected.size()), stored);
    }
    long corrected =
        server
            .rows(
                "SELECT count(*) FROM space_count"
                    + " WHERE reconciled_at IS NOT NULL AND arrival_count <> count")
            .get(0)
            .getLong(0);
    assertTrue(corrected > 0, "counts changed by held-back effects say so");
  }
}
