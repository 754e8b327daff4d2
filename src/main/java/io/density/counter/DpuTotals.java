package io.density.counter;

import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * What Redis holds for a DPU that has reported ({@link RedisKeys#dpu}): its latest timestamp and
 * latest arrival (µs since the epoch), and how many entries and exits it sensed, with their total.
 * Stored as one record of {@value #SIZE} bytes, little-endian, 8 each: last_ts, last_rx, entries,
 * exits, total (the counting script's {@code TOTALS}, read and written with one call of Lua's
 * {@code struct}), so the script reads and writes the DPUs of a part in one {@code MGET} and one
 * {@code MSET}.
 */
public record DpuTotals(long lastTs, long lastRx, long entries, long exits, long total) {

  /** Bytes of the stored form. */
  static final int SIZE = 40;

  /** DPUs whose totals one command reads. */
  private static final int CHUNK = 1000;

  /**
   * The requests that read the totals of these DPUs: {@code MGET}s of at most 1000 keys each, so no
   * one command holds Redis long however large the fleet. {@link #of} reads their answers.
   */
  public static List<Request> reads(RedisKeys keys, List<String> dpus) {
    List<Request> reads = new ArrayList<>();
    for (int from = 0; from < dpus.size(); from += CHUNK) {
      Request mget = Request.cmd(Command.MGET);
      dpus.subList(from, Math.min(from + CHUNK, dpus.size())).forEach(d -> mget.arg(keys.dpu(d)));
      reads.add(mget);
    }
    return reads;
  }

  /**
   * The totals of each DPU, in the order given to {@link #reads}, from the answers to those
   * requests; null for a DPU that never reported.
   */
  public static List<DpuTotals> of(List<Response> answers) {
    List<DpuTotals> totals = new ArrayList<>();
    for (Response mget : answers) {
      mget.forEach(t -> totals.add(parse(t == null ? null : t.toBuffer())));
    }
    return totals;
  }

  /** The stored form, as apply-batch.lua writes it. */
  public Buffer encode() {
    return Buffer.buffer(SIZE)
        .appendLongLE(lastTs)
        .appendLongLE(lastRx)
        .appendLongLE(entries)
        .appendLongLE(exits)
        .appendLongLE(total);
  }

  /** The stored form read back; null for null (a DPU that never reported). */
  public static DpuTotals parse(Buffer stored) {
    if (stored == null) {
      return null;
    }
    if (stored.length() != SIZE) {
      throw new IllegalArgumentException(
          "not a DPU's totals: " + stored.length() + " bytes, not " + SIZE);
    }
    return new DpuTotals(
        stored.getLongLE(0),
        stored.getLongLE(8),
        stored.getLongLE(16),
        stored.getLongLE(24),
        stored.getLongLE(32));
  }
}
