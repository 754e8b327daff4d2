package io.density.history;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The job that stores the complete utilization days nobody has asked for yet (docs/counting.md,
 * "Utilization"; docs/operations.md, "Stored utilization days"), so that the first report of past
 * days reads them instead of computing every day from the changes. One node runs it (the history
 * verticle that leads it).
 *
 * <p>A pass walks every space in id order, {@link #SPACES_PER_STATEMENT} at a time, and lets {@link
 * Utilization#storeMissing} store the days of each space's own zone from {@code days} before its
 * local today up to (not including) today: the days that ended since the space's last stored day,
 * and those the triggers deleted (a late datapoint, a reset, a move). It is the report's own code:
 * the same statement, the same pending rows and the same lock against writers; one statement at a
 * time, so ingest keeps the rest of the pool and of PostgreSQL. The next pass starts {@code period}
 * after one ends.
 */
final class UtilizationSummaries {
  private static final Logger LOG = Logger.getLogger(UtilizationSummaries.class.getName());

  /** Spaces per page, and so per statement at most: the memory of one chunk stays small. */
  static final int SPACES_PER_STATEMENT = 100;

  private final Vertx vertx;
  private final Pool pool;
  private final Utilization utilization;
  private final Clock clock;
  private final int days;
  private long periodMs;
  private long timer = -1;
  private boolean running;
  private boolean stopped;

  UtilizationSummaries(Vertx vertx, Pool pool, Utilization utilization, Clock clock, int days) {
    this.vertx = vertx;
    this.pool = pool;
    this.utilization = utilization;
    this.clock = clock;
    this.days = days;
  }

  /** Runs a pass now, then one every {@code periodMs} after the last one ended. */
  void start(long periodMs) {
    this.periodMs = periodMs;
    running = true;
    stopped = false;
    next(0);
  }

  /** No new pass, nor a new page of the one under way. */
  void stop() {
    running = false;
    stopped = true;
    vertx.cancelTimer(timer);
  }

  private void next(long delayMs) {
    if (!running) {
      return;
    }
    timer =
        vertx.setTimer(
            Math.max(1, delayMs),
            id -> {
              long started = System.nanoTime();
              pass()
                  .onComplete(
                      result -> {
                        if (result.failed()) {
                          LOG.log(
                              Level.WARNING,
                              "storing utilization days failed; again in "
                                  + periodMs / 60_000
                                  + " min",
                              result.cause());
                        } else if (result.result() > 0) {
                          LOG.info(
                              String.format(
                                  "stored %d utilization days in %.1f s",
                                  result.result(), (System.nanoTime() - started) / 1e9));
                        }
                        next(periodMs);
                      });
            });
  }

  /** One pass over every space: the number of days stored. */
  Future<Integer> pass() {
    return pageAfter("", 0);
  }

  private Future<Integer> pageAfter(String after, int storedSoFar) {
    return pool.preparedQuery(Statements.SPACES_AFTER)
        .execute(Tuple.of(after, SPACES_PER_STATEMENT))
        .compose(
            rows -> {
              if (rows.size() == 0) {
                return Future.succeededFuture(storedSoFar);
              }
              Map<String, List<String>> byZone = new LinkedHashMap<>();
              String last = after;
              for (Row r : rows) {
                last = r.getString("id");
                byZone.computeIfAbsent(r.getString("time_zone"), z -> new ArrayList<>()).add(last);
              }
              Future<Integer> page = Future.succeededFuture(storedSoFar);
              for (Map.Entry<String, List<String>> e : byZone.entrySet()) {
                LocalDate today = LocalDate.now(clock.withZone(ZoneId.of(e.getKey())));
                page =
                    page.compose(
                        n ->
                            utilization
                                .storeMissing(e.getValue(), e.getKey(), today.minusDays(days), days)
                                .map(stored -> n + stored));
              }
              String next = last;
              boolean more = rows.size() == SPACES_PER_STATEMENT;
              return page.compose(
                  n -> more && !stopped ? pageAfter(next, n) : Future.succeededFuture(n));
            });
  }
}
