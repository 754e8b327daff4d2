package io.density.counter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.density.support.TestServices;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A space's state as Redis holds it")
class SpaceStateTest {

  @Test
  @DisplayName("read back as written, µs timestamps exact, none as an empty field")
  void roundTrip() {
    SpaceState state = new SpaceState(7, 1_764_000_000_123_456L, -1, 42L, 900_000_000L, 5L);
    assertEquals("7,1764000000123456,-1,42,900000000,5,,,,,,", state.encode());
    assertEquals(state, SpaceState.parse(state.encode()));
    assertEquals("0,,,,,,,,,,,", SpaceState.NEW.encode());
    assertEquals(SpaceState.NEW, SpaceState.parse(SpaceState.NEW.encode()));
  }

  @Test
  @DisplayName("the counting script counts on from a state the server wrote, and writes one back")
  void countedOnByTheScript() throws IOException {
    Vertx vertx = Vertx.vertx();
    try {
      Redis redis = Redis.createClient(vertx, TestServices.get().redisUrl);
      String prefix = "space-state-test-" + UUID.randomUUID() + ":";
      RedisKeys keys = new RedisKeys(prefix);
      redis.send(Request.cmd(Command.HSET).arg(keys.meta()).arg("format").arg("test")).await();
      try {
        long head = 1_764_000_000_000_000L;
        redis
            .send(
                Request.cmd(Command.SET)
                    .arg(keys.space("A"))
                    .arg(new SpaceState(5, head, 1, 9L, null, null).encode()))
            .await();
        // one datapoint a second after the head, entering A; a tail kept (10 s window)
        JsonObject part =
            new JsonObject()
                .put("k", new JsonArray().add(1).add(1))
                .put(
                    "d",
                    new JsonArray()
                        .add(new JsonArray().add("d1").add(head + 1_000_000).add(1).add(head + 1)))
                .put(
                    "e",
                    new JsonArray()
                        .add(new JsonArray().add("A").add(head + 1_000_000).add(1).add(10).add(1)))
                .put("f", new JsonArray())
                .put("w", 10_000_000);
        JsonObject answer =
            new JsonObject(
                redis
                    .send(
                        Request.cmd(Command.EVAL)
                            .arg(script())
                            .arg(0)
                            .arg(prefix)
                            .arg("1:0")
                            .arg(part.encode()))
                    .await()
                    .toString());
        assertEquals(new JsonArray().add(6), answer.getJsonArray("c"));
        String stored =
            redis.send(Request.cmd(Command.GET).arg(keys.space("A"))).await().toString();
        assertEquals(
            new SpaceState(6, head + 1_000_000, 1, 10L, null, null), SpaceState.parse(stored));
        // the tail's fields follow: kept, its floor the head the server wrote
        assertEquals("1,5," + head + ",1,9," + (head + 1_000_000), stored.split(",", 7)[6]);
      } finally {
        redis
            .send(
                Request.cmd(Command.DEL)
                    .arg(keys.meta())
                    .arg(keys.space("A"))
                    .arg(keys.tail("A"))
                    .arg(keys.dpu("d1"))
                    .arg(keys.dpusByArrival())
                    .arg(prefix + "batch:1:0"))
            .await();
      }
    } finally {
      vertx.close().await();
    }
  }

  @Test
  @DisplayName("an unknown space has none; a value of another shape is refused by name")
  void absentOrMalformed() {
    assertNull(SpaceState.parse(null));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SpaceState.parse("3"));
    assertEquals("not a space's state: 3", e.getMessage());
  }

  private static String script() throws IOException {
    try (InputStream in = CounterVerticle.class.getResourceAsStream("apply-batch.lua")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
