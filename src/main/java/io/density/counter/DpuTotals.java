package io.density.counter;

/**
 * What Redis holds for a DPU that has reported ({@link RedisKeys#dpu}): its latest timestamp and
 * latest arrival (µs since the epoch), and how many entries and exits it sensed, with their total.
 * Stored as one string, {@code "last_ts,last_rx,entries,exits,total"}, so the counting script reads
 * and writes the DPUs of a part in one {@code MGET} and one {@code MSET}.
 */
public record DpuTotals(long lastTs, long lastRx, long entries, long exits, long total) {

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
