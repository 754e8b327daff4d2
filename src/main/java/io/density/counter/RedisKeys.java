package io.density.counter;

/** The Redis key layout of the realtime state, shared by the counter and the query verticle. */
public record RedisKeys(String prefix) {

  /**
   * String: the space's state ({@link SpaceState}), a record of 67 bytes: its count, and
   * ts/delta/id of the latest effect applied in order; with an idle reset rule, idle (its period,
   * µs) and ets (the latest effect, µs); while the space keeps a tail, tail = 1, its floor (base,
   * fts/fdelta/fid) and its first entry's instant (tts).
   */
  public String space(String spaceId) {
    return prefix + "space:" + spaceId;
  }

  /**
   * String: the space's tail, its latest effects within the out-of-order window in contract order,
   * a record of 21 bytes each, little-endian: ts (8), delta (1), datapoint id (8), count after it
   * (4) (apply-batch.lua keeps it).
   */
  public String tail(String spaceId) {
    return prefix + "tail:" + spaceId;
  }

  /**
   * String: the DPU's totals ({@link DpuTotals}), a record of 40 bytes: last_ts, last_rx, entries,
   * exits, total; none until it reports.
   */
  public String dpu(String dpuId) {
    return prefix + "dpu:" + dpuId;
  }

  /**
   * Sorted set: every DPU registered or heard from, scored by its last arrival (last_rx, µs; 0 for
   * a registered DPU that never reported): the stalest DPUs of a fleet in one range read.
   */
  public String dpusByArrival() {
    return prefix + "dpus:by-arrival";
  }

  /**
   * Sorted set: the spaces with an idle reset rule whose next idle reset is not written yet, scored
   * by when it is due (latest effect + idle period, µs). The owners of their shards write them as
   * they come due.
   */
  public String idleDue() {
    return prefix + "idle-due";
  }

  /**
   * Hash: built_at, instance (the database the state was built from), format ({@link #FORMAT}).
   * Present once the state was loaded from PostgreSQL; counting needs it, and while it is there
   * every known space has a state, so a space without one is unknown.
   */
  public String meta() {
    return prefix + "meta";
  }

  /**
   * The layout's version: a state loaded by an older server (which kept no hash for a space without
   * changes, no {@link #dpusByArrival}, no idle reset fields, a hash per DPU, a hash per space, a
   * list of text entries per tail, parts' answers with their corrected rows as text, or a space's
   * state and a DPU's totals as text) is rebuilt rather than trusted.
   */
  public static final String FORMAT = "9";
}
