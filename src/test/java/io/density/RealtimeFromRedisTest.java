package io.density;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.dev.SeedBuilding;
import io.density.support.Await;
import io.density.support.ContractModel;
import io.density.support.TcpProxy;
import io.density.support.TestServer;
import io.density.support.TestServer.Reply;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Realtime counts come from Redis alone, for every known space and for unknown ones")
class RealtimeFromRedisTest {
  private static final Instant DAY = Instant.parse("2024-10-07T00:00:00Z");
  private TestServer writer;
  private TestServer queries;
  private TcpProxy postgres;

  @BeforeEach
  void twoNodes() {
    String cluster = "density-test-" + UUID.randomUUID();
    // Every role but the query verticle on the first node; the second node answers the queries,
    // and its line to PostgreSQL is cut once it has started.
    writer = new TestServer().clustered(cluster);
    writer.config = writer.config.withRoles("counter,persistence,history,registry,alerts,http");
    writer.start();
    String url = writer.config.postgres().url();
    postgres = TcpProxy.before(url);
    queries = writer.node("query");
    queries.config = queries.config.with("postgres", "url", postgres.through(url));
    queries.start();
    postgres.cut();
    assertTrue(
        Await.until(() -> writer.get("/?space=A").status() == 200, Duration.ofSeconds(20)),
        "the query node answers through the cluster");
  }

  @AfterEach
  void stop() {
    queries.close();
    writer.close();
    postgres.close();
  }

  @Test
  @DisplayName(
      "counted spaces, a space with no datapoint yet and an unknown space are answered without"
          + " PostgreSQL")
  void withoutPostgres() {
    writer.provisionSeedBuilding();
    assertEquals(201, writer.putJson("/v1/spaces/quiet", new JsonObject()).status());
    ContractModel contract = ContractModel.seedBuilding();
    writer.feed(contract, SeedBuilding.day(DAY, DAY.plus(Duration.ofHours(20)), 80, 4));

    for (String space : new String[] {"A", "B"}) {
      assertEquals(contract.realtime(space), count("/?space=" + space), space);
      assertEquals(contract.realtime(space), count("/v1/spaces/" + space + "/count"), space);
    }
    assertEquals(0, count("/?space=quiet"), "a known space without datapoints counts 0");
    assertEquals(0, count("/v1/spaces/quiet/count"));
    assertNull(count("/?space=nowhere"), "an unknown space counts null");
    assertNull(count("/v1/spaces/nowhere/count"));
  }

  @Test
  @DisplayName(
      "when Redis has lost its state, an unknown space is not taken for one: the answer needs"
          + " PostgreSQL, and without it is 503")
  void lostStateIsNotUnknown() {
    writer.provisionSeedBuilding();
    writer.flushRedis();
    Reply unknown = writer.get("/?space=nowhere");
    assertEquals(503, unknown.status(), unknown.json().encode());
    Reply known = writer.get("/?space=A");
    assertEquals(503, known.status(), known.json().encode());
  }

  private Integer count(String path) {
    Reply reply = writer.get(path);
    assertEquals(200, reply.status(), path + " → " + reply.json().encode());
    return reply.json().getInteger("count");
  }
}
