package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.support.ContractModel;
import io.density.support.CountAssertions;
import io.density.support.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Redis keeps the answer of every part of a batch it applied, and answers a part offered again with
 * it. A batch read again from PostgreSQL after its links changed (a move, a back-dated link) has
 * parts with other effects than those Redis applied; these tests put such a kept answer in Redis
 * before the batch is counted, as the first application would have left it, and hold the server to
 * counting on.
 */
@DisplayName("A part Redis applied with other effects, or cannot count, never stalls counting")
class PartsOfferedAgainTest {
  private static final Instant DAY = Instant.parse("2024-11-04T00:00:00Z");

  private final ContractModel contract = ContractModel.seedBuilding();
  private TestServer server;

  @BeforeEach
  void start() {
    server = new TestServer();
    server.config = server.config.with("ingest", "recoveryIntervalMs", 500);
    server.start();
    server.provisionSeedBuilding();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** The id the next batch will get. */
  private long nextBatchId() {
    return server
        .rows(
            "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END AS id"
                + " FROM uncounted_batch_id_seq")
        .get(0)
        .getLong("id");
  }

  /** The key of a part: batch and counting shard of a space (String.hashCode, as the server). */
  private String partKey(long batch, String space) {
    int shards = server.config.ingest().countingShards();
    return batch + ":" + Math.floorMod(space.hashCode(), shards);
  }

  private void keepAnswer(String partKey, String answer) {
    server
        .redis
        .send(
            Request.cmd(Command.SET)
                .arg(server.config.redis().keyPrefix() + "batch:" + partKey)
                .arg(answer)
                .arg("EX")
                .arg(600))
        .await();
  }

  private static JsonArray datapoints(List<Object[]> items) {
    JsonArray body = new JsonArray();
    for (Object[] i : items) {
      body.add(
          new JsonObject()
              .put("dpu_id", i[0])
              .put("timestamp", i[1].toString())
              .put("direction", i[2]));
    }
    return body;
  }

  private void tellContract(JsonArray body) {
    for (Object o : body) {
      JsonObject d = (JsonObject) o;
      contract.add(d.getString("dpu_id"), d.getString("timestamp"), d.getInteger("direction"));
    }
  }

  private void assertAnswersLikeTheContract() {
    for (String space : List.of("A", "B")) {
      CountAssertions.assertCountsLikeTheContract(
          server, contract, space, DAY, DAY.plus(Duration.ofDays(1)), Duration.ofHours(1));
    }
    assertEquals(0, server.countRows("uncounted_batch"), "no batch left uncounted");
  }

  @Test
  @DisplayName(
      "a part applied before with fewer effects: its spaces are recounted from PostgreSQL and the request is answered 200")
  void fewerEffectsBefore() {
    server.feed(
        contract,
        datapoints(
                List.of(
                    new Object[] {"283", DAY.plusSeconds(3600), 1},
                    new Object[] {"283", DAY.plusSeconds(3700), 1}))
            .stream()
            .map(o -> (JsonObject) o)
            .toList());
    // The next batch's part for A's shard was applied before with one effect (its links then
    // gave one), as the "Index 8 out of bounds for length 8" found it.
    long batch = nextBatchId();
    keepAnswer(
        partKey(batch, "A"),
        "{\"c\":[9],\"l\":[],\"s\":[[\"A\",\"" + (DAY.getEpochSecond() * 1_000_000) + "\"]]}");
    JsonArray body =
        datapoints(
            List.of(
                new Object[] {"283", DAY.plusSeconds(7200), 1},
                new Object[] {"423", DAY.plusSeconds(7300), -1},
                new Object[] {"423", DAY.plusSeconds(7400), 1},
                new Object[] {"283", DAY.plusSeconds(7500), -1}));
    TestServer.Reply reply = server.postJson("/v1/datapoints", body);
    assertEquals(200, reply.status(), reply.json().encode());
    tellContract(body);
    assertAnswersLikeTheContract();
    assertTrue(server.countRows("space_count") >= 6, "every effect of the batch is in space_count");
  }

  @Test
  @DisplayName(
      "a part applied before with as many but other effects: the kept counts are not trusted")
  void otherEffectsBefore() {
    long batch = nextBatchId();
    // Two counts, as many as the part has effects on A, but of another part (its fingerprint).
    keepAnswer(
        partKey(batch, "A"),
        "{\"c\":[40,41],\"l\":[],\"k\":\"2-0\",\"s\":[[\"A\",\""
            + (DAY.getEpochSecond() * 1_000_000)
            + "\"]]}");
    JsonArray body =
        datapoints(
            List.of(
                new Object[] {"283", DAY.plusSeconds(600), 1},
                new Object[] {"283", DAY.plusSeconds(900), 1}));
    TestServer.Reply reply = server.postJson("/v1/datapoints", body);
    assertEquals(200, reply.status(), reply.json().encode());
    tellContract(body);
    assertAnswersLikeTheContract();
  }

  @Test
  @DisplayName(
      "a part its owner cannot count (a fault, not an outage): the batch is counted from PostgreSQL and the request answered")
  void faultInCounting() {
    long batch = nextBatchId();
    keepAnswer(partKey(batch, "A"), "{\"c\":\"unreadable\",\"l\":[]}");
    JsonArray body =
        datapoints(
            List.of(
                new Object[] {"283", DAY.plusSeconds(1200), 1},
                new Object[] {"423", DAY.plusSeconds(1300), -1}));
    TestServer.Reply reply = server.postJson("/v1/datapoints", body);
    assertEquals(200, reply.status(), reply.json().encode());
    tellContract(body);
    assertAnswersLikeTheContract();
  }
}
