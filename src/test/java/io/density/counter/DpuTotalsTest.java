package io.density.counter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.density.support.TestServices;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A DPU's totals as Redis holds them")
class DpuTotalsTest {

  @Test
  @DisplayName("read back as written, µs timestamps exact, as the counting script's record")
  void roundTrip() {
    DpuTotals totals = new DpuTotals(1_764_000_000_123_456L, 1_764_000_000_223_456L, 7, 5, 12);
    Buffer stored = totals.encode();
    assertEquals(40, stored.length(), "five fields of 8 bytes (the script's TOTALS)");
    assertEquals(1_764_000_000_223_456L, stored.getLongLE(8), "little-endian, last_rx second");
    assertEquals(12, stored.getLongLE(32), "the total last");
    assertEquals(totals, DpuTotals.parse(stored));
  }

  @Test
  @DisplayName("a large fleet is read in commands of at most 1000 DPUs, every DPU in its place")
  void readInChunks() {
    Vertx vertx = Vertx.vertx();
    try {
      Redis redis = Redis.createClient(vertx, TestServices.get().redisUrl);
      RedisKeys keys = new RedisKeys("dpu-totals-test-" + UUID.randomUUID() + ":");
      List<String> dpus = IntStream.range(0, 2500).mapToObj(i -> "dpu-" + i).toList();
      DpuTotals reported = new DpuTotals(1_764_000_000_000_000L, 1_764_000_000_000_001L, 1, 0, 1);
      List<Integer> reporting = List.of(0, 999, 1000, 2499);
      Request set = Request.cmd(Command.MSET);
      reporting.forEach(i -> set.arg(keys.dpu(dpus.get(i))).arg(reported.encode()));
      redis.send(set).await();
      try {
        List<Request> reads = DpuTotals.reads(keys, dpus);
        assertEquals(3, reads.size());
        List<DpuTotals> totals = DpuTotals.of(redis.batch(reads).await());
        assertEquals(dpus.size(), totals.size());
        for (int i = 0; i < dpus.size(); i++) {
          assertEquals(reporting.contains(i) ? reported : null, totals.get(i), dpus.get(i));
        }
      } finally {
        Request del = Request.cmd(Command.DEL);
        reporting.forEach(i -> del.arg(keys.dpu(dpus.get(i))));
        redis.send(del).await();
      }
    } finally {
      vertx.close().await();
    }
  }

  @Test
  @DisplayName(
      "a DPU that never reported has none; a value of another shape (the text of layout 8) is"
          + " refused by name")
  void absentOrMalformed() {
    assertNull(DpuTotals.parse(null));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> DpuTotals.parse(Buffer.buffer("1764000000123456,1764000000223456,17,5,22")));
    assertEquals("not a DPU's totals: 41 bytes, not 40", e.getMessage());
  }
}
