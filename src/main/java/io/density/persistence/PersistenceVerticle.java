package io.density.persistence;

import static io.density.persistence.store.Statements.INSTANCE_ID;
import static io.density.persistence.store.Statements.OLDEST_UNCOUNTED_BATCH;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.bus.Nearest;
import io.density.cluster.Leadership;
import io.density.config.DensityConfig;
import io.density.db.Connections;
import io.density.db.SqlStates;
import io.density.ingest.DatapointBatch;
import io.density.persistence.counting.Counting;
import io.density.persistence.counting.PartCodec;
import io.density.persistence.counting.ShardOwnership;
import io.density.persistence.intake.GroupCommit;
import io.density.persistence.rederive.IdleResets;
import io.density.persistence.rederive.Reattribution;
import io.density.persistence.rederive.Rebuild;
import io.density.persistence.rederive.Replays;
import io.density.persistence.rederive.Resets;
import io.density.persistence.rederive.Retention;
import io.density.persistence.store.Claims;
import io.density.persistence.store.CountEvents;
import io.density.persistence.store.Partitions;
import io.density.persistence.store.WalFlush;
import io.density.telemetry.Metrics;
import io.density.time.Timestamps;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A writer of PostgreSQL. Every persistence verticle of a deployment takes ingest requests: group
 * commit of datapoints ({@link GroupCommit}), whose parts are counted by the owners of their
 * counting shards, which the verticles share out among themselves ({@link ShardOwnership}). One of
 * them, the {@link Leadership} holder, also does the work that re-derives counts — recounts after
 * moved links ({@link Reattribution}), resets ({@link Resets}), rebuilds of the realtime state
 * ({@link Rebuild}) and replays of the raw log ({@link Replays}), retention ({@link Retention}) —
 * each of which runs with the deployment's gate closed ({@link Claims}), and a periodic sweep that
 * counts batches whose counting was interrupted.
 *
 * <p>Config: {@code {postgres, ingest, egress}} slices. Requests to the counter go to this node's
 * when it has one ({@link io.density.bus.Nearest}).
 */
public final class PersistenceVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(PersistenceVerticle.class.getName());

  /** The advisory lock whose holder re-derives counts ("dens" + 1). */
  private static final long LEADER_LOCK = 0x64656e73L + 1;

  private DensityConfig.Ingest config;
  private Pool pool;

  /** Commits without waiting for the WAL flush, for counting's derived rows (WalFlush). */
  private Pool derived;

  private WalFlush flush;

  private Leadership leadership;
  private Claims claims;
  private ShardOwnership ownership;
  private MessageConsumer<DatapointBatch> ingest;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private final List<Long> timers = new ArrayList<>();
  private GroupCommit groupCommit;
  private Reattribution reattribution;
  private Replays replays;
  private Resets resets;
  private IdleResets idleResets;
  private Retention retention;
  private String instanceId;

  /** The oldest batch stored but not counted (-1: none), and its age in seconds, as last read. */
  private long oldestUncounted = -1;

  private double oldestUncountedAge;

  @Override
  public Future<?> start() {
    PartCodec.register(vertx);
    config = config().getJsonObject("ingest").mapTo(DensityConfig.Ingest.class);
    DensityConfig.Postgres postgres =
        config().getJsonObject("postgres").mapTo(DensityConfig.Postgres.class);
    pool = Connections.writer(vertx, postgres);
    derived = Connections.derivedState(vertx, postgres);
    flush = new WalFlush(vertx, pool);
    boolean egress =
        config().getJsonObject("egress", new JsonObject()).mapTo(DensityConfig.Egress.class).on();
    CountEvents events = new CountEvents(vertx, flush, egress);
    claims = new Claims(vertx, postgres.url(), () -> ownership.lost());
    ownership =
        new ShardOwnership(
            vertx,
            claims,
            config.countingShards(),
            config.partTimeoutMs(),
            config.leaderUnreachableMs(),
            () -> leadership != null && leadership.leading(),
            () ->
                new Counting(
                    vertx,
                    derived,
                    events,
                    config.outOfOrderWindowMs(),
                    config.correctionDelayMs()));
    idleResets = new IdleResets(vertx, pool, events, ownership, config.countingShards());
    Partitions partitions = new Partitions(pool);
    groupCommit =
        new GroupCommit(
            vertx,
            pool,
            derived,
            flush,
            partitions,
            new Rebuild(vertx, pool, events),
            config,
            claims,
            ownership);
    retention = new Retention(pool, partitions, config.retentionDays());
    reattribution = new Reattribution(vertx, pool, events);
    replays = new Replays(vertx, reattribution, groupCommit::drained, groupCommit::rebuild);
    resets = new Resets(vertx, pool, events);
    // One persistence verticle in a deployment does the work that re-derives counts (and inserts
    // datapoints, unless every node inserts its own).
    leadership =
        new Leadership(
            vertx, postgres.url(), LEADER_LOCK, "re-deriving counts", this::lead, this::stepDown);
    Gauge.builder("density_leader", () -> leadership.leading() ? 1 : 0)
        .tag("job", "re-deriving counts")
        .description("1 where this node leads the job")
        .register(Metrics.of(vertx));
    Gauge.builder("density_uncounted_batch_oldest_seconds", () -> oldestUncountedAge)
        .description(
            "age of the oldest batch stored but not counted (0: none); batches are counted in"
                + " order, so one that stays holds up every later one")
        .register(Metrics.of(vertx));
    // Every node reads it (not only the leader), so each node's metric and readiness tell.
    vertx.setPeriodic(config.recoveryIntervalMs(), config.recoveryIntervalMs(), id -> readOldest());
    vertx.eventBus().<JsonObject>consumer(Addresses.COUNTING_STATUS, this::countingStatus);
    Future<Void> taking = Future.succeededFuture();
    if (config.everyNodeInserts()) {
      ingest = vertx.eventBus().consumer(Addresses.INGEST, this::ingest);
      taking = ingest.completion();
    }
    Future<Void> ready = taking;
    return flush
        .start()
        .compose(v -> ownership.start())
        .onSuccess(v -> idleResets.start(config.dailyResetCheckMs()))
        .compose(v -> ready)
        .compose(v -> leadership.start());
  }

  /** Loads or checks the realtime state, then takes requests and starts the periodic work. */
  private Future<Void> lead() {
    timers.add(
        vertx.setPeriodic(config.recoveryIntervalMs(), config.recoveryIntervalMs(), id -> sweep()));
    timers.add(
        vertx.setPeriodic(
            config.dailyResetCheckMs(),
            config.dailyResetCheckMs(),
            id ->
                resets
                    .anyDue()
                    .compose(
                        due ->
                            due ? groupCommit.drained(resets::writeDue) : Future.succeededFuture())
                    .onFailure(err -> LOG.log(Level.WARNING, "writing daily resets failed", err))));
    if (retention.enabled()) {
      timers.add(
          vertx.setPeriodic(
              config.retentionCheckMs(),
              id ->
                  groupCommit
                      .drained(retention::run)
                      .onFailure(err -> LOG.log(Level.WARNING, "retention failed", err))));
    }
    var bus = vertx.eventBus();
    if (!config.everyNodeInserts()) {
      ingest = bus.consumer(Addresses.INGEST, this::ingest);
      consumers.add(ingest);
    }
    consumers.add(bus.<JsonObject>consumer(Addresses.LEADER_PING, m -> m.reply(new JsonObject())));
    consumers.add(bus.consumer(Addresses.REBUILD, this::rebuildRequest));
    consumers.add(bus.consumer(Addresses.REATTRIBUTE, this::reattributeRequest));
    consumers.add(bus.consumer(Addresses.RESET, this::resetRequest));
    consumers.add(bus.consumer(Addresses.SPACE_RULES, this::rulesRequest));
    consumers.add(bus.consumer(Addresses.REPLAY, this::replayRequest));
    consumers.add(bus.consumer(Addresses.REPLAY_STATUS, this::replayStatusRequest));
    consumers.add(bus.consumer(Addresses.RETENTION, this::retentionRequest));
    return groupCommit
        .drained(this::prepareRealtime)
        .compose(v -> Future.join(consumers.stream().map(c -> c.completion()).toList()))
        .mapEmpty();
  }

  /** The lead is lost: another verticle may re-derive counts now, so this one stops doing so. */
  private void stepDown() {
    timers.forEach(vertx::cancelTimer);
    timers.clear();
    consumers.forEach(MessageConsumer::unregister);
    consumers.clear();
  }

  @Override
  public Future<?> stop() {
    timers.forEach(vertx::cancelTimer);
    idleResets.stop();
    // Everything taken is answered, then the shards are handed over; the lead goes last.
    Future<Void> stopTaking = ingest == null ? Future.succeededFuture() : ingest.unregister();
    return stopTaking
        .transform(v -> groupCommit.idle())
        .transform(v -> ownership.stop())
        .transform(v -> claims.close())
        .eventually(() -> derived.close())
        .eventually(() -> pool.close())
        .eventually(leadership::stop);
  }

  /** A {@link DatapointBatch} → {@code {results: ["accepted"|"duplicate"]}}. */
  private void ingest(Message<DatapointBatch> message) {
    groupCommit
        .offer(message.body().items())
        .onSuccess(results -> message.reply(new JsonObject().put("results", results)))
        .onFailure(
            err ->
                message.reply(
                    err instanceof ReplyException re
                        ? re
                        : Failure.unavailable("storage unavailable: " + err.getMessage())));
  }

  // ------------------------------------------------------------------ recovery

  /** Reads the oldest uncounted batch, for the metric and the readiness check. */
  private void readOldest() {
    pool.query(OLDEST_UNCOUNTED_BATCH)
        .execute()
        .onSuccess(
            rows -> {
              if (rows.size() == 0) {
                oldestUncounted = -1;
                oldestUncountedAge = 0;
              } else {
                oldestUncounted = rows.iterator().next().getLong("id");
                oldestUncountedAge = rows.iterator().next().getDouble("age");
              }
            })
        .onFailure(err -> LOG.log(Level.FINE, "reading the oldest uncounted batch failed", err));
  }

  /** {@code {}} → whether counting is stalled: a batch uncounted for stalledBatchSeconds. */
  private void countingStatus(Message<JsonObject> message) {
    JsonObject status =
        new JsonObject()
            .put(
                "stalled",
                oldestUncounted >= 0 && oldestUncountedAge >= config.stalledBatchSeconds())
            .put("stalled_after_seconds", config.stalledBatchSeconds());
    if (oldestUncounted >= 0) {
      status
          .put("oldest_uncounted_batch", oldestUncounted)
          .put("age_seconds", Math.round(oldestUncountedAge));
    }
    message.reply(status);
  }

  /**
   * At start: load Redis from PostgreSQL if it holds no state, or one built from another database;
   * then finish leftover batches. Runs alone.
   */
  private Future<Void> prepareRealtime() {
    return realtimeCurrent(60)
        .compose(
            current ->
                current
                    ? groupCommit.sweep().countAll(0.0)
                    : groupCommit.rebuild().<Void>mapEmpty());
  }

  /**
   * The periodic sweep: rebuilds the realtime state when Redis lost it (restarted empty) even if no
   * datapoint arrives to find out, else counts batches whose counting was interrupted.
   */
  private void sweep() {
    realtimeCurrent(1)
        .compose(
            current ->
                current
                    ? groupCommit.sweep().run(config.recoveryIntervalMs() / 1000.0)
                    : groupCommit.drained(this::rebuildUnlessCurrent).<Void>mapEmpty())
        // Logged once per distinct failure (the recovery of uncounted batches has logged its own).
        .onFailure(groupCommit.sweep()::failed);
  }

  /**
   * A rebuild, unless the state is current by the time the sweep runs alone: a batch that found
   * Redis empty too may have had it rebuilt meanwhile, and a second rebuild would take the state
   * away from queries again for nothing.
   */
  private Future<Void> rebuildUnlessCurrent() {
    return realtimeCurrent(1)
        .compose(current -> current ? Future.succeededFuture() : groupCommit.rebuild().mapEmpty());
  }

  /** Whether Redis holds a realtime state built from this database. */
  private Future<Boolean> realtimeCurrent(int attempts) {
    return Future.all(instanceId(), counterStatus(attempts))
        .map(
            all -> {
              Message<JsonObject> status = all.resultAt(1);
              return all.<String>resultAt(0).equals(status.body().getString("instance"));
            });
  }

  /** This database's identity, read once: the periodic sweep compares it every time. */
  private Future<String> instanceId() {
    if (instanceId != null) {
      return Future.succeededFuture(instanceId);
    }
    return pool.query(INSTANCE_ID)
        .execute()
        .map(rows -> instanceId = rows.iterator().next().getString("id"));
  }

  /** The counter's status; a counter on another node may still be starting: ask again. */
  private Future<Message<JsonObject>> counterStatus(int attempts) {
    return Nearest.<JsonObject>request(
            vertx,
            Addresses.COUNTER_STATUS,
            new JsonObject(),
            new DeliveryOptions().setSendTimeout(5_000))
        .recover(
            err -> {
              if (attempts <= 1) {
                return Future.failedFuture(err);
              }
              return vertx.timer(500).compose(v -> counterStatus(attempts - 1));
            });
  }

  // ------------------------------------------------------------------ requests that run alone

  /** {@code {}} → the rebuild's summary. */
  private void rebuildRequest(Message<JsonObject> message) {
    runAlone(message, groupCommit::rebuild);
  }

  /** {@code {dpu_id, since (µs)}}: the DPU's links changed from that instant on. */
  private void reattributeRequest(Message<JsonObject> message) {
    String dpu = message.body().getString("dpu_id");
    OffsetDateTime since = Timestamps.toOffsetDateTime(message.body().getLong("since"));
    runAlone(
        message,
        () ->
            reattribution
                .dpu(dpu, since)
                .map(spaces -> new JsonObject().put("spaces_recounted", spaces)));
  }

  /**
   * {@code {from?, to? (µs), async?}}: derived state rebuilt from the raw log for datapoints in
   * [from, to) (everything without bounds), by {@link Replays}. The answer is the summary once
   * done, or with {@code async} the replay's progress at once.
   */
  private void replayRequest(Message<JsonObject> message) {
    JsonObject body = message.body();
    Replays.Replay replay = replays.start(body.getLong("from"), body.getLong("to"));
    if (body.getBoolean("async", false)) {
      message.reply(replay.toJson());
    } else {
      answer(message, replay.done());
    }
  }

  /** {@code {id?}}: a replay's progress, or the recent ones'. */
  private void replayStatusRequest(Message<JsonObject> message) {
    answer(message, replays.status(message.body()));
  }

  /** {@code {}}: history older than the retention period dropped now. */
  private void retentionRequest(Message<JsonObject> message) {
    runAlone(message, retention::run);
  }

  /** {@code {space_id, timestamp (µs), count}}: an explicit reset. */
  private void resetRequest(Message<JsonObject> message) {
    JsonObject body = message.body();
    OffsetDateTime ts = Timestamps.toOffsetDateTime(body.getLong("timestamp"));
    runAlone(
        message, () -> resets.explicit(body.getString("space_id"), ts, body.getInteger("count")));
  }

  /**
   * {@code {space_id}} or {@code {space_ids: [id]}}: the spaces' clamp, daily reset or time zone
   * changed (or they are new with a daily reset).
   */
  private void rulesRequest(Message<JsonObject> message) {
    JsonObject body = message.body();
    JsonArray ids = body.getJsonArray("space_ids", new JsonArray().add(body.getValue("space_id")));
    runAlone(
        message,
        () -> {
          Future<Void> chain = Future.succeededFuture();
          for (Object id : ids) {
            chain = chain.compose(v -> resets.rulesChanged((String) id));
          }
          return chain.map(new JsonObject().put("spaces", ids.size()));
        });
  }

  /** A reset of a space that does not exist (a path's id, so 404). */
  private static final Map<String, ReplyException> UNKNOWN_SPACE =
      Map.of("space_reset_space_id_fkey", Failure.notFound("unknown space"));

  /** Runs a request's task once the ingest pipeline is drained, and answers with its result. */
  private void runAlone(Message<JsonObject> message, Supplier<Future<JsonObject>> task) {
    answer(message, groupCommit.drained(task));
  }

  private static void answer(Message<JsonObject> message, Future<JsonObject> result) {
    result
        .onSuccess(message::reply)
        .onFailure(err -> message.reply(SqlStates.failure(err, "persistence", UNKNOWN_SPACE)));
  }
}
