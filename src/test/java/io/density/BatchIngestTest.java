package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.density.dev.SeedBuilding;
import io.density.support.ContractModel;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("POST /v1/datapoints: many datapoints per request, one result each")
class BatchIngestTest {
  private static TestServer server;

  @BeforeAll
  static void start() {
    server = new TestServer();
    // Several group commits in flight, so that concurrent requests overlap in PostgreSQL; and no
    // linger: a lone request is written at once (lingerMs 0 had left it unanswered).
    server.config =
        server.config.with("ingest", "parallelInserts", 3).with("ingest", "lingerMs", 0);
    server.start();
    server.provisionSeedBuilding();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static JsonObject dp(String ts, Object direction, Object dpu) {
    return new JsonObject().put("timestamp", ts).put("direction", direction).put("dpu_id", dpu);
  }

  @Test
  @DisplayName("a JSON array gets accepted, duplicate and rejected results in item order")
  void jsonArray() {
    JsonArray items =
        new JsonArray()
            .add(dp("2018-03-01T10:00:00.000Z", "1", "283"))
            .add(dp("2018-03-01T10:00:00.000Z", 1, 283)) // the same datapoint again
            .add(dp("2018-03-01T10:00:01.000Z", "-7", "283"))
            .add(dp("2018-03-01T10:05:00.000Z", -1, "423"));
    Reply reply = server.postJson("/v1/datapoints", items);
    assertEquals(200, reply.status());
    JsonArray results = reply.json().getJsonArray("results");
    assertEquals(
        List.of("accepted", "duplicate", "rejected", "accepted"),
        results.stream().map(r -> ((JsonObject) r).getString("status")).toList());
    assertEquals("direction", results.getJsonObject(2).getString("field"));
    assertEquals(2, reply.json().getInteger("accepted"));
    assertEquals(1, reply.json().getInteger("duplicates"));
    assertEquals(1, reply.json().getInteger("rejected"));

    Reply again = server.postJson("/v1/datapoints", items);
    assertEquals(3, again.json().getInteger("duplicates"), "a re-sent batch is all duplicates");
  }

  @Test
  @DisplayName(
      "each item of an array is kept in the raw log exactly as it was written; nested values and"
          + " trailing text are refused")
  void itemsAsWritten() {
    String item =
        "{ \"timestamp\" : \"2018-03-05T10:00:00Z\",\n  \"dpu_id\": \"283\", \"direction\": 1,"
            + " \"extra\": {\"firmware\": [1, 2]} }";
    String nested =
        "{\"timestamp\": \"2018-03-05T10:00:01Z\", \"dpu_id\": \"283\", \"direction\": [1]}";
    Reply reply =
        server.send(
            "/v1/datapoints", "POST", "application/json", "[ " + item + " ,\n" + nested + "]");
    assertEquals(200, reply.status(), reply.json().encode());
    assertEquals(
        "direction", reply.json().getJsonArray("results").getJsonObject(1).getString("field"));
    assertEquals(
        item,
        server
            .rows("SELECT payload FROM datapoint WHERE ts = '2018-03-05T10:00:00Z'")
            .get(0)
            .getString(0));
    String later = item.replace("10:00:00Z", "10:00:02Z");
    Reply trailing = server.send("/v1/datapoints", "POST", "application/json", "[" + later + "] [");
    assertEquals(400, trailing.status());
    assertEquals(
        0L,
        server
            .rows(
                "SELECT count(*) FROM datapoint WHERE ts IN"
                    + " ('2018-03-05T10:00:01Z', '2018-03-05T10:00:02Z')")
            .get(0)
            .getLong(0),
        "neither the refused item nor anything of the malformed body is stored");
  }

  @Test
  @DisplayName("NDJSON is taken line by line, and a datapoint's own id is its dedupe key")
  void ndjson() {
    String body =
        dp("2018-03-02T10:00:00Z", 1, "283").put("id", "evt-1").encode()
            + "\n"
            + dp("2018-03-02T10:00:01Z", 1, "283").put("id", "evt-1").encode()
            + "\n\n"
            + "not json\n"
            + dp("2018-03-02T10:00:02Z", 1, "283").put("id", "evt-2").encode()
            + "\n";
    Reply reply = server.send("/v1/datapoints", "POST", "application/x-ndjson", body);
    assertEquals(200, reply.status(), reply.json().encode());
    assertEquals(
        List.of("accepted", "duplicate", "rejected", "accepted"),
        reply.json().getJsonArray("results").stream()
            .map(r -> ((JsonObject) r).getString("status"))
            .toList());
  }

  @Test
  @DisplayName("the same datapoint sent in many concurrent requests is stored and counted once")
  void concurrentRepeats() throws Exception {
    JsonObject same = dp("2018-03-03T08:00:00.123Z", "1", "283");
    long countBefore = server.get("/?space=A").json().getLong("count");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Reply>> replies = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        replies.add(pool.submit(() -> server.postJson("/send", same)));
      }
      int accepted = 0;
      for (Future<Reply> f : replies) {
        Reply r = f.get();
        assertEquals(200, r.status());
        accepted += r.json().getBoolean("duplicate") ? 0 : 1;
      }
      assertEquals(1, accepted, "exactly one request is told it was new");
    } finally {
      pool.shutdown();
    }
    assertEquals(countBefore + 1, server.get("/?space=A").json().getLong("count"));
    assertEquals(
        1L,
        server
            .rows("SELECT count(*) FROM datapoint WHERE ts = '2018-03-03T08:00:00.123Z'")
            .get(0)
            .getLong(0));
  }

  @Test
  @DisplayName(
      "overlapping batches in different orders, sent at once, are stored once each and counted"
          + " as the contract says")
  void concurrentOverlappingBatches() throws Exception {
    ContractModel contract = ContractModel.seedBuilding();
    List<JsonObject> day =
        SeedBuilding.day(
            Instant.parse("2018-03-10T06:00:00Z"), Instant.parse("2018-03-10T20:00:00Z"), 300, 21);
    // What the other tests of this class send, so the contract counts it too.
    server
        .rows("SELECT dpu_id, ts, direction FROM datapoint")
        .forEach(
            r ->
                contract.add(
                    r.getString("dpu_id"),
                    r.getOffsetDateTime("ts").toInstant().toString(),
                    r.getShort("direction")));
    day.forEach(
        d ->
            contract.add(
                d.getString("dpu_id"), d.getString("timestamp"), d.getInteger("direction")));
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Future<Reply>> replies = new ArrayList<>();
      for (int client = 0; client < 6; client++) {
        List<JsonObject> mine = new ArrayList<>(day);
        Collections.shuffle(mine, new Random(client));
        for (int from = 0; from < mine.size(); from += 250) {
          JsonArray batch =
              new JsonArray(new ArrayList<>(mine.subList(from, Math.min(mine.size(), from + 250))));
          replies.add(pool.submit(() -> server.postJson("/v1/datapoints", batch)));
        }
      }
      int accepted = 0;
      for (Future<Reply> f : replies) {
        Reply r = f.get();
        assertEquals(200, r.status(), r.json().encode());
        accepted += r.json().getInteger("accepted");
      }
      assertEquals(day.size(), accepted, "each datapoint is new to exactly one request");
    } finally {
      pool.shutdown();
    }
    for (String space : List.of("A", "B")) {
      assertEquals(
          contract.realtime(space), server.get("/?space=" + space).json().getInteger("count"));
      for (String t : List.of("2018-03-10T09:00:00Z", "2018-03-10T13:30:00Z")) {
        assertEquals(
            contract.countAsOf(space, Instant.parse(t)),
            server.get("/v1/spaces/" + space + "/count?at=" + t).json().getInteger("count"),
            space + " as of " + t);
      }
    }
  }

  @Test
  @DisplayName("a datapoint from an unregistered DPU is kept but changes no space")
  void unknownDpu() {
    long a = server.get("/?space=A").json().getLong("count");
    Reply reply = server.postJson("/send", dp("2018-03-04T08:00:00Z", 1, "999"));
    assertEquals("accepted", reply.json().getString("result"));
    assertEquals(a, server.get("/?space=A").json().getLong("count"));
    JsonObject dpu = server.get("/v1/dpus/999").json();
    assertEquals(false, dpu.getBoolean("registered"));
    assertEquals(1, dpu.getInteger("total"));
    assertEquals(404, server.get("/v1/dpus/never-seen").status());
  }
}
