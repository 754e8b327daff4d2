package io.density.persistence.store;

/**
 * Which counting shard a space or a DPU belongs to. Spaces are counted in shards, each by one lane
 * at a time, so that spaces of different shards are counted in parallel while each space's changes
 * stay in order. The hash is Java's {@code String.hashCode}, the same on every JVM.
 */
public final class Shards {
  private Shards() {}

  public static int of(String id, int shards) {
    return Math.floorMod(id.hashCode(), shards);
  }
}
