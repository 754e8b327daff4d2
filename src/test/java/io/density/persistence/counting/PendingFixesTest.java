package io.density.persistence.counting;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Corrections held before they are written: a row corrected by several parts is written once with
 * its last count, the oldest go first, and a part's batch may close only once all of its rows are
 * written. (Against PostgreSQL and Redis: OutOfOrderWindowTest.)
 */
@DisplayName("Held corrections: written once with their last count, a part done when all are")
class PendingFixesTest {

  private static final long T0 = 1_764_000_000_000_000L;

  /** One space's corrected rows: [ts offset, delta, datapoint, count] each. */
  private static Fixes of(String space, int[]... rows) {
    Buffer records = Buffer.buffer();
    for (int[] r : rows) {
      records.appendLongLE(T0 + r[0]).appendByte((byte) r[1]).appendLongLE(r[2]).appendIntLE(r[3]);
    }
    return Fixes.of(new JsonArray().add(new JsonArray().add(space).add(rows.length)), records);
  }

  @Test
  @DisplayName("a row corrected by three parts is written once, with the last count")
  void coalesced() {
    PendingFixes held = new PendingFixes();
    held.add(of("A", new int[] {0, 1, 7, 3}, new int[] {5, -1, 8, 2}), 0);
    held.add(of("A", new int[] {5, -1, 8, 1}), 10);
    held.add(of("A", new int[] {5, -1, 8, 0}), 20);
    Tuple written = PendingFixes.addTo(Tuple.tuple(), held.takeAll());
    assertArrayEquals(new Long[] {7L, 8L}, (Long[]) written.getValue(3));
    assertArrayEquals(new Integer[] {3, 0}, (Integer[]) written.getValue(4));
    assertTrue(held.isEmpty());
  }

  @Test
  @DisplayName("only rows held for the delay are due, the oldest first, however often corrected")
  void dueByFirstHeld() {
    PendingFixes held = new PendingFixes();
    held.add(of("A", new int[] {0, 1, 7, 3}), 100);
    held.add(of("B", new int[] {1, 1, 9, 1}), 300);
    held.add(of("A", new int[] {0, 1, 7, 4}), 350); // held since 100 still
    assertFalse(held.due(499, 400));
    assertTrue(held.due(500, 400));
    List<PendingFixes.Row> taken = held.takeDue(500, 400);
    assertEquals(1, taken.size());
    assertEquals("A", taken.get(0).space);
    assertEquals(4, taken.get(0).count);
    assertFalse(held.due(699, 400));
    assertEquals(1, held.takeDue(700, 400).size());
  }

  @Test
  @DisplayName("a part is done once every row it corrected is written, by whichever statement")
  void doneWhenAllWritten() {
    PendingFixes held = new PendingFixes();
    Future<Void> first = held.add(of("A", new int[] {0, 1, 7, 3}), 0).done();
    Future<Void> second =
        held.add(of("A", new int[] {0, 1, 7, 2}, new int[] {5, -1, 8, 1}), 300).done();
    List<PendingFixes.Row> early = held.takeDue(400, 400);
    assertEquals(1, early.size(), "row 7, held since 0");
    PendingFixes.written(early);
    assertTrue(first.succeeded());
    assertFalse(second.isComplete(), "row 8 is not written yet");
    PendingFixes.written(held.takeAll());
    assertTrue(second.succeeded());
    assertTrue(
        held.add(of("A"), 0).done().succeeded(), "a part with no corrections is done at once");
  }

  @Test
  @DisplayName("the lag runs from when the part that first corrected a row was stored")
  void lagFromFirstStored() {
    PendingFixes held = new PendingFixes();
    PendingFixes.Waiter first = held.add(of("A", new int[] {5, -1, 8, 2}), 100);
    PendingFixes.Waiter second = held.add(of("A", new int[] {5, -1, 8, 1}), 500);
    first.stored(350);
    second.stored(700);
    first.stored(900); // ignored: a part's statement commits once
    assertEquals(350, PendingFixes.lagFrom(held.takeAll()), "row 8 corrected again: still 350");

    PendingFixes.Waiter a = held.add(of("A", new int[] {0, 1, 7, 3}), 1_000);
    PendingFixes.Waiter b = held.add(of("B", new int[] {1, 1, 9, 1}), 1_100);
    b.stored(1_200);
    a.stored(1_300);
    assertEquals(1_200, PendingFixes.lagFrom(held.takeAll()), "the earliest of a write's rows");

    held.add(of("C", new int[] {2, 1, 11, 4}), 1_500);
    assertEquals(
        1_500,
        PendingFixes.lagFrom(held.takeAll()),
        "its part's statement never committed (a later store wrote it): from when it was held");
  }

  @Test
  @DisplayName("a row not written fails every part that corrected it: their batches stay open")
  void dropped() {
    PendingFixes held = new PendingFixes();
    Future<Void> first = held.add(of("A", new int[] {0, 1, 7, 3}), 0).done();
    Future<Void> second = held.add(of("A", new int[] {0, 1, 7, 2}), 1).done();
    PendingFixes.dropped(held.takeAll(), new IllegalStateException("PostgreSQL went away"));
    assertTrue(first.failed());
    assertTrue(second.failed());
    assertEquals("PostgreSQL went away", second.cause().getMessage());
  }
}
