package io.density.persistence.intake;

import static io.density.persistence.store.Statements.UNCOUNTED_BATCHES;

import io.density.bus.Failure;
import io.density.config.DensityConfig;
import io.density.persistence.counting.BatchCounting;
import io.density.persistence.counting.Counting;
import io.density.persistence.counting.CountingBatch;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The recovery sweep: batches stored in the raw log whose counting never finished (a crash, an
 * outage of Redis or PostgreSQL, an owner out of reach) are counted again through the same
 * idempotent path, with the deployment's gate closed; when that cannot work (Redis lost its state,
 * a part its owner cannot count), the state is rebuilt from PostgreSQL instead. Runs at start,
 * every {@code ingest.recoveryIntervalMs}, and every second after a batch failed to count until
 * none is left. A batch left uncounted for {@code ingest.stalledBatchSeconds} is reported, with
 * what became of its parts.
 */
public final class Sweep {
  private static final Logger LOG = Logger.getLogger(Sweep.class.getName());

  private final Vertx vertx;
  private final Pool pool;
  private final DensityConfig.Ingest config;
  private final BatchCounting counting;

  /** Runs a task with the deployment's gate closed. */
  private final Function<Supplier<Future<Void>>, Future<Void>> drained;

  /** Rebuilds the realtime state from PostgreSQL, uncounted batches included (gate closed). */
  private final Supplier<Future<JsonObject>> rebuild;

  /** The last sweep failure logged, and when: the same one is not logged again every pass. */
  private String failureLogged;

  private long failureLoggedAt;

  /** When a stalled batch was last reported, by id. */
  private final Map<Long, Long> stallReported = new HashMap<>();

  /** The sweep running now, if any. */
  private Future<Void> sweeping;

  /** Whether a sweep is due shortly, after a batch failed to count. */
  private boolean recovering;

  Sweep(
      Vertx vertx,
      Pool pool,
      DensityConfig.Ingest config,
      BatchCounting counting,
      Function<Supplier<Future<Void>>, Future<Void>> drained,
      Supplier<Future<JsonObject>> rebuild) {
    this.vertx = vertx;
    this.pool = pool;
    this.config = config;
    this.counting = counting;
    this.drained = drained;
    this.rebuild = rebuild;
  }

  /** Whether a batch failed to count and has not been counted since (its repeats answer 503). */
  boolean recovering() {
    return recovering;
  }

  /**
   * Counts the batches committed at least minAge ago whose counting never finished (a crash, Redis
   * unreachable). The check is cheap; only when there are any does the pipeline drain for them.
   */
  public Future<Void> run(double minAgeSeconds) {
    // One sweep at a time: while the owner of a shard cannot be reached each sweep lasts the
    // parts' deadline, and sweeps queued behind each other would hold up other drained work.
    if (sweeping == null) {
      sweeping =
          sweep(minAgeSeconds)
              .eventually(
                  () -> {
                    sweeping = null;
                    return Future.succeededFuture();
                  });
    }
    return sweeping;
  }

  private Future<Void> sweep(double minAgeSeconds) {
    return uncountedBatches(minAgeSeconds)
        .compose(
            ids ->
                ids.isEmpty()
                    ? Future.<Void>succeededFuture()
                    : drained.apply(() -> countAll(minAgeSeconds)))
        .onSuccess(v -> failureLogged = null)
        .onFailure(this::failed)
        .transform(
            ar ->
                reportStalled()
                    .transform(
                        r ->
                            ar.succeeded()
                                ? Future.<Void>succeededFuture()
                                : Future.<Void>failedFuture(ar.cause())));
  }

  /**
   * A sweep that failed is logged with its cause, once: the same failure again (an outage that
   * lasts) only when the stalled batch is reported, not on every pass.
   */
  public void failed(Throwable err) {
    String what = String.valueOf(err.getMessage());
    long now = System.currentTimeMillis();
    if (what.equals(failureLogged) && now - failureLoggedAt < config.stalledBatchSeconds() * 1000) {
      LOG.log(Level.FINE, "recovery sweep failed again: " + what);
      return;
    }
    failureLogged = what;
    failureLoggedAt = now;
    String line =
        "recovery sweep failed (it tries again every "
            + config.recoveryIntervalMs()
            + " ms): "
            + what;
    // A failure an owner or the bus answered is its message; anything else comes with its trace.
    LOG.log(Level.WARNING, line, err instanceof ReplyException ? null : err);
  }

  /**
   * Reports a batch left uncounted for ingest.stalledBatchSeconds or more, once a period: its id,
   * its age, and what became of each of its parts.
   */
  private Future<Void> reportStalled() {
    return pool.preparedQuery(UNCOUNTED_BATCHES)
        .execute(Tuple.of((double) config.stalledBatchSeconds()))
        .map(
            rows -> {
              long now = System.currentTimeMillis();
              Set<Long> stalled = new HashSet<>();
              for (Row r : rows) {
                long id = r.getLong("id");
                stalled.add(id);
                Long last = stallReported.get(id);
                if (last != null && now - last < config.stalledBatchSeconds() * 1000) {
                  continue;
                }
                stallReported.put(id, now);
                LOG.warning(
                    "batch "
                        + id
                        + " is uncounted "
                        + Math.round(r.getDouble("age"))
                        + " s after its insert; batches after it wait for it; parts: "
                        + counting.describeParts(id)
                        + "; last sweep: "
                        + (failureLogged == null ? "no failure" : failureLogged));
              }
              stallReported.keySet().retainAll(stalled);
              return (Void) null;
            })
        .otherwiseEmpty();
  }

  /**
   * Counts the batches committed at least minAge ago whose counting never finished, as a task run
   * with the deployment's gate closed.
   */
  public Future<Void> countAll(double minAgeSeconds) {
    return uncountedBatches(minAgeSeconds).compose(this::countAgain);
  }

  private Future<List<Long>> uncountedBatches(double minAgeSeconds) {
    return pool.preparedQuery(UNCOUNTED_BATCHES)
        .execute(Tuple.of(minAgeSeconds))
        .map(rows -> rows.stream().map(r -> r.getLong("id")).toList());
  }

  /** Counts the batches again, part after part (each part is counted at most once in Redis). */
  private Future<Void> countAgain(List<Long> ids) {
    if (!ids.isEmpty()) {
      LOG.info(
          "counting "
              + ids.size()
              + " batch(es) stored but left uncounted (a crash or an outage interrupted them),"
              + " from batch "
              + ids.get(0));
    }
    Future<Void> chain = Future.succeededFuture();
    for (long id : ids) {
      chain =
          chain.compose(
              v ->
                  pool.preparedQuery(Statements.BATCH_DATAPOINTS)
                      .execute(Tuple.of(id))
                      .map(rows -> CountingBatch.fromRows(id, rows))
                      .compose(batch -> counting.count(id, batch)));
    }
    // The rebuild counts what is left uncounted, in SQL, and reloads Redis from the result, so no
    // batch stays behind.
    return chain.recover(
        err ->
            callsForRebuild(err, "a part of an uncounted batch")
                ? rebuild.get().mapEmpty()
                : Future.failedFuture(err));
  }

  /**
   * Whether counting failed in a way that only a rebuild mends, rather than another try: Redis lost
   * its state, or an owner cannot count a part (a fault, not an outage, so asking again would fail
   * again). The second is logged, naming {@code what} could not be counted.
   */
  static boolean callsForRebuild(Throwable err, String what) {
    if (Counting.lostRealtimeState(err)) {
      return true;
    }
    if (countingFailed(err)) {
      LOG.warning(
          what
              + " cannot be counted by its owner ("
              + err.getMessage()
              + "): the uncounted batches are counted from PostgreSQL and Redis reloaded");
      return true;
    }
    return false;
  }

  /** Whether an owner answered that counting a part failed for good (a fault, not an outage). */
  private static boolean countingFailed(Throwable err) {
    return err instanceof ReplyException re
        && re.failureType() == ReplyFailure.RECIPIENT_FAILURE
        && re.failureCode() == Failure.COUNTING_FAILED;
  }

  /**
   * Counts batches whose counting failed as soon as it can again: every second until none is left,
   * so counts are exact within about a second of Redis's (or PostgreSQL's) return.
   */
  void soon() {
    if (recovering) {
      return;
    }
    recovering = true;
    vertx
        .timer(1000)
        .compose(v -> run(0.0))
        .onComplete(
            ar -> {
              recovering = false;
              if (ar.failed()) {
                soon();
              }
            });
  }
}
