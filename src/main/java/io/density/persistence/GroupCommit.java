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
 * Group commit of datapoints, in two stages. Requests queue up; one insert at a time writes
 * everything queued (up to maxBatch) to the raw log in one statement — the durability point — and
 * the batch then waits in the lane to be counted, while the next insert already runs. Every request
 * of a batch is answered once the batch is counted (or, if counting fails, once it is committed: it
 * stays uncounted for the recovery sweep).
 *
 * <p>Work that re-derives counts from the tables ({@link #drained}) first lets the pipeline empty:
 * no insert starts, and every committed batch is counted, before it runs.
 */
final class GroupCommit {
  private static final Logger LOG = Logger.getLogger(GroupCommit.class.getName());

  /** Batches committed and waiting to be counted, at most; more inserts wait. */
  private static final int MAX_UNCOUNTED = 2;

  /** One ingest request waiting for its batch. */
  private record Pending(List<Datapoint> items, Promise<JsonArray> result) {}

  private final Vertx vertx;
  private final Pool pool;
  private final Lane lane;
  private final Counting counting;
  private final Partitions partitions;
  private final DensityConfig.Ingest config;

  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private int queuedItems;
  private long lingerTimer = -1;
  private boolean inserting;
  private int uncounted;
  private int draining;
  private final List<Promise<Void>> insertIdle = new ArrayList<>();

  GroupCommit(
      Vertx vertx,
      Pool pool,
      Lane lane,
      Counting counting,
      Partitions partitions,
      DensityConfig.Ingest config) {
    this.vertx = vertx;
    this.pool = pool;
    this.lane = lane;
    this.counting = counting;
    this.partitions = partitions;
    this.config = config;
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

  /** Runs a task in the lane once no insert runs and every committed batch is counted. */
  <T> Future<T> drained(Supplier<Future<T>> task) {
    draining++;
    return insertFinished()
        .compose(v -> lane.run(task))
        .eventually(
            () -> {
              draining--;
              insertNext();
              return Future.succeededFuture();
            });
  }

  private Future<Void> insertFinished() {
    if (!inserting) {
      return Future.succeededFuture();
    }
    Promise<Void> idle = Promise.promise();
    insertIdle.add(idle);
    return idle.future();
  }

  private void insertNext() {
    if (inserting || draining > 0 || uncounted >= MAX_UNCOUNTED || queue.isEmpty()) {
      return;
    }
    List<Pending> taken = new ArrayList<>();
    int size = 0;
    while (!queue.isEmpty()
        && (size == 0 || size + queue.peek().items.size() <= config.maxBatch())) {
      Pending p = queue.poll();
      taken.add(p);
      size += p.items.size();
    }
    queuedItems -= size;
    inserting = true;
    insert(taken, size)
        .onComplete(
            ar -> {
              inserting = false;
              insertIdle.forEach(Promise::complete);
              insertIdle.clear();
              insertNext();
            });
  }

  /** Inserts the batch; once committed, queues its counting in the lane. */
  private Future<Void> insert(List<Pending> taken, int size) {
    List<Datapoint> all = new ArrayList<>(size);
    taken.forEach(p -> all.addAll(p.items));
    return partitions
        .ensure(all)
        .transform(
            ar -> {
              if (ar.failed()) {
                fail(taken, ar.cause());
                return Future.<Void>succeededFuture();
              }
              return insertBatch(taken, size);
            });
  }

  private static void fail(List<Pending> taken, Throwable cause) {
    LOG.log(Level.WARNING, "writing a batch of datapoints failed", cause);
    ReplyException failure = Failure.unavailable("storage unavailable, nothing was stored: retry");
    taken.forEach(p -> p.result.fail(failure));
  }

  private Future<Void> insertBatch(List<Pending> taken, int size) {
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
        .onFailure(err -> fail(taken, err))
        .onSuccess(rows -> countLater(rows, taken, firstSeen))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  private void countLater(RowSet<Row> rows, List<Pending> taken, Map<String, Integer> firstSeen) {
    long batchId = rows.iterator().next().getLong("batch_id");
    CountingBatch batch = CountingBatch.fromRows(batchId, rows);
    uncounted++;
    lane.run(() -> counting.count(batch))
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
