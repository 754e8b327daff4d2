package io.density.persistence.store;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.util.ArrayDeque;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Holds back what must not get ahead of PostgreSQL's durable state until the write-ahead log is
 * flushed past it. Counting commits its derived rows without waiting for their flush (they are
 * derived from the raw log, which is committed durably before any of them, and a crash that erases
 * them leaves their batch uncounted, to be counted again; docs/counting.md, "Durability"). What
 * leaves the server describing such a row (a count event), or what lets Redis forget how it counted
 * a part (the close of its batch), is therefore run only once every commit made before it was asked
 * for is flushed.
 *
 * <p>Tasks run in the order they were given. The check costs one small query per round for every
 * task queued meanwhile: the WAL's insert position, read after a task is queued, is past the commit
 * records of everything committed before it; once the flush position reaches it, the task runs.
 * Under ingest the raw log's own durable commits flush the log every few milliseconds; when nothing
 * else flushes it within {@link #FORCE_AFTER_MS}, a tiny durable commit does.
 *
 * <p>Used from the verticle's context only.
 */
public final class WalFlush {
  private static final Logger LOG = Logger.getLogger(WalFlush.class.getName());

  /** How often the flush position is read while tasks wait. */
  private static final long POLL_MS = 2;

  /** How long a task waits for another commit to flush the log before one is made for it. */
  static final long FORCE_AFTER_MS = 5;

  /**
   * A task, and the WAL position it waits for (-1: not read yet). A barrier only waits: it runs
   * when PostgreSQL starts again too, since whatever it waited for is then flushed or gone.
   */
  private static final class Waiting {
    final Runnable task;
    final boolean barrier;
    long lsn = -1;
    long since;

    Waiting(Runnable task, boolean barrier) {
      this.task = task;
      this.barrier = barrier;
    }
  }

  private final Vertx vertx;
  private final Pool pool;
  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  private boolean polling;
  private boolean failureLogged;

  /** When PostgreSQL's postmaster started, as last read: a change means it started again. */
  private String postmasterStarted;

  /** The pool must commit synchronously: its commits are what flushes the log when forced. */
  public WalFlush(Vertx vertx, Pool pool) {
    this.vertx = vertx;
    this.pool = pool;
  }

  /** Reads when PostgreSQL started, so that a restart before the first round is seen too. */
  public Future<Void> start() {
    return pool.query(Statements.WAL_POSITIONS)
        .execute()
        .onSuccess(rows -> postmasterStarted = rows.iterator().next().getString("started"))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  /** Runs the task once everything committed before this call is flushed to the WAL. */
  public void then(Runnable task) {
    add(new Waiting(task, false));
  }

  /**
   * Completes once everything committed before this call is flushed to the WAL, or erased by a
   * crash (PostgreSQL started again): either way, what PostgreSQL holds then is durable.
   */
  public Future<Void> reached() {
    Promise<Void> flushed = Promise.promise();
    add(new Waiting(flushed::complete, true));
    return flushed.future();
  }

  private void add(Waiting task) {
    waiting.add(task);
    if (!polling) {
      poll();
    }
  }

  private void poll() {
    polling = true;
    // Every task queued until now gets the insert position this query reads (or an earlier one).
    int queued = waiting.size();
    int unread = (int) waiting.stream().filter(w -> w.lsn < 0).count();
    pool.query(Statements.WAL_POSITIONS)
        .execute()
        .compose(
            rows -> {
              Row r = rows.iterator().next();
              // Those queued before PostgreSQL started again are dropped, none left to read for.
              boolean restarted = restarted(r.getString("started"));
              if (restarted) {
                dropUnknown(queued);
              }
              int toRead = restarted ? 0 : unread;
              long inserted = lsn(r.getString("inserted"));
              long flushed = lsn(r.getString("flushed"));
              long now = System.currentTimeMillis();
              int assigned = 0;
              for (Waiting w : waiting) {
                if (w.lsn < 0 && assigned++ < toRead) {
                  w.lsn = inserted;
                  w.since = now;
                }
              }
              runFlushed(flushed);
              Waiting head = waiting.peek();
              if (head != null && head.lsn >= 0 && now - head.since >= FORCE_AFTER_MS) {
                // Nothing else flushed the log in time: a durable commit of our own flushes
                // everything before it, so every task with a position read by now may run.
                return pool.query(Statements.FLUSH_WAL).execute().map(v -> true);
              }
              return Future.succeededFuture(false);
            })
        .onComplete(
            ar -> {
              if (ar.failed()) {
                if (!failureLogged) {
                  failureLogged = true;
                  LOG.log(
                      Level.WARNING,
                      "cannot read PostgreSQL's WAL flush position; what waits for it is held back"
                          + " until it can: "
                          + ar.cause().getMessage());
                }
                vertx.setTimer(100, id -> poll());
                return;
              }
              failureLogged = false;
              if (ar.result()) {
                runFlushed(Long.MAX_VALUE);
              }
              if (waiting.isEmpty()) {
                polling = false;
              } else {
                vertx.setTimer(POLL_MS, id -> poll());
              }
            });
  }

  /** Whether PostgreSQL started again since the last round (a crash, a restart). */
  private boolean restarted(String started) {
    boolean again = postmasterStarted != null && !postmasterStarted.equals(started);
    postmasterStarted = started;
    return again;
  }

  /**
   * PostgreSQL started again while tasks waited: whether the commits before them were flushed in
   * time or erased by a crash cannot be told any more, so they are dropped, never run (a barrier
   * runs: what it waited for is now flushed or gone). A count event dropped so is followed by a
   * reconciliation event if its rows were erased (their batch is counted again); a batch close not
   * told to its owners only leaves Redis remembering its parts until they expire.
   */
  private void dropUnknown(int queued) {
    int dropped = 0;
    for (int i = 0; i < queued && !waiting.isEmpty(); i++) {
      Waiting w = waiting.poll();
      if (w.barrier) {
        w.task.run();
      } else {
        dropped++;
      }
    }
    if (dropped == 0) {
      return;
    }
    LOG.warning(
        "PostgreSQL started again while "
            + dropped
            + " count event(s) or batch close(s) waited for the WAL flush: they are dropped, since"
            + " a crash may have erased what they describe (the recovery sweep counts such batches"
            + " again, and their spaces get a reconciliation event)");
  }

  /** Runs, in order, the tasks whose position is read and at or before {@code flushed}. */
  private void runFlushed(long flushed) {
    while (!waiting.isEmpty() && waiting.peek().lsn >= 0 && waiting.peek().lsn <= flushed) {
      Runnable task = waiting.poll().task;
      try {
        task.run();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "a task held for the WAL flush failed", e);
      }
    }
  }

  /** A {@code pg_lsn} as text ({@code 16/B374D848}) → its position. */
  static long lsn(String text) {
    int slash = text.indexOf('/');
    return (Long.parseLong(text.substring(0, slash), 16) << 32)
        | Long.parseLong(text.substring(slash + 1), 16);
  }
}
