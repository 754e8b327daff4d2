package io.density.persistence.counting;

import io.density.time.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rows of earlier parts whose counts one counting shard's tails derived again, held for up to
 * {@code ingest.correctionDelayMs} before they are written: under disorder a row is corrected by
 * several parts in a row (each late effect placed before it changes its count), and held, it is
 * written once, with its last count. A row's correction goes with a later statement of the shard's
 * lane (a part's store, or a write of its own when none comes), so it follows the store that
 * inserted the row and precedes any recount of its space. The batch whose part made a correction is
 * closed only once the row is written: a crash before that leaves the batch to the recovery sweep,
 * whose recount derives the row again (docs/counting.md, "Durability"). Used from the verticle's
 * context only.
 */
final class PendingFixes {
  /** A row's identity: a datapoint changes a space once. */
  private record Key(String space, long datapoint) {}

  /** A row held, with its latest count and the batches whose close waits for it. */
  static final class Row {
    final String space;
    final long ts;
    final short delta;
    final long datapoint;
    final long since;
    int count;
    final List<Waiter> waiters = new ArrayList<>(2);

    private Row(String space, long ts, short delta, long datapoint, int count, long since) {
      this.space = space;
      this.ts = ts;
      this.delta = delta;
      this.datapoint = datapoint;
      this.count = count;
      this.since = since;
    }
  }

  /** One part's corrections: done once each of its rows is written. */
  static final class Waiter {
    private int rows;
    private final Promise<Void> done = Promise.promise();

    /** When the statement that stored the part committed (ms; 0: not yet). */
    private long stored;

    /** Completes once each of the part's corrected rows is written, fails when one is dropped. */
    Future<Void> done() {
      return done.future();
    }

    /**
     * The part's own statement committed at {@code at} (ms): its request can be answered from then
     * on, so the lag of its corrections counts from then ({@link #lagFrom}).
     */
    void stored(long at) {
      if (stored == 0) {
        stored = at;
      }
    }
  }

  /** In the order they were first held, so the oldest come first. */
  private final Map<Key, Row> rows = new LinkedHashMap<>();

  /**
   * Holds a part's corrections (a row held already takes the new count), held since {@code now}
   * (ms): the part's handle, {@link Waiter#done done} once every one of them is written.
   */
  Waiter add(Fixes fixes, long now) {
    Waiter w = new Waiter();
    fixes.forEach(
        (space, ts, delta, datapoint, count) -> {
          Row row =
              rows.computeIfAbsent(
                  new Key(space, datapoint), k -> new Row(space, ts, delta, datapoint, count, now));
          row.count = count;
          if (!row.waiters.contains(w)) {
            row.waiters.add(w);
            w.rows++;
          }
        });
    if (w.rows == 0) {
      w.done.complete();
    }
    return w;
  }

  boolean isEmpty() {
    return rows.isEmpty();
  }

  /** How many rows are held. */
  int size() {
    return rows.size();
  }

  /** Whether a row has been held for {@code delayMs} or more at {@code now}. */
  boolean due(long now, long delayMs) {
    return !rows.isEmpty() && rows.values().iterator().next().since + delayMs <= now;
  }

  /** Takes the rows held for {@code delayMs} or more at {@code now}, to be written. */
  List<Row> takeDue(long now, long delayMs) {
    List<Row> taken = new ArrayList<>();
    for (Iterator<Row> it = rows.values().iterator(); it.hasNext(); ) {
      Row row = it.next();
      if (row.since + delayMs > now) {
        break;
      }
      taken.add(row);
      it.remove();
    }
    return taken;
  }

  /** Takes every row held, to be written. */
  List<Row> takeAll() {
    List<Row> taken = new ArrayList<>(rows.values());
    rows.clear();
    return taken;
  }

  /**
   * Where the lag of the rows taken starts (ms): the earliest commit of a part that first corrected
   * one of them, when that part's request could first be answered with its late datapoint counted
   * (the counting contract's lag runs from the acknowledgement). A row written in its part's own
   * statement counts from that commit ({@link Counting} marks the parts stored before it settles
   * the rows): no lag. A row whose first part's statement never committed (it failed, and a later
   * store wrote the row) counts from when it was first held.
   */
  static long lagFrom(List<Row> taken) {
    long from = Long.MAX_VALUE;
    for (Row row : taken) {
      long stored = row.waiters.isEmpty() ? 0 : row.waiters.get(0).stored;
      from = Math.min(from, stored > 0 ? stored : row.since);
    }
    return from;
  }

  /** The rows taken are written: the parts all of whose rows are written are done. */
  static void written(List<Row> taken) {
    for (Row row : taken) {
      for (Waiter w : row.waiters) {
        if (--w.rows == 0) {
          w.done.tryComplete();
        }
      }
    }
  }

  /** The rows taken were not written: the parts waiting for them fail (their batches stay open). */
  static void dropped(List<Row> taken, Throwable why) {
    for (Row row : taken) {
      row.waiters.forEach(w -> w.done.tryFail(why));
    }
  }

  /**
   * Adds the rows to {@code tuple} as five arrays: space text[], ts timestamptz[], delta int2[],
   * datapoint int8[], count int4[].
   */
  static Tuple addTo(Tuple tuple, List<Row> taken) {
    int n = taken.size();
    String[] space = new String[n];
    OffsetDateTime[] ts = new OffsetDateTime[n];
    Short[] delta = new Short[n];
    Long[] datapoint = new Long[n];
    Integer[] count = new Integer[n];
    for (int k = 0; k < n; k++) {
      Row row = taken.get(k);
      space[k] = row.space;
      ts[k] = Timestamps.toOffsetDateTime(row.ts);
      delta[k] = row.delta;
      datapoint[k] = row.datapoint;
      count[k] = row.count;
    }
    return tuple.addValue(space).addValue(ts).addValue(delta).addValue(datapoint).addValue(count);
  }
}
