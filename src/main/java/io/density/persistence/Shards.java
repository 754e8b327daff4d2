package io.density.persistence;

/**
 * Which counting shard a space or a DPU belongs to. Spaces are counted in shards, each by one lane
 * at a time, so that spaces of different shards are counted in parallel while each space's changes
 * stay in order. The hash is Java's {@code String.hashCode}, the same on every JVM.
 */
final class Shards {
  private Shards() {}

  static int of(String id, int shards) {
    return Math.floorMod(id.hashCode(), shards);
  }
}
