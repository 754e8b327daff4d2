package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.bus.Addresses;
import io.density.dev.SeedBuilding;
import io.density.support.Await;
import io.density.support.ContractModel;
import io.density.support.DurablePostgres;
import io.density.support.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL itself crashes (an immediate shutdown, nothing written back) while datapoints are
 * being stored and counted, and starts again from its WAL. Counting commits its derived rows
 * without waiting for their flush; a crash may erase the latest of them, and the batches they
 * belonged to must then be counted again: every acknowledged datapoint stays stored once and
 * counted once, and the counts and the last event of every space are the contract's.
 */
@DisplayName("PostgreSQL crashing mid-ingest loses no acknowledged datapoint and no count")
class PostgresCrashTest {
  private static final Instant DAY = Instant.parse("2024-12-03T00:00:00Z");
  private static final int SENDERS = 4;
  private static final int BATCH = 20;

  private DurablePostgres postgres;
  private TestServer server;

  @BeforeEach
  void start() {
    postgres = new DurablePostgres();
    server = new TestServer(postgres.adminUrl()).start();
    server.provisionSeedBuilding();
  }

  @AfterEach
  void stop() throws Exception {
    try {
      server.close();
    } finally {
      postgres.close();
    }
  }

  @Test
  @DisplayName(
      "an immediate shutdown of PostgreSQL during ingest: clients retry, every ack is stored and"
          + " counted once, answers and events equal the contract")
  void crashMidIngest() throws Exception {
    Map<String, Integer> lastEvent = new ConcurrentHashMap<>();
    server
        .vertx()
        .eventBus()
        .<JsonObject>consumer(
            Addresses.COUNT_EVENTS,
            m -> lastEvent.put(m.body().getString("space_id"), m.body().getInteger("count")));

    List<JsonObject> day = SeedBuilding.day(DAY, DAY.plus(Duration.ofDays(1)), 300, 7);
    List<List<JsonObject>> batches = new ArrayList<>();
    for (int i = 0; i < day.size(); i += BATCH) {
      batches.add(day.subList(i, Math.min(day.size(), i + BATCH)));
    }
    AtomicInteger acknowledged = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    List<Thread> senders = new ArrayList<>();
    for (int s = 0; s < SENDERS; s++) {
      int first = s;
      Thread sender =
          new Thread(
              () -> {
                for (int b = first; b < batches.size(); b += SENDERS) {
                  if (sendUntilStored(batches.get(b), refused)) {
                    acknowledged.incrementAndGet();
                  }
                }
              },
              "sender-" + s);
      sender.start();
      senders.add(sender);
    }

    assertTrue(
        Await.until(() -> acknowledged.get() >= batches.size() / 3, Duration.ofSeconds(60)),
        "a third of the batches acknowledged before the crash");
    postgres.crash();
    assertTrue(
        Await.until(() -> refused.get() > 0, Duration.ofSeconds(30)),
        "ingest answered 503 while PostgreSQL was down");
    postgres.restart();
    for (Thread sender : senders) {
      sender.join(Duration.ofSeconds(180).toMillis());
    }
    assertEquals(batches.size(), acknowledged.get(), "every batch acknowledged after the restart");

    // Every datapoint sent (each was acknowledged in the end) is stored, once.
    Set<String> sent = new HashSet<>();
    day.forEach(
        d -> sent.add(d.getString("dpu_id") + "|" + Instant.parse(d.getString("timestamp"))));
    List<String> stored = new ArrayList<>();
    server
        .rows("SELECT dpu_id, ts FROM datapoint")
        .forEach(
            r -> stored.add(r.getString("dpu_id") + "|" + r.getOffsetDateTime("ts").toInstant()));
    assertEquals(sent.size(), stored.size(), "each datapoint stored once");
    assertEquals(sent, new HashSet<>(stored));

    // Batches whose close the crash erased are counted again by the recovery sweep.
    assertTrue(
        Await.until(() -> server.countRows("uncounted_batch") == 0, Duration.ofSeconds(60)),
        "every batch counted and closed");
    ContractModel contract = ContractModel.seedBuilding();
    day.forEach(
        d ->
            contract.add(
                d.getString("dpu_id"), d.getString("timestamp"), d.getInteger("direction")));
    int effects = 0;
    for (String space : List.of("A", "B")) {
      effects += contract.effectTimes(space).size();
    }
    assertEquals(effects, server.countRows("space_count"), "each effect stored once");
    for (String space : List.of("A", "B")) {
      assertTrue(
          Await.until(
              () ->
                  Integer.valueOf(contract.realtime(space))
                          .equals(
                              server
                                  .get("/v1/spaces/" + space + "/count")
                                  .json()
                                  .getInteger("count"))
                      && Integer.valueOf(contract.realtime(space)).equals(lastEvent.get(space)),
              Duration.ofSeconds(30)),
          space + ": realtime answer and last count event equal the contract's");
      for (Instant t = DAY; t.isBefore(DAY.plus(Duration.ofDays(1))); t = t.plusSeconds(3600)) {
        assertEquals(
            contract.countAsOf(space, t),
            server.get("/v1/spaces/" + space + "/count?at=" + t).json().getInteger("count"),
            space + " as of " + t);
      }
    }
  }

  /**
   * Sends the batch until it is acknowledged (a 503 while PostgreSQL is down or the batch waits to
   * be counted again, then again once the server is ready; a repeat is never counted twice).
   * Whether it was within the deadline.
   */
  private boolean sendUntilStored(List<JsonObject> items, AtomicInteger refused) {
    JsonArray body = new JsonArray(new ArrayList<>(items));
    Instant deadline = Instant.now().plusSeconds(150);
    while (Instant.now().isBefore(deadline)) {
      TestServer.Reply reply = server.postJson("/v1/datapoints", body);
      if (reply.status() == 200) {
        return true;
      }
      refused.incrementAndGet();
      // As a careful client would: send again once the server says it is ready (PostgreSQL back).
      Await.until(() -> server.get("/ready").status() == 200, Duration.ofSeconds(30));
    }
    return false;
  }
}
