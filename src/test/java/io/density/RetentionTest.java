package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.dev.SeedBuilding;
import io.density.support.ContractModel;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Retention drops old history by whole partitions and changes no answer after it")
class RetentionTest {
  private static final int DAYS = 40;
  private TestServer server;
  private final ContractModel contract = ContractModel.seedBuilding();
  private final Instant start =
      Instant.now().minus(Duration.ofDays(75)).truncatedTo(ChronoUnit.HOURS);

  @BeforeEach
  void seventyFiveDaysKept() {
    server = new TestServer().start(); // no retention yet: everything is kept
    server.provisionSeedBuilding();
    List<JsonObject> sent = new ArrayList<>();
    for (JsonObject d : SeedBuilding.day(start, Instant.now().minusSeconds(60), 1500, 17)) {
      if (sent.size() % 13 == 3 && d.getInteger("direction") < 0) {
        continue; // missed exits, so the count carried over the boundary is not 0
      }
      sent.add(d);
    }
    server.feed(contract, sent);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private Instant boundary() {
    return Instant.now()
        .minus(Duration.ofDays(DAYS))
        .atZone(ZoneOffset.UTC)
        .withDayOfMonth(1)
        .truncatedTo(ChronoUnit.DAYS)
        .toInstant();
  }

  private void assertAnswersEqualContractFrom(Instant from) {
    for (String space : List.of("A", "B")) {
      assertEquals(
          contract.realtime(space),
          server.get("/?space=" + space).json().getInteger("count"),
          space);
      for (Instant t = from; t.isBefore(Instant.now()); t = t.plus(Duration.ofHours(7))) {
        assertEquals(
            contract.countAsOf(space, t),
            server.get("/v1/spaces/" + space + "/count?at=" + t).json().getInteger("count"),
            space + " as of " + t);
      }
    }
  }

  @Test
  @DisplayName("months before the boundary go, answers from it on stay, old datapoints are refused")
  void dropsWholeMonths() {
    long before = server.countRows("datapoint");
    long partitionsBefore =
        server
            .rows("SELECT count(*) FROM pg_inherits WHERE inhparent = 'datapoint'::regclass")
            .get(0)
            .getLong(0);
    server.stop();
    server.restartWith(server.config.with("ingest", "retentionDays", DAYS));

    Reply dropped = server.postJson("/v1/admin/retention", new JsonObject());
    assertEquals(200, dropped.status(), dropped.json().encode());
    assertEquals(boundary().toString(), dropped.json().getString("boundary"));
    assertTrue(dropped.json().getInteger("dropped") >= 2, "a month of each time table at least");
    assertTrue(server.countRows("datapoint") < before);
    assertEquals(
        0L,
        server
            .rows(
                "SELECT count(*) FROM datapoint WHERE ts < $1", boundary().atOffset(ZoneOffset.UTC))
            .get(0)
            .getLong(0));
    assertTrue(
        server
                .rows("SELECT count(*) FROM pg_inherits WHERE inhparent = 'datapoint'::regclass")
                .get(0)
                .getLong(0)
            < partitionsBefore);

    assertAnswersEqualContractFrom(boundary());

    // Late data inside the period is still reconciled against the carried-over counts.
    Instant late = boundary().plus(Duration.ofDays(DAYS / 4)).plusMillis(123);
    if (late.isAfter(Instant.now().minus(Duration.ofDays(DAYS)))) {
      assertEquals(200, server.sendDatapoint("283", late, -1).status());
      contract.add("283", late.toString(), -1);
    }
    Reply tooOld = server.sendDatapoint("283", Instant.now().minus(Duration.ofDays(DAYS + 1)), 1);
    assertEquals(422, tooOld.status());
    assertEquals("timestamp", tooOld.json().getString("field"));
    assertAnswersEqualContractFrom(boundary());

    Reply replay = server.postJson("/v1/admin/replay", new JsonObject());
    assertEquals(200, replay.status(), replay.json().encode());
    assertAnswersEqualContractFrom(boundary());

    Reply again = server.postJson("/v1/admin/retention", new JsonObject());
    assertEquals(0, again.json().getInteger("dropped"), "nothing more to drop");
  }
}
