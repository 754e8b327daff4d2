package io.density.counter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.density.support.TestServices;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A space's state as Redis holds it")
class SpaceStateTest {

  @Test
  @DisplayName("read back as written, µs timestamps exact, none as none, no tail kept")
  void roundTrip() {
    SpaceState state = new SpaceState(7, 1_764_000_000_123_456L, -1, 42L, 900_000_000L, 5L);
    Buffer stored = state.encode();
    assertEquals(67, stored.length(), "the script's STATE");
    assertEquals(7, stored.getIntLE(0));
    assertEquals(1_764_000_000_123_456L, stored.getLongLE(4), "little-endian, the head's ts");
    assertEquals(-1, stored.getByte(12));
    assertEquals(0, stored.getByte(37), "no tail kept: the script starts one from this head");
    assertEquals(state, SpaceState.parse(stored));
    assertEquals(SpaceState.NEW, SpaceState.parse(SpaceState.NEW.encode()));
    assertEquals(SpaceState.NONE, SpaceState.NEW.encode().getLongLE(4), "no change: no ts");
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
        JsonObject answer =
            apply(
                redis,
                prefix,
                "1:0",
                new JsonArray()
                    .add(new JsonArray().add("d1").add(head + 1_000_000).add(1).add(head + 1)),
                new JsonArray()
                    .add(new JsonArray().add("A").add(head + 1_000_000).add(1).add(10).add(1)));
        assertEquals(new JsonArray().add(6), answer.getJsonArray("c"));
        Buffer stored =
            redis.send(Request.cmd(Command.GET).arg(keys.space("A"))).await().toBuffer();
        assertEquals(
            new SpaceState(6, head + 1_000_000, 1, 10L, null, null), SpaceState.parse(stored));
        // the tail's fields follow: kept, its floor the head the server wrote (count 5, then its
        // order key), its first entry the effect just applied
        assertEquals(1, stored.getByte(37), "tail kept");
        assertEquals(5, stored.getIntLE(38), "the floor's count");
        assertEquals(head, stored.getLongLE(42), "the floor's ts");
        assertEquals(1, stored.getByte(50), "the floor's delta");
        assertEquals(9, stored.getLongLE(51), "the floor's datapoint");
        assertEquals(head + 1_000_000, stored.getLongLE(59), "the first entry's instant");
        // the DPU's totals as the script wrote them, read by the server's form
        assertEquals(
            new DpuTotals(head + 1_000_000, head + 1, 1, 0, 1),
            DpuTotals.parse(
                redis.send(Request.cmd(Command.GET).arg(keys.dpu("d1"))).await().toBuffer()));
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
  @DisplayName(
      "an effect placed before 39 of the 40 entries of its tail corrects every later count, in"
          + " Redis and in the rows it returns")
  void placedFarBackInTheTail() throws IOException {
    Vertx vertx = Vertx.vertx();
    try {
      Redis redis = Redis.createClient(vertx, TestServices.get().redisUrl);
      String prefix = "space-state-test-" + UUID.randomUUID() + ":";
      RedisKeys keys = new RedisKeys(prefix);
      redis.send(Request.cmd(Command.HSET).arg(keys.meta()).arg("format").arg("test")).await();
      redis
          .send(Request.cmd(Command.SET).arg(keys.space("A")).arg(SpaceState.NEW.encode()))
          .await();
      try {
        long t0 = 1_764_000_000_000_000L;
        // 40 entries into A, 100 ms apart: counts 1..40
        JsonArray d = new JsonArray();
        JsonArray e = new JsonArray();
        JsonArray counts = new JsonArray();
        for (int i = 1; i <= 40; i++) {
          d.add(new JsonArray().add("d1").add(t0 + i * 100_000L).add(1).add(t0 + i * 100_000L));
          e.add(new JsonArray().add("A").add(t0 + i * 100_000L).add(1).add(i).add(1));
          counts.add(i);
        }
        assertEquals(counts, apply(redis, prefix, "1:0", d, e).getJsonArray("c"));
        assertEquals(40, tail(redis, keys).size());
        // an exit 150 ms in, between the first two entries, arrives late
        long late = t0 + 150_000L;
        JsonObject answer =
            apply(
                redis,
                prefix,
                "2:0",
                new JsonArray()
                    .add(new JsonArray().add("d1").add(late).add(-1).add(t0 + 5_000_000)),
                new JsonArray().add(new JsonArray().add("A").add(late).add(-1).add(41).add(1)));
        assertEquals(new JsonArray().add(0), answer.getJsonArray("c"));
        assertEquals(new JsonArray(), answer.getJsonArray("l"), "no recount in PostgreSQL");
        assertEquals(
            new JsonArray().add(new JsonArray().add("A").add(39)),
            answer.getJsonArray("x"),
            "every later row corrected, all of them A's");
        JsonArray fixed = answer.getJsonArray("records");
        assertEquals(39, fixed.size());
        assertEquals((t0 + 200_000L) + ",1,2,1", fixed.getString(0));
        assertEquals((t0 + 4_000_000L) + ",1,40,39", fixed.getString(38));
        Buffer stored =
            redis.send(Request.cmd(Command.GET).arg(keys.space("A"))).await().toBuffer();
        assertEquals(39, SpaceState.parse(stored).count());
        // the tail now holds all 41 effects in order, the last with A's count
        List<String> tail = tail(redis, keys);
        assertEquals(41, tail.size());
        assertEquals(late + ",-1,41,0", tail.get(1));
        assertEquals((t0 + 4_000_000L) + ",1,40,39", tail.get(40));
      } finally {
        redis
            .send(
                Request.cmd(Command.DEL)
                    .arg(keys.meta())
                    .arg(keys.space("A"))
                    .arg(keys.tail("A"))
                    .arg(keys.dpu("d1"))
                    .arg(keys.dpusByArrival())
                    .arg(prefix + "batch:1:0")
                    .arg(prefix + "batch:2:0"))
            .await();
      }
    } finally {
      vertx.close().await();
    }
  }

  /**
   * One part applied by the real script: its datapoints and effects, a 10 s window. The answer,
   * with the corrected rows' records that come after it as "records" ({@link #records}).
   */
  private static JsonObject apply(
      Redis redis, String prefix, String batch, JsonArray datapoints, JsonArray effects)
      throws IOException {
    JsonObject part =
        new JsonObject()
            .put("k", new JsonArray().add(effects.size()).add(1))
            .put("d", datapoints)
            .put("e", effects)
            .put("f", new JsonArray())
            .put("w", 10_000_000);
    Response reply =
        redis
            .send(
                Request.cmd(Command.EVAL)
                    .arg(script())
                    .arg(0)
                    .arg(prefix)
                    .arg(batch)
                    .arg(part.encode()))
            .await();
    return new JsonObject(reply.get(0).toString())
        .put("records", new JsonArray(records(reply.get(1).toBytes())));
  }

  /** Space A's tail as Redis holds it, as {@link #records}. */
  private static List<String> tail(Redis redis, RedisKeys keys) {
    return records(redis.send(Request.cmd(Command.GET).arg(keys.tail("A"))).await().toBytes());
  }

  /**
   * Records of the script's (a tail's, or the rows it corrected), each 21 bytes (little-endian ts,
   * delta, datapoint id, count) as "ts,delta,id,count".
   */
  private static List<String> records(byte[] stored) {
    ByteBuffer records = ByteBuffer.wrap(stored).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(0, records.remaining() % 21, "whole records");
    List<String> entries = new ArrayList<>();
    while (records.hasRemaining()) {
      entries.add(
          records.getLong()
              + ","
              + records.get()
              + ","
              + records.getLong()
              + ","
              + records.getInt());
    }
    return entries;
  }

  @Test
  @DisplayName(
      "an unknown space has none; a value of another shape (the text of layout 8) is refused by"
          + " name")
  void absentOrMalformed() {
    assertNull(SpaceState.parse(null));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> SpaceState.parse(Buffer.buffer("0,,,,,,,,,,,")));
    assertEquals("not a space's state: 12 bytes, not 67", e.getMessage());
  }

  private static String script() throws IOException {
    try (InputStream in = CounterVerticle.class.getResourceAsStream("apply-batch.lua")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
