package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.density.counter.SpaceState;
import io.density.dev.SeedBuilding;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Acknowledged datapoints survive restarts, and Redis can be rebuilt from PostgreSQL")
class DurabilityTest {
  private TestServer server;

  @BeforeEach
  void start() {
    server = new TestServer().start();
    server.provisionSeedBuilding();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private int feedADay(long seed) {
    Instant start = Instant.parse("2018-03-05T00:00:00Z");
    List<JsonObject> day = SeedBuilding.day(start, start.plusSeconds(86_400), 150, seed);
    JsonArray batch = new JsonArray();
    day.forEach(batch::add);
    Reply reply = server.postJson("/v1/datapoints", batch);
    assertEquals(200, reply.status());
    assertEquals(day.size(), reply.json().getInteger("accepted"));
    return day.size();
  }

  /** Everything a client can ask: realtime, as-of at every hour, DPU totals. */
  private Map<String, Object> answers() {
    Map<String, Object> answers = new TreeMap<>();
    for (String space : List.of("A", "B")) {
      answers.put(space + " now", server.get("/?space=" + space).json().getValue("count"));
      for (int h = 0; h <= 24; h += 3) {
        String at = Instant.parse("2018-03-05T00:00:00Z").plusSeconds(h * 3600L).toString();
        answers.put(
            space + " @" + at,
            server.get("/v1/spaces/" + space + "/count?at=" + at).json().getValue("count"));
      }
    }
    for (String dpu : List.of("283", "423")) {
      JsonObject state = server.get("/v1/dpus/" + dpu).json();
      answers.put(
          dpu,
          state.getValue("total")
              + "/"
              + state.getValue("entries")
              + "/"
              + state.getValue("last_timestamp"));
    }
    return answers;
  }

  @Test
  @DisplayName("a restarted server has every acknowledged datapoint and the same answers")
  void restartLosesNothing() {
    int sent = feedADay(1);
    Map<String, Object> before = answers();
    server.restart();
    assertEquals(sent, server.countRows("datapoint"));
    assertEquals(before, answers());
    assertEquals(0, server.countRows("uncounted_batch"));
  }

  @Test
  @DisplayName(
      "the counts of a batch's every part, across its counting shards, are stored in one"
          + " transaction")
  void partsOfABatchShareATransaction() {
    feedADay(7);
    // Per batch: its spaces' rows (A and B: two shards, so at least two parts) and the
    // transactions that wrote them.
    List<Row> batches =
        server.rows(
            """
            SELECT d.batch_id, count(DISTINCT c.space_id) AS spaces,
                   count(DISTINCT c.xmin::text) AS transactions
              FROM space_count c JOIN datapoint d ON d.id = c.datapoint_id
             GROUP BY d.batch_id
            """);
    assertFalse(batches.isEmpty());
    for (Row batch : batches) {
      assertEquals(2, batch.getLong("spaces"), "batch " + batch.getLong("batch_id"));
      assertEquals(1, batch.getLong("transactions"), "batch " + batch.getLong("batch_id"));
    }
    assertEquals(0, server.countRows("uncounted_batch"));
  }

  @Test
  @DisplayName("after Redis loses everything, a restart rebuilds the same realtime state")
  void rebuildOnStartAfterRedisLoss() {
    feedADay(2);
    Map<String, Object> before = answers();
    server.stop();
    server.flushRedis();
    server.start();
    assertEquals(before, answers());
  }

  @Test
  @DisplayName("a realtime state built from another database is not trusted: it is rebuilt")
  void stateFromAnotherDatabaseIsRebuilt() {
    feedADay(8);
    Map<String, Object> before = answers();
    server.stop();
    server.rows("UPDATE instance SET id = gen_random_uuid()"); // as if a new database
    server
        .redis
        .send(
            io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.SET)
                .arg(server.config.redis().keyPrefix() + "space:A")
                .arg(new SpaceState(999, null, null, null, null, null).encode()))
        .await();
    server.start();
    assertEquals(before, answers());
  }

  @Test
  @DisplayName(
      "a realtime state of an older layout (no hash for spaces without changes) is rebuilt, and"
          + " then knows every space")
  void stateOfAnOlderLayoutIsRebuilt() {
    feedADay(8);
    assertEquals(201, server.putJson("/v1/spaces/quiet", new JsonObject()).status());
    Map<String, Object> before = answers();
    server.stop();
    String prefix = server.config.redis().keyPrefix();
    server
        .redis
        .send(
            io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.HDEL)
                .arg(prefix + "meta")
                .arg("format"))
        .await();
    server
        .redis
        .send(
            io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.DEL)
                .arg(prefix + "space:quiet"))
        .await();
    server.start();
    assertEquals(before, answers());
    assertEquals(0, server.get("/?space=quiet").json().getInteger("count"));
  }

  @Test
  @DisplayName("an operator's rebuild request on a running server gives the same answers")
  void rebuildOnRequest() {
    feedADay(3);
    Map<String, Object> before = answers();
    server.flushRedis();
    Reply rebuilt = server.postJson("/v1/admin/rebuild", new JsonObject());
    assertEquals(200, rebuilt.status(), rebuilt.json().encode());
    assertEquals(2, rebuilt.json().getInteger("dpus"));
    assertEquals(before, answers());
    long total = server.get("/v1/dpus/283").json().getLong("total");
    long before283 =
        server.rows("SELECT count(*) FROM datapoint WHERE dpu_id = '283'").get(0).getLong(0);
    feedADay(4); // counting goes on after the rebuild
    long after283 =
        server.rows("SELECT count(*) FROM datapoint WHERE dpu_id = '283'").get(0).getLong(0);
    assertEquals(total + after283 - before283, server.get("/v1/dpus/283").json().getLong("total"));
  }

  @Test
  @DisplayName("counting interrupted by Redis losing its state is finished by a rebuild, once")
  void countingResumesAfterRedisLoss() {
    int first = feedADay(5);
    server.flushRedis(); // the next batch commits, finds Redis empty and triggers a rebuild
    int more = feedADay(6);
    Map<String, Object> live = answers();
    server.stop();
    server.flushRedis();
    server.start(); // rebuilt from PostgreSQL alone: the reference
    assertEquals(live, answers());
    assertEquals(0, server.countRows("uncounted_batch"));
    assertEquals(first + more, server.countRows("datapoint"));
  }

  @Test
  @DisplayName("a batch committed but never counted (a crash in between) is counted at start")
  void uncountedBatchIsRecovered() {
    feedADay(7);
    Map<String, Object> reference = answers();
    // Reproduce the state a crash between commit and counting leaves: the raw log holds the
    // datapoints of an open batch whose effects were never stored.
    server.stop();
    long batch =
        server.rows("INSERT INTO uncounted_batch DEFAULT VALUES RETURNING id").get(0).getLong(0);
    server.rows("UPDATE datapoint SET batch_id = $1", batch);
    server.rows("DELETE FROM space_count");
    server.flushRedis();
    server.start();
    assertEquals(reference, answers());
    assertEquals(0, server.countRows("uncounted_batch"));
  }
}
