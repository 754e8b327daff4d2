package io.density.load;

import java.util.Arrays;
import java.util.function.LongConsumer;

/** Recorded request latencies; percentiles by sorting them (nearest rank). Not thread-safe. */
final class Latencies {
  private long[] nanos = new long[1024];
  private int size;
  private long[] sorted;

  void add(long latencyNanos) {
    if (size == nanos.length) {
      nanos = Arrays.copyOf(nanos, size * 2);
    }
    nanos[size++] = latencyNanos;
    sorted = null;
  }

  void forEach(LongConsumer each) {
    for (int i = 0; i < size; i++) {
      each.accept(nanos[i]);
    }
  }

  int count() {
    return size;
  }

  /** The p-th percentile (0 < p ≤ 100) in milliseconds; NaN when nothing was recorded. */
  double percentileMs(double p) {
    if (size == 0) {
      return Double.NaN;
    }
    if (sorted == null) {
      sorted = Arrays.copyOf(nanos, size);
      Arrays.sort(sorted);
    }
    int rank = (int) Math.ceil(p / 100.0 * size);
    return sorted[Math.min(size, Math.max(1, rank)) - 1] / 1e6;
  }

  /** The smallest in milliseconds; NaN when nothing was recorded. */
  double minMs() {
    return percentileMs(Double.MIN_VALUE);
  }

  double maxMs() {
    return percentileMs(100);
  }
}
