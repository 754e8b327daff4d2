package io.density.persistence.counting;

import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * Runs tasks one after another, each starting when the previous one has finished. Each counting
 * shard has one, so no two changes of a space interleave; work that re-derives counts runs in
 * another, alone, once the shards' lanes are idle. Used from the verticle's context only.
 */
public final class Lane {
  private Future<Void> tail = Future.succeededFuture();

  public <T> Future<T> run(Supplier<Future<T>> task) {
    Future<T> result = tail.transform(ignored -> task.get());
    tail = result.transform(ignored -> Future.succeededFuture());
    return result;
  }

  /** Completes when every task queued so far has finished. */
  Future<Void> idle() {
    return tail;
  }
}
