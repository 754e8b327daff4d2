package io.density.persistence.counting;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.density.time.Timestamps;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The rows the counting script corrected, as it returns them: its answer names whose they are, the
 * records after it hold them. (The script's side: SpaceStateTest.)
 */
@DisplayName("Corrected rows from the counting script: read whole into the statement, or refused")
class FixesTest {

  private static final long T0 = 1_764_000_000_000_000L;

  /** One record as the script packs it: ts, delta, datapoint id, the new count, little-endian. */
  private static Buffer record(long ts, int delta, long datapoint, int count) {
    return Buffer.buffer()
        .appendLongLE(ts)
        .appendByte((byte) delta)
        .appendLongLE(datapoint)
        .appendIntLE(count);
  }

  @Test
  @DisplayName("the rows of two answers go into the statement's five arrays, each with its space")
  void rowsOfTwoAnswers() {
    Fixes first =
        Fixes.of(
            new JsonArray()
                .add(new JsonArray().add("A").add(2))
                .add(new JsonArray().add("B").add(1)),
            record(T0, 1, 7, 3)
                .appendBuffer(record(T0 + 5, -1, 8, 2))
                .appendBuffer(record(T0, -1, 7, 0)));
    Fixes second =
        Fixes.of(new JsonArray().add(new JsonArray().add("C").add(1)), record(T0 + 9, 1, 9, 12));
    PendingFixes held = new PendingFixes();
    held.add(first, 0);
    held.add(second, 0);
    Tuple tuple = PendingFixes.addTo(Tuple.tuple(), held.takeAll());
    assertArrayEquals(new String[] {"A", "A", "B", "C"}, (String[]) tuple.getValue(0));
    assertArrayEquals(
        new OffsetDateTime[] {
          Timestamps.toOffsetDateTime(T0),
          Timestamps.toOffsetDateTime(T0 + 5),
          Timestamps.toOffsetDateTime(T0),
          Timestamps.toOffsetDateTime(T0 + 9)
        },
        (OffsetDateTime[]) tuple.getValue(1));
    assertArrayEquals(new Short[] {1, -1, -1, 1}, (Short[]) tuple.getValue(2));
    assertArrayEquals(new Long[] {7L, 8L, 7L, 9L}, (Long[]) tuple.getValue(3));
    assertArrayEquals(new Integer[] {3, 2, 0, 12}, (Integer[]) tuple.getValue(4));
  }

  @Test
  @DisplayName("an answer whose records are not the rows it names is refused, not half-read")
  void recordsNotAsNamed() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                Fixes.of(
                    new JsonArray().add(new JsonArray().add("A").add(2)), record(T0, 1, 7, 3)));
    assertEquals(
        "the counting script's corrected rows: its answer names 2, its records hold 21 bytes",
        e.getMessage());
    // rows as a release before wrote them, in the JSON and none after it
    assertThrows(
        IllegalStateException.class,
        () ->
            Fixes.of(
                new JsonArray().add(new JsonArray().add("A").add(T0).add(1).add(7).add(3)),
                Buffer.buffer()));
  }

  @Test
  @DisplayName("an answer with no corrected rows has none, whatever form it has them in")
  void none() {
    assertTrue(Fixes.of(new JsonArray(), Buffer.buffer()).isEmpty());
    assertTrue(Fixes.of(null, null).isEmpty());
  }
}
