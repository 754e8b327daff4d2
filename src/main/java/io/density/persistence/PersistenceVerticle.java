package io.density.persistence;

import io.density.Addresses;
import io.density.Failure;
import io.density.config.DensityConfig;
import io.density.db.Connections;
import io.density.db.Sql;
import io.density.ingest.Datapoint;
import io.density.ingest.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
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
 * Group commit of datapoints. Requests queue up; one flush at a time writes everything queued to
 * the raw log in one statement (the durability point), has the counter apply the new ones to Redis,
 * stores their counts in {@code space_count}, and only then answers every request of the batch. A
 * batch whose counting did not finish stays in {@code uncounted_batch} and is finished by a
 * periodic recovery sweep; if Redis lost its state the realtime state is rebuilt from PostgreSQL.
 *
 * <p>Config: {@code {postgres, ingest}} slices.
 */
public final class PersistenceVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(PersistenceVerticle.class.getName());
  private static final String FOREIGN_KEY_VIOLATION = "23503";

  /** One ingest request waiting for its batch to commit. */
  private record Pending(List<Datapoint> items, Promise<JsonArray> result) {}

  private DensityConfig.Ingest config;
  private Pool pool;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private int queuedItems;
  private boolean flushQueued;
  private long lingerTimer = -1;
  private Future<Void> lane = Future.succeededFuture();
  private JsonArray forget = new JsonArray();
  private Rebuild rebuild;
  private Reattribution reattribution;
  private Resets resets;

  @Override
  public Future<?> start() {
    config = config().getJsonObject("ingest").mapTo(DensityConfig.Ingest.class);
    pool =
        Connections.postgres(
            vertx, config().getJsonObject("postgres").mapTo(DensityConfig.Postgres.class));
    rebuild = new Rebuild(vertx, pool);
    reattribution = new Reattribution(vertx, pool);
    resets = new Resets(vertx, pool);
    vertx.setPeriodic(
        config.recoveryIntervalMs(),
        config.recoveryIntervalMs(),
        id -> exclusive(() -> recoverUncounted(config.recoveryIntervalMs() / 1000.0)));
    vertx.setPeriodic(
        config.dailyResetCheckMs(),
        config.dailyResetCheckMs(),
        id ->
            exclusive(resets::writeDue)
                .onFailure(err -> LOG.log(Level.WARNING, "writing daily resets failed", err)));
    var bus = vertx.eventBus();
    return exclusive(this::prepareRealtime)
        .compose(
            v ->
                Future.join(
                    List.of(
                        bus.consumer(Addresses.INGEST, this::ingest).completion(),
                        bus.consumer(Addresses.REBUILD, this::rebuildRequest).completion(),
                        bus.consumer(Addresses.REATTRIBUTE, this::reattributeRequest).completion(),
                        bus.consumer(Addresses.RESET, this::resetRequest).completion(),
                        bus.consumer(Addresses.SPACE_RULES, this::rulesRequest).completion(),
                        bus.consumer(Addresses.REPLAY, this::replayRequest).completion())));
  }

  @Override
  public Future<?> stop() {
    return lane.eventually(() -> pool.close());
  }

  // ------------------------------------------------------------------ ingest

  private void ingest(Message<JsonObject> message) {
    try {
      enqueue(message);
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "ingest request refused", e);
      message.reply(Failure.unavailable("ingest failed: " + e.getMessage()));
    }
  }

  private void enqueue(Message<JsonObject> message) {
    JsonArray items = message.body().getJsonArray("items");
    if (queuedItems + items.size() > config.maxPending()) {
      message.reply(Failure.of(Failure.OVERLOADED, null, "ingest queue is full, retry shortly"));
      return;
    }
    List<Datapoint> datapoints = new ArrayList<>(items.size());
    for (Object item : items) {
      datapoints.add(Datapoint.fromJson((JsonObject) item));
    }
    Promise<JsonArray> result = Promise.promise();
    queue.add(new Pending(datapoints, result));
    queuedItems += datapoints.size();
    result
        .future()
        .onSuccess(r -> message.reply(new JsonObject().put("results", r)))
        .onFailure(
            err ->
                message.reply(
                    err instanceof ReplyException re
                        ? re
                        : Failure.unavailable("storage unavailable: " + err.getMessage())));
    if (queuedItems >= config.maxBatch()) {
      scheduleFlush();
    } else if (lingerTimer < 0) {
      lingerTimer =
          vertx.setTimer(
              config.lingerMs(),
              id -> {
                lingerTimer = -1;
                scheduleFlush();
              });
    }
  }

  private void scheduleFlush() {
    if (flushQueued || queue.isEmpty()) {
      return;
    }
    flushQueued = true;
    exclusive(
            () -> {
              flushQueued = false;
              return flush();
            })
        .onComplete(ar -> scheduleFlush());
  }

  private Future<Void> flush() {
    List<Pending> taken = new ArrayList<>();
    int size = 0;
    while (!queue.isEmpty()
        && (size == 0 || size + queue.peek().items.size() <= config.maxBatch())) {
      Pending p = queue.poll();
      taken.add(p);
      size += p.items.size();
    }
    queuedItems -= size;
    if (taken.isEmpty()) {
      return Future.succeededFuture();
    }

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
        .transform(
            ar -> {
              if (ar.failed()) {
                LOG.log(
                    Level.WARNING,
                    "writing a batch of " + distinct + " datapoints failed",
                    ar.cause());
                ReplyException failure =
                    Failure.unavailable("storage unavailable, nothing was stored: retry");
                taken.forEach(p -> p.result.fail(failure));
                return Future.succeededFuture();
              }
              RowSet<Row> rows = ar.result();
              long batchId = rows.iterator().next().getLong("batch_id");
              CountingBatch batch = CountingBatch.fromRows(batchId, rows);
              // Committed: every datapoint is durable. Counting comes next; if it fails the
              // batch stays uncounted for the recovery sweep, and the answer is still success.
              return count(batch)
                  .recover(
                      err -> {
                        LOG.log(Level.WARNING, "counting batch " + batchId + " deferred", err);
                        return Future.succeededFuture();
                      })
                  .onComplete(v -> answer(taken, firstSeen, batch));
            })
        .mapEmpty();
  }

  private void answer(List<Pending> taken, Map<String, Integer> firstSeen, CountingBatch batch) {
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

  /** Applies a committed batch to Redis, then stores its counts and closes it. Runs in the lane. */
  private Future<Void> count(CountingBatch batch) {
    if (batch.isEmpty()) {
      return storeCounts(batch, List.of(), new JsonArray());
    }
    JsonArray forgetNow = forget;
    forget = new JsonArray();
    return vertx
        .eventBus()
        .<JsonObject>request(Addresses.COUNTER_APPLY, batch.counterRequest(forgetNow))
        .onFailure(err -> forget.addAll(forgetNow))
        .compose(
            reply ->
                storeCounts(
                    batch,
                    reply.body().getJsonArray("counts").getList(),
                    reply.body().getJsonArray("late")))
        .onSuccess(v -> forget.add(batch.batchId))
        .recover(
            err ->
                // Redis lost its state: rebuild it now, still inside this lane, so the batch is
                // answered only once it is counted (the rebuild counts uncounted batches).
                err instanceof ReplyException re && re.getMessage().contains("NOTBUILT")
                    ? rebuild.run().onSuccess(v -> forget = new JsonArray()).mapEmpty()
                    : Future.failedFuture(err));
  }

  /**
   * Stores the counts of a batch and closes it. Spaces that got effects out of contract order are
   * recounted from their earliest late effect in the same transaction, and their reconciled counts
   * replace the provisional ones in Redis. Flushes run one at a time, so no other batch can change
   * those spaces in between.
   */
  private Future<Void> storeCounts(CountingBatch batch, List<?> counts, JsonArray late) {
    int m = batch.effects.size();
    String[] space = new String[m];
    OffsetDateTime[] ts = new OffsetDateTime[m];
    Short[] delta = new Short[m];
    Long[] datapoint = new Long[m];
    Integer[] count = new Integer[m];
    for (int i = 0; i < m; i++) {
      CountingBatch.Effect e = batch.effects.get(i);
      space[i] = e.spaceId();
      ts[i] = Timestamps.toOffsetDateTime(e.ts());
      delta[i] = (short) e.delta();
      datapoint[i] = e.datapointId();
      count[i] = ((Number) counts.get(i)).intValue();
    }
    Tuple insert = Tuple.of(batch.batchId, space, ts, delta, datapoint, count);
    if (late.isEmpty()) {
      return pool.preparedQuery(Sql.INSERT_COUNTS).execute(insert).mapEmpty();
    }
    Recounts recounts = new Recounts();
    for (Object o : late) {
      JsonArray l = (JsonArray) o;
      recounts.add(l.getString(0), Timestamps.toOffsetDateTime(Long.parseLong(l.getString(1))));
    }
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(Sql.INSERT_COUNTS)
                    .execute(insert)
                    .compose(v -> recounts.run(conn)))
        .compose(heads -> Recounts.publish(vertx, heads));
  }

  // ------------------------------------------------------------------ recovery

  /**
   * At start: load Redis from PostgreSQL if it holds no state, or one built from another database;
   * then finish leftover batches.
   */
  private Future<Void> prepareRealtime() {
    return Future.all(
            pool.query(Sql.INSTANCE_ID).execute(),
            vertx.eventBus().<JsonObject>request(Addresses.COUNTER_STATUS, new JsonObject()))
        .compose(
            all -> {
              RowSet<Row> instance = all.resultAt(0);
              Message<JsonObject> status = all.resultAt(1);
              boolean current =
                  instance
                      .iterator()
                      .next()
                      .getString("id")
                      .equals(status.body().getString("instance"));
              return current ? recoverUncounted(0.0) : rebuild.run().mapEmpty();
            });
  }

  /** Counts the batches committed at least minAge ago whose counting never finished. */
  private Future<Void> recoverUncounted(double minAgeSeconds) {
    return pool.preparedQuery(Sql.UNCOUNTED_BATCHES)
        .execute(Tuple.of(minAgeSeconds))
        .compose(
            ids -> {
              Future<Void> chain = Future.succeededFuture();
              for (Row row : ids) {
                long id = row.getLong("id");
                chain =
                    chain.compose(
                        v ->
                            pool.preparedQuery(Sql.BATCH_DATAPOINTS)
                                .execute(Tuple.of(id))
                                .compose(rows -> count(CountingBatch.fromRows(id, rows))));
              }
              return chain;
            })
        .onFailure(err -> LOG.log(Level.WARNING, "recovery sweep failed", err));
  }

  // ------------------------------------------------------------------ requests run in the lane

  /** {@code {}} → the rebuild's summary. */
  private void rebuildRequest(Message<JsonObject> message) {
    inLane(message, () -> rebuild.run().onSuccess(v -> forget = new JsonArray()));
  }

  /** {@code {dpu_id, since (µs)}}: the DPU's links changed from that instant on. */
  private void reattributeRequest(Message<JsonObject> message) {
    String dpu = message.body().getString("dpu_id");
    OffsetDateTime since = Timestamps.toOffsetDateTime(message.body().getLong("since"));
    inLane(
        message,
        () ->
            reattribution
                .dpu(dpu, since)
                .map(spaces -> new JsonObject().put("spaces_recounted", spaces)));
  }

  /**
   * {@code {from?, to? (µs)}}: derived state rebuilt from the raw log for datapoints in [from, to)
   * (everything without bounds): effects attributed again, every space recounted from {@code from},
   * then the realtime state reloaded.
   */
  private void replayRequest(Message<JsonObject> message) {
    Long from = message.body().getLong("from");
    Long to = message.body().getLong("to");
    OffsetDateTime start =
        from == null
            ? OffsetDateTime.parse("0001-01-01T00:00:00Z")
            : Timestamps.toOffsetDateTime(from);
    inLane(
        message,
        () ->
            reattribution
                .window(start, to == null ? null : Timestamps.toOffsetDateTime(to))
                .compose(
                    spaces ->
                        rebuild
                            .run()
                            .onSuccess(v -> forget = new JsonArray())
                            .map(
                                r -> r.put("result", "replayed").put("spaces_recounted", spaces))));
  }

  /** {@code {space_id, timestamp (µs), count}}: an explicit reset. */
  private void resetRequest(Message<JsonObject> message) {
    JsonObject body = message.body();
    OffsetDateTime ts = Timestamps.toOffsetDateTime(body.getLong("timestamp"));
    inLane(
        message, () -> resets.explicit(body.getString("space_id"), ts, body.getInteger("count")));
  }

  /** {@code {space_id}}: the space's clamp, daily reset or time zone changed. */
  private void rulesRequest(Message<JsonObject> message) {
    String space = message.body().getString("space_id");
    inLane(message, () -> resets.rulesChanged(space).map(new JsonObject().put("space_id", space)));
  }

  private void inLane(Message<JsonObject> message, Supplier<Future<JsonObject>> task) {
    exclusive(task)
        .onSuccess(message::reply)
        .onFailure(
            err ->
                message.reply(
                    err instanceof PgException pg && FOREIGN_KEY_VIOLATION.equals(pg.getSqlState())
                        ? Failure.notFound("unknown space")
                        : Failure.unavailable(err.getMessage())));
  }

  /** Runs tasks one after another: flushes, recovery and rebuilds never overlap. */
  private <T> Future<T> exclusive(Supplier<Future<T>> task) {
    Future<T> result = lane.transform(ignored -> task.get());
    lane = result.transform(ignored -> Future.succeededFuture());
    return result;
  }
}
