package io.density.counter;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * What Redis holds for a DPU that has reported ({@link RedisKeys#dpu}): its latest timestamp and
 * latest arrival (µs since the epoch), and how many entries and exits it sensed, with their total.
 * Stored as one string, {@code "last_ts,last_rx,entries,exits,total"}, so the counting script reads
 * and writes the DPUs of a part in one {@code MGET} and one {@code MSET}.
 */
public record DpuTotals(long lastTs, long lastRx, long entries, long exits, long total) {

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
      mget.forEach(t -> totals.add(parse(t == null ? null : t.toString())));
    }
    return totals;
  }

  /** The stored form, as apply-batch.lua writes it. */
  public String encode() {
    return lastTs + "," + lastRx + "," + entries + "," + exits + "," + total;
  }

  /** The stored form read back; null for null (a DPU that never reported). */
  public static DpuTotals parse(String stored) {
    if (stored == null) {
      return null;
    }
    String[] f = stored.split(",", -1);
    if (f.length != 5) {
      throw new IllegalArgumentException("not a DPU's totals: " + stored);
    }
    return new DpuTotals(
        Long.parseLong(f[0]),
        Long.parseLong(f[1]),
        Long.parseLong(f[2]),
        Long.parseLong(f[3]),
        Long.parseLong(f[4]));
  }
}
