package io.density.counter;

/** The Redis key layout of the realtime state, shared by the counter and the query verticle. */
public record RedisKeys(String prefix) {

  /** Hash: count, and ts/delta/id of the latest effect applied in order. */
  public String space(String spaceId) {
    return prefix + "space:" + spaceId;
  }

  /** Hash: last_ts, last_rx (µs since the epoch), entries, exits, total. */
  public String dpu(String dpuId) {
    return prefix + "dpu:" + dpuId;
  }

  /**
   * Hash: built_at, instance (the database the state was built from). Present once the state was
   * loaded from PostgreSQL; counting needs it.
   */
  public String meta() {
    return prefix + "meta";
  }
}
