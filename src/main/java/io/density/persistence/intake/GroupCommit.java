package io.density.persistence.intake;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.config.DensityConfig;
import io.density.ingest.Datapoint;
import io.density.persistence.counting.BatchCounting;
import io.density.persistence.counting.CountingBatch;
import io.density.persistence.counting.Lane;
import io.density.persistence.counting.ShardOwnership;
import io.density.persistence.rederive.Rebuild;
import io.density.persistence.store.Claims;
import io.density.persistence.store.Partitions;
import io.density.persistence.store.WalFlush;
import io.density.telemetry.Metrics;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Group commit of datapoints, in two stages. Requests queue up ({@link IngestQueue}); up to {@code
 * ingest.parallelInserts} inserts at a time each write what is queued (up to maxBatch) to the raw
 * log in one statement ({@link RawLogInsert}) — the durability point, and the one commit of the
 * batch that waits for its WAL flush. A committed batch is then counted ({@link BatchCounting}):
 * split by counting shard, each part counted by its shard's owner, on this node or another. Every
 * request of a batch is answered once all its parts are counted; the batch is closed right after.
 * If counting fails (Redis unreachable), the batch stays uncounted and its requests are answered
 * 503; it is counted as soon as counting works again ({@link Sweep#soon}), and until then a request
 * repeating any stored datapoint is answered 503 too, so a success always means counted.
 *
 * <p>Each batch passes the deployment's gate ({@link Claims#enter}) from before its insert until
 * its parts are counted and it is closed. A request that finds no batch in flight is inserted at
 * once; one that arrives while batches are in flight waits up to {@code ingest.lingerMs} for
 * company. Work that re-derives counts ({@link #drained}) closes the gate: it runs once no batch of
 * any node is inside, and none enters until it has finished.
 */
public final class GroupCommit {
  private static final Logger LOG = Logger.getLogger(GroupCommit.class.getName());

  private static final DeliveryOptions REBUILD = new DeliveryOptions().setSendTimeout(600_000);

  private static final ReplyException NOT_COUNTED =
      Failure.unavailable(
          "stored but not counted yet (Redis or PostgreSQL unavailable): retry;"
              + " a datapoint sent again is never counted twice");

  private final Vertx vertx;
  private final Pool pool;
  private final WalFlush flush;
  private final Rebuild rebuild;
  private final DensityConfig.Ingest config;
  private final Claims claims;
  private final Counter accepted;
  private final Counter duplicates;
  private final IngestQueue queue;
  private final RawLogInsert rawLog;
  private final BatchCounting counting;
  private final Sweep sweep;

  /** Where drained work runs, one task at a time. */
  private final Lane alone = new Lane();

  private long lingerTimer = -1;
  private boolean entering;
  private int inserting;
  private int uncounted;

  /**
   * Batches counted and answered whose close waits for the corrections their parts made to earlier
   * rows to be written (docs/counting.md, "Order and reconciliation").
   */
  private int closing;

  private int draining;
  private final List<Promise<Void>> idle = new ArrayList<>();
  private Future<Void> rebuilding;

  /**
   * Committed batches are counted in the order they were taken from the queue, whichever insert
   * commits first, so that parallel inserts do not make each other's effects late.
   */
  private Future<Void> countingOrder = Future.succeededFuture();

  public GroupCommit(
      Vertx vertx,
      Pool pool,
      Pool derived,
      WalFlush flush,
      Partitions partitions,
      Rebuild rebuild,
      DensityConfig.Ingest config,
      Claims claims,
      ShardOwnership ownership) {
    this.vertx = vertx;
    this.pool = pool;
    this.flush = flush;
    this.rebuild = rebuild;
    this.config = config;
    this.claims = claims;
    String results = "density_datapoints";
    accepted = Counter.builder(results).tag("result", "accepted").register(Metrics.of(vertx));
    duplicates = Counter.builder(results).tag("result", "duplicate").register(Metrics.of(vertx));
    queue = new IngestQueue(vertx, config);
    rawLog = new RawLogInsert(vertx, pool, partitions, claims);
    counting = new BatchCounting(vertx, ownership, derived, flush, config);
    sweep = new Sweep(vertx, pool, config, counting, this::drained, this::rebuild);
  }

  /** Queues a request's datapoints; the future completes with a status per datapoint. */
  public Future<JsonArray> offer(List<Datapoint> datapoints) {
    return queue
        .add(datapoints)
        .compose(
            pending -> {
              // Waiting for company pays only while batches are in flight, whose answers bring
              // more requests: a request that finds none (the pipeline idle) is written at once.
              if (queue.full()
                  || config.lingerMs() == 0
                  || (inserting == 0 && !entering && uncounted == 0)) {
                insertNext();
              } else if (lingerTimer < 0) {
                lingerTimer =
                    vertx.setTimer(
                        config.lingerMs(),
                        id -> {
                          lingerTimer = -1;
                          insertNext();
                        });
              }
              return pending.result.future();
            });
  }

  /**
   * Runs a task with the deployment's gate closed: once no batch of any node is between its insert
   * and the end of its counting, and what they committed is flushed to the WAL (the task may take
   * it as given: a rebuild drops what Redis remembers of counted parts). Inserts resume after it.
   */
  public <T> Future<T> drained(Supplier<Future<T>> task) {
    draining++;
    claims.closing();
    return alone
        .run(() -> Claims.withGateClosed(pool, () -> flush.reached().compose(v -> task.get())))
        .eventually(
            () -> {
              draining--;
              insertNext();
              return Future.succeededFuture();
            });
  }

  /** The recovery sweep of batches left uncounted. */
  public Sweep sweep() {
    return sweep;
  }

  /** Completes when everything this verticle has queued so far is answered. */
  public Future<Void> idle() {
    Promise<Void> done = Promise.promise();
    idle.add(done);
    checkIdle();
    return done.future();
  }

  /**
   * Rebuilds the realtime state from PostgreSQL, uncounted batches included. Only as a task of
   * {@link #drained}.
   */
  public Future<JsonObject> rebuild() {
    // Every uncounted batch is counted in SQL by it: what was known of their parts is moot.
    return rebuild.run().onSuccess(r -> counting.forgetAll());
  }

  private void insertNext() {
    if (entering
        || draining > 0
        || inserting >= config.parallelInserts()
        || uncounted >= 2 * config.parallelInserts()
        || queue.isEmpty()) {
      checkIdle();
      return;
    }
    entering = true;
    claims
        .connect()
        .compose(v -> claims.enter())
        .onComplete(
            entered -> {
              entering = false;
              if (entered.succeeded() && entered.result() == null) {
                // Drained work waits for the gate or runs: try again shortly.
                vertx.setTimer(10, id -> insertNext());
                return;
              }
              if (queue.isEmpty()) {
                leaveGate(entered);
              } else {
                insertTaken(queue.take(), entered);
              }
              insertNext();
            });
  }

  /** Inserts a batch taken from the queue (inside the gate), then has it counted in order. */
  private void insertTaken(List<IngestQueue.Pending> taken, AsyncResult<Claims.Hold> entered) {
    if (entered.failed()) {
      RawLogInsert.fail(taken, entered.cause());
      return;
    }
    inserting++;
    Future<RawLogInsert.Committed> committed = rawLog.insert(taken);
    countingOrder =
        countingOrder
            .transform(v -> committed)
            .compose(
                c -> {
                  taken.forEach(p -> p.stage = IngestQueue.Stage.STORED);
                  countLater(c.rows(), taken, c.firstSeen(), entered.result());
                  return Future.<Void>succeededFuture();
                })
            .otherwiseEmpty();
    committed.onComplete(
        ar -> {
          inserting--;
          if (ar.failed()) {
            leaveGate(entered);
          }
          insertNext();
        });
  }

  private void leaveGate(AsyncResult<Claims.Hold> entered) {
    if (entered.succeeded()) {
      claims.leave(entered.result());
    }
  }

  private void checkIdle() {
    if (!entering
        && inserting == 0
        && uncounted == 0
        && closing == 0
        && queue.isEmpty()
        && !idle.isEmpty()) {
      idle.forEach(Promise::complete);
      idle.clear();
    }
  }

  private void countLater(
      RowSet<Row> rows,
      List<IngestQueue.Pending> taken,
      Map<String, Integer> firstSeen,
      Claims.Hold pass) {
    long batchId = rows.iterator().next().getLong("batch_id");
    CountingBatch batch = CountingBatch.fromRows(batchId, rows);
    uncounted++;
    counting
        .countParts(batchId, batch)
        .onSuccess(
            counted -> {
              // Counted (in Redis and in the parts' rows): the requests are answered now, and the
              // batch is closed after (unless storing the parts closed it), once the corrections
              // its parts made to earlier rows are written; the next batch need not wait for that.
              // A close lost to a crash leaves the batch to the sweep, which finds its parts
              // counted already (docs/counting.md, "Durability").
              answer(taken, firstSeen, batch);
              closing++;
              counting
                  .close(batchId, counted)
                  .onFailure(err -> deferred("closing", batchId, err))
                  .onComplete(
                      closed -> {
                        claims.leave(pass);
                        closing--;
                        checkIdle();
                      });
              uncounted--;
              insertNext();
            })
        .onFailure(
            err -> {
              claims.leave(pass); // before a rebuild, which waits for every batch to leave
              recount(batchId, err)
                  .onSuccess(v -> answer(taken, firstSeen, batch))
                  .onFailure(
                      notCounted -> {
                        // Stored but not counted: no success until it is; a resend finds it stored.
                        taken.forEach(p -> p.result.tryFail(NOT_COUNTED));
                        deferred("counting", batchId, notCounted);
                      })
                  .onComplete(
                      ar -> {
                        uncounted--;
                        insertNext();
                      });
            });
  }

  /**
   * A batch whose parts could not all be counted: counted from PostgreSQL now when asking again
   * would fail again (Redis lost its state, or an owner cannot count a part, its fault logged
   * there), answered once it is; otherwise still failed, for the recovery sweep.
   */
  private Future<Void> recount(long batchId, Throwable notCounted) {
    return Sweep.callsForRebuild(notCounted, "batch " + batchId)
        ? rebuildNow()
        : Future.failedFuture(notCounted);
  }

  /** Counting or closing a batch failed: left to the recovery sweep, soon. */
  private void deferred(String what, long batchId, Throwable cause) {
    LOG.log(
        Level.WARNING,
        what
            + " batch "
            + batchId
            + " deferred to the recovery sweep ("
            + cause.getMessage()
            + "); parts: "
            + counting.describeParts(batchId),
        cause instanceof ReplyException ? null : cause);
    sweep.soon();
  }

  /**
   * Asks the writer of derived state for a rebuild, once for every batch that finds Redis empty at
   * the same time. This batch has left the gate, which the rebuild closes.
   */
  private Future<Void> rebuildNow() {
    if (rebuilding == null) {
      rebuilding =
          vertx
              .eventBus()
              .request(Addresses.REBUILD, new JsonObject(), REBUILD)
              .<Void>mapEmpty()
              .onComplete(ar -> rebuilding = null);
    }
    return rebuilding;
  }

  private void answer(
      List<IngestQueue.Pending> taken, Map<String, Integer> firstSeen, CountingBatch batch) {
    int position = 0;
    for (IngestQueue.Pending p : taken) {
      JsonArray results = new JsonArray();
      for (Datapoint d : p.items) {
        String k = CountingBatch.key(d.dpuId(), d.dedupeKey());
        boolean first = firstSeen.get(k) == position++;
        boolean stored = first && batch.inserted(k);
        results.add(stored ? "accepted" : "duplicate");
      }
      if (sweep.recovering() && results.contains("duplicate")) {
        // A repeat of a datapoint whose batch may still wait to be counted.
        p.result.tryFail(NOT_COUNTED);
        continue;
      }
      results.forEach(r -> ("accepted".equals(r) ? accepted : duplicates).increment());
      p.result.tryComplete(results);
    }
  }
}
