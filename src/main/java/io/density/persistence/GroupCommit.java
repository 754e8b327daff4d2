package io.density.persistence;

import io.density.Failure;
import io.density.config.DensityConfig;
import io.density.db.Sql;
import io.density.ingest.Datapoint;
import io.density.ingest.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Group commit of datapoints, in two stages. Requests queue up; up to {@code
 * ingest.parallelInserts} inserts at a time each write what is queued (up to maxBatch) to the raw
 * log in one statement — the durability point. A committed batch is then split by counting shard
 * ({@link CountingBatch#parts}), and each part waits in its shard's lane to be counted, so parts of
 * different shards are counted in parallel while each space's changes stay in one lane. Every
 * request of a batch is answered once all its parts are counted and the batch is closed (or, if
 * counting fails, once it is committed: it stays uncounted for the recovery sweep).
 *
 * <p>Work that re-derives counts from the tables ({@link #drained}) first lets the pipeline empty:
 * no insert starts, and every committed part is counted, before it runs alone.
 */
final class GroupCommit {
  private static final Logger LOG = Logger.getLogger(GroupCommit.class.getName());

  /** One ingest request waiting for its batch. */
  private record Pending(List<Datapoint> items, Promise<JsonArray> result) {}

  /** A committed insert: its rows, and where each datapoint of the batch first stood. */
  private record Committed(RowSet<Row> rows, Map<String, Integer> firstSeen) {}

  private final Vertx vertx;
  private final Pool pool;
  private final Partitions partitions;
  private final Rebuild rebuild;
  private final DensityConfig.Ingest config;
  private final Counting[] counters;
  private final Lane[] lanes;

  /** Where drained work runs, one task at a time, while no shard lane works. */
  private final Lane alone = new Lane();

  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private int queuedItems;
  private long lingerTimer = -1;
  private int inserting;
  private int uncounted;
  private int draining;
  private final List<Promise<Void>> insertIdle = new ArrayList<>();

  /**
   * Committed batches go to the shard lanes in the order they were taken from the queue, whichever
   * insert commits first, so that parallel inserts do not make each other's effects late.
   */
  private Future<Void> countingOrder = Future.succeededFuture();

  GroupCommit(
      Vertx vertx, Pool pool, Partitions partitions, Rebuild rebuild, DensityConfig.Ingest config) {
    this.vertx = vertx;
    this.pool = pool;
    this.partitions = partitions;
    this.rebuild = rebuild;
    this.config = config;
    counters = new Counting[config.countingShards()];
    lanes = new Lane[config.countingShards()];
    for (int i = 0; i < lanes.length; i++) {
      counters[i] = new Counting(vertx, pool);
      lanes[i] = new Lane();
    }
  }

  /** Queues a request's datapoints; the future completes with a status per datapoint. */
  Future<JsonArray> offer(List<Datapoint> datapoints) {
    if (queuedItems + datapoints.size() > config.maxPending()) {
      return Future.failedFuture(
          Failure.of(Failure.OVERLOADED, null, "ingest queue is full, retry shortly"));
    }
    Promise<JsonArray> result = Promise.promise();
    queue.add(new Pending(datapoints, result));
    queuedItems += datapoints.size();
    if (queuedItems >= config.maxBatch()) {
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
    return result.future();
  }

  /**
   * Runs a task alone once no insert runs and every committed part is counted; inserts resume after
   * it.
   */
  <T> Future<T> drained(Supplier<Future<T>> task) {
    draining++;
    return insertsFinished()
        .compose(v -> countingOrder)
        .compose(v -> Future.join(Arrays.stream(lanes).map(Lane::idle).toList()))
        .transform(v -> alone.run(task))
        .eventually(
            () -> {
              draining--;
              insertNext();
              return Future.succeededFuture();
            });
  }

  /** Completes when everything queued so far has finished. */
  Future<Void> idle() {
    return drained(Future::succeededFuture);
  }

  /**
   * Rebuilds the realtime state from PostgreSQL, uncounted batches included. Only as a task of
   * {@link #drained}.
   */
  Future<JsonObject> rebuild() {
    return rebuild.run().onSuccess(v -> Arrays.stream(counters).forEach(Counting::rebuilt));
  }

  /**
   * Counts the batches committed at least minAge ago whose counting never finished (a crash, Redis
   * unreachable). The check is cheap; only when there are any does the pipeline drain for them.
   */
  Future<Void> recoverUncounted(double minAgeSeconds) {
    return uncountedBatches(minAgeSeconds)
        .compose(
            ids ->
                ids.isEmpty()
                    ? Future.<Void>succeededFuture()
                    : drained(() -> countUncounted(minAgeSeconds)))
        .onFailure(err -> LOG.log(Level.WARNING, "recovery sweep failed", err));
  }

  /** The same, as a task of {@link #drained}. */
  Future<Void> countUncounted(double minAgeSeconds) {
    return uncountedBatches(minAgeSeconds).compose(this::countAgain);
  }

  private Future<List<Long>> uncountedBatches(double minAgeSeconds) {
    return pool.preparedQuery(Sql.UNCOUNTED_BATCHES)
        .execute(Tuple.of(minAgeSeconds))
        .map(rows -> rows.stream().map(r -> r.getLong("id")).toList());
  }

  /** Counts the batches again, part after part (each part is counted at most once in Redis). */
  private Future<Void> countAgain(List<Long> ids) {
    Future<Void> chain = Future.succeededFuture();
    for (long id : ids) {
      chain =
          chain.compose(
              v ->
                  pool.preparedQuery(Sql.BATCH_DATAPOINTS)
                      .execute(Tuple.of(id))
                      .map(rows -> CountingBatch.fromRows(id, rows))
                      .compose(
                          batch -> {
                            List<CountingBatch.Part> parts = batch.parts(counters.length);
                            Future<Void> counted = Future.succeededFuture();
                            for (CountingBatch.Part part : parts) {
                              counted = counted.compose(x -> counters[part.shard()].count(part));
                            }
                            return counted.compose(x -> close(id, parts));
                          }));
    }
    // Redis lost its state: the rebuild counts what is left uncounted, in SQL.
    return chain.recover(
        err -> Counting.lostRealtimeState(err) ? rebuild().mapEmpty() : Future.failedFuture(err));
  }

  private Future<Void> close(long batchId, List<CountingBatch.Part> parts) {
    return pool.preparedQuery(Sql.CLOSE_BATCH)
        .execute(Tuple.of(batchId))
        .onSuccess(v -> parts.forEach(p -> counters[p.shard()].closed(p)))
        .mapEmpty();
  }

  private Future<Void> insertsFinished() {
    if (inserting == 0) {
      return Future.succeededFuture();
    }
    Promise<Void> idle = Promise.promise();
    insertIdle.add(idle);
    return idle.future();
  }

  private void insertNext() {
    while (inserting < config.parallelInserts()
        && draining == 0
        && uncounted < 2 * config.parallelInserts()
        && !queue.isEmpty()) {
      List<Pending> taken = new ArrayList<>();
      int size = 0;
      while (!queue.isEmpty()
          && (size == 0 || size + queue.peek().items.size() <= config.maxBatch())) {
        Pending p = queue.poll();
        taken.add(p);
        size += p.items.size();
      }
      queuedItems -= size;
      inserting++;
      Future<Committed> committed = insert(taken, size);
      countingOrder =
          countingOrder
              .transform(v -> committed)
              .compose(
                  c -> {
                    countLater(c.rows(), taken, c.firstSeen());
                    return Future.<Void>succeededFuture();
                  })
              .otherwiseEmpty();
      committed.onComplete(
          ar -> {
            inserting--;
            if (inserting == 0) {
              insertIdle.forEach(Promise::complete);
              insertIdle.clear();
            }
            insertNext();
          });
    }
  }

  /** Inserts the batch; on failure its requests are answered at once. */
  private Future<Committed> insert(List<Pending> taken, int size) {
    List<Datapoint> all = new ArrayList<>(size);
    taken.forEach(p -> all.addAll(p.items));
    return partitions
        .ensure(all)
        .compose(v -> insertBatch(taken, size))
        .onFailure(err -> fail(taken, err));
  }

  private static void fail(List<Pending> taken, Throwable cause) {
    LOG.log(Level.WARNING, "writing a batch of datapoints failed", cause);
    ReplyException failure = Failure.unavailable("storage unavailable, nothing was stored: retry");
    taken.forEach(p -> p.result.fail(failure));
  }

  private Future<Committed> insertBatch(List<Pending> taken, int size) {
    // Within the batch only the first of equal datapoints is inserted; later ones are repeats.
    String[] dpu = new String[size];
    OffsetDateTime[] ts = new OffsetDateTime[size];
    Short[] direction = new Short[size];
    String[] key = new String[size];
    OffsetDateTime[] received = new OffsetDateTime[size];
    String[] payload = new String[size];
    Map<String, Integer> firstSeen = new HashMap<>();
    int n = 0;
    int position = 0;
    for (Pending p : taken) {
      for (Datapoint d : p.items) {
        if (firstSeen.putIfAbsent(CountingBatch.key(d.dpuId(), d.dedupeKey()), position++)
            == null) {
          dpu[n] = d.dpuId();
          ts[n] = Timestamps.toOffsetDateTime(d.tsMicros());
          direction[n] = (short) d.direction();
          key[n] = d.dedupeKey();
          received[n] = Timestamps.toOffsetDateTime(d.receivedMicros());
          payload[n] = d.payload();
          n++;
        }
      }
    }
    int distinct = n;
    Tuple params =
        Tuple.of(
            Arrays.copyOf(dpu, distinct),
            Arrays.copyOf(ts, distinct),
            Arrays.copyOf(direction, distinct),
            Arrays.copyOf(key, distinct),
            Arrays.copyOf(received, distinct),
            Arrays.copyOf(payload, distinct));
    return pool.preparedQuery(Sql.INSERT_DATAPOINTS)
        .execute(params)
        .map(rows -> new Committed(rows, firstSeen));
  }

  private void countLater(RowSet<Row> rows, List<Pending> taken, Map<String, Integer> firstSeen) {
    long batchId = rows.iterator().next().getLong("batch_id");
    CountingBatch batch = CountingBatch.fromRows(batchId, rows);
    List<CountingBatch.Part> parts = batch.parts(counters.length);
    uncounted++;
    Future.join(
            parts.stream()
                .map(p -> lanes[p.shard()].run(() -> counters[p.shard()].count(p)))
                .toList())
        .transform(
            ar -> {
              if (ar.succeeded()) {
                return close(batchId, parts);
              }
              if (Counting.lostRealtimeState(ar.cause())) {
                // Redis lost its state: rebuild it now (which counts this batch in SQL), so the
                // batch is answered only once it is counted.
                return drained(this::rebuild).<Void>mapEmpty();
              }
              return Future.<Void>failedFuture(ar.cause());
            })
        .onComplete(
            ar -> {
              if (ar.failed()) {
                // Committed, so durable: the answer is success; the sweep counts it later.
                LOG.log(Level.WARNING, "counting batch " + batchId + " deferred", ar.cause());
              }
              uncounted--;
              answer(taken, firstSeen, batch);
              insertNext();
            });
  }

  private static void answer(
      List<Pending> taken, Map<String, Integer> firstSeen, CountingBatch batch) {
    int position = 0;
    for (Pending p : taken) {
      JsonArray results = new JsonArray();
      for (Datapoint d : p.items) {
        String k = CountingBatch.key(d.dpuId(), d.dedupeKey());
        boolean first = firstSeen.get(k) == position++;
        results.add(first && batch.inserted.contains(k) ? "accepted" : "duplicate");
      }
      p.result.complete(results);
    }
  }
}
