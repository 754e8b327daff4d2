package io.density.counter;

import io.vertx.core.buffer.Buffer;

/**
 * What Redis holds for a space ({@link RedisKeys#space}), as the server writes it when it loads or
 * replaces a space's head: its count, the order key of its latest change (ts µs, delta, datapoint
 * id; null without changes), and with an idle reset rule its period and latest effect (µs; null
 * without). Stored as one record of {@value #SIZE} bytes, little-endian, the form the counting
 * script reads and writes with one call of Lua's {@code struct} ({@code apply-batch.lua}, {@code
 * STATE}): count (4), ts (8), delta (1), id (8), idle (8), effect (8), then the tail's fields, tail
 * (1), base (4), fts (8), fdelta (1), fid (8), tts (8). None is {@link #NONE} in a field of 8 bytes
 * and 0 in a delta (a delta is never 0). The tail's fields are the script's alone; a state written
 * here has none, so the space's tail starts again from this head. One record, so the script reads
 * and writes the spaces of a part in one {@code MGET} and one {@code MSET}.
 */
public record SpaceState(int count, Long ts, Integer delta, Long id, Long idle, Long effect) {

  /** Bytes of the stored form. */
  static final int SIZE = 67;

  /**
   * None, in a field of 8 bytes: -2^53, which a Lua number (a double) holds exactly, as it does
   * every µs timestamp and datapoint id.
   */
  static final long NONE = -(1L << 53);

  /** A space that exists and has no change yet. */
  public static final SpaceState NEW = new SpaceState(0, null, null, null, null, null);

  /** The stored form, as apply-batch.lua reads it: no tail kept. */
  public Buffer encode() {
    return Buffer.buffer(SIZE)
        .appendIntLE(count)
        .appendLongLE(orNone(ts))
        .appendByte(delta == null ? 0 : delta.byteValue())
        .appendLongLE(orNone(id))
        .appendLongLE(orNone(idle))
        .appendLongLE(orNone(effect))
        .appendByte((byte) 0) // tail
        .appendIntLE(0) // base
        .appendLongLE(NONE) // fts
        .appendByte((byte) 0) // fdelta
        .appendLongLE(NONE) // fid
        .appendLongLE(NONE); // tts
  }

  /** The stored form read back (the tail's fields left out); null for null (no such space). */
  public static SpaceState parse(Buffer stored) {
    if (stored == null) {
      return null;
    }
    if (stored.length() != SIZE) {
      throw new IllegalArgumentException(
          "not a space's state: " + stored.length() + " bytes, not " + SIZE);
    }
    byte delta = stored.getByte(12);
    return new SpaceState(
        stored.getIntLE(0),
        orNull(stored.getLongLE(4)),
        delta == 0 ? null : (int) delta,
        orNull(stored.getLongLE(13)),
        orNull(stored.getLongLE(21)),
        orNull(stored.getLongLE(29)));
  }

  private static long orNone(Long value) {
    return value == null ? NONE : value;
  }

  private static Long orNull(long field) {
    return field == NONE ? null : field;
  }
}
