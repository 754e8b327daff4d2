package io.density.persistence.counting;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;

/**
 * The rows of earlier parts whose counts a part's tails derived again, as the counting script
 * returns them ({@code apply-batch.lua}): {@code spaces} [[space, n]] says whose the records are, n
 * of them each, in order; {@code records} holds 21 bytes a row, little-endian: timestamp µs (8),
 * delta (1), datapoint id (8), the new count (4). Binary because a late effect can correct a
 * hundred rows: read straight into the shard's held corrections ({@link PendingFixes}), with no
 * JSON between.
 */
record Fixes(JsonArray spaces, Buffer records) {
  static final Fixes NONE = new Fixes(new JsonArray(), Buffer.buffer());

  private static final int SIZE = 21;

  /**
   * The corrections of one answer, checked whole: as many records as {@code spaces} says, so that
   * an answer of another form fails its part rather than corrects the wrong rows.
   */
  static Fixes of(JsonArray spaces, Buffer records) {
    long rows = 0;
    for (Object o : spaces == null ? new JsonArray() : spaces) {
      rows += ((JsonArray) o).getLong(1);
    }
    int bytes = records == null ? 0 : records.length();
    if (rows * SIZE != bytes) {
      throw new IllegalStateException(
          "the counting script's corrected rows: its answer names "
              + rows
              + ", its records hold "
              + bytes
              + " bytes");
    }
    return bytes == 0 ? NONE : new Fixes(spaces, records);
  }

  boolean isEmpty() {
    return records.length() == 0;
  }

  /** One corrected row: its space, order key and new count. */
  interface Each {
    void row(String space, long ts, short delta, long datapoint, int count);
  }

  /** Each corrected row, in order. */
  void forEach(Each each) {
    int at = 0; // every record is named: of()
    for (Object o : spaces) {
      JsonArray owner = (JsonArray) o;
      String name = owner.getString(0);
      for (int j = owner.getInteger(1); j > 0; j--, at += SIZE) {
        each.row(
            name,
            records.getLongLE(at),
            records.getByte(at + 8),
            records.getLongLE(at + 9),
            records.getIntLE(at + 17));
      }
    }
  }
}
