package io.density.persistence.counting;

import io.vertx.core.Future;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs tasks one after another, each starting when the previous one has finished. Each counting
 * shard has one, so no two changes of a space interleave; work that re-derives counts runs in
 * another, alone, once the shards' lanes are idle. Used from the verticle's context only.
 *
 * <p>A part's turn may end before its counts are stored ({@link #runStoring}): the next part is
 * applied to Redis while PostgreSQL stores the one before, and the stores still go one after
 * another, in the lane's order. Any other task waits for the stores too.
 */
public final class Lane {
  private static final Future<Void> DONE = Future.succeededFuture();

  private Future<Void> tail = DONE;

  /** Completes when every store begun by a turn so far has ended. */
  private Future<Void> stored = DONE;

  /** Runs a task once every task before it has finished, their stores included. */
  public <T> Future<T> run(Supplier<Future<T>> task) {
    return runStoring(DONE, before -> before.transform(ignored -> task.get()));
  }

  /**
   * Takes a turn whose store may end after it: {@code task} gets when the stores of the turns
   * before have ended (it must begin its store, and anything else it writes to PostgreSQL, only
   * after that), and the lane goes on once the task's future completes; the next store begins once
   * {@code store} has ended.
   */
  <T> Future<T> runStoring(Future<Void> store, Function<Future<Void>, Future<T>> task) {
    Future<T> result =
        tail.transform(
            ignored -> {
              Future<Void> before = stored;
              stored = before.transform(v -> store).transform(v -> DONE);
              return task.apply(before);
            });
    tail = result.transform(ignored -> DONE);
    return result;
  }

  /** Whether no task is queued or running, and no store is under way. */
  boolean isIdle() {
    return tail.isComplete() && stored.isComplete();
  }

  /** Completes when every task queued so far has finished, and every store they began. */
  Future<Void> idle() {
    return tail.transform(ignored -> stored);
  }
}
