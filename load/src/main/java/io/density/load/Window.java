package io.density.load;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.function.Supplier;

/**
 * Runs tasks with at most {@code limit} in flight: a finished task makes room for the next, in the
 * order the supplier hands them out. It ends when the supplier is exhausted (returns null) and
 * every started task has finished, or, at the deadline, once the started ones have finished. Used
 * from one Vert.x context.
 */
final class Window {
  private final int limit;
  private final Supplier<Future<?>> next;
  private final long deadlineNanos;
  private final Promise<Boolean> done = Promise.promise();
  private int inFlight;
  private boolean exhausted;
  private boolean timedOut;
  private boolean pumping;
  private boolean again;

  private Window(int limit, Supplier<Future<?>> next, long deadlineNanos) {
    this.limit = limit;
    this.next = next;
    this.deadlineNanos = deadlineNanos;
  }

  /**
   * @param next the next task, started when called; null when there is none left
   * @return true when every task ran, false when the deadline stopped it early
   */
  static Future<Boolean> run(int limit, Supplier<Future<?>> next, long deadlineNanos) {
    Window window = new Window(Math.max(1, limit), next, deadlineNanos);
    window.pump();
    return window.done.future();
  }

  private void pump() {
    if (pumping) { // a task finished synchronously: continue in the loop below, not recursively
      again = true;
      return;
    }
    pumping = true;
    do {
      again = false;
      while (!exhausted && inFlight < limit) {
        if (System.nanoTime() > deadlineNanos) {
          exhausted = true;
          timedOut = true;
          break;
        }
        Future<?> task = next.get();
        if (task == null) {
          exhausted = true;
          break;
        }
        inFlight++;
        task.onComplete(
            ar -> {
              inFlight--;
              pump();
            });
      }
    } while (again);
    pumping = false;
    if (exhausted && inFlight == 0) {
      done.tryComplete(!timedOut);
    }
  }
}
