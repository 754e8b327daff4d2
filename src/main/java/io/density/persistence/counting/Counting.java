package io.density.persistence.counting;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.bus.Nearest;
import io.density.persistence.rederive.IdleResets;
import io.density.persistence.rederive.Recounts;
import io.density.persistence.store.CountEvents;
import io.density.telemetry.Metrics;
import io.density.time.Timestamps;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Counts the parts of committed batches that belong to one counting shard: the counter applies a
 * part to Redis (at most once), then its counts go to {@code space_count}. Spaces that got effects
 * out of contract order are recounted from their earliest late effect in the same transaction, and
 * their reconciled heads replace the provisional ones in Redis. A part is applied in the shard's
 * lane and stored after the stores of the parts before it there, so its spaces' changes are applied
 * and stored in one order ({@link Lane}).
 */
public final class Counting {
  private static final Logger LOG = Logger.getLogger(Counting.class.getName());
  private final Vertx vertx;
  private final Pool pool;
  private final CountEvents events;
  private final Counter reconciled;
  private final Timer reconciliation;
  private final Timer correctionLag;
  private final Counter otherEffects;
  private final Counter reordered;
  private final Counter corrections;

  /** The out-of-order window in µs: how far back a space's tail in Redis reaches. */
  private final long windowMicros;

  /** How long corrections of earlier rows are held before they are written (ms). */
  private final long correctionDelayMs;

  /** The shard's corrections of earlier rows, held until written. */
  private final PendingFixes pending = new PendingFixes();

  /** Parts whose other effects were logged (the latest thousand). */
  private final Set<String> toldOtherEffects = new java.util.LinkedHashSet<>();

  /** Parts of closed batches: the counter may drop their answers with the next part. */
  private List<String> forget = new ArrayList<>();

  /**
   * {@code pool} commits without waiting for the WAL flush: everything this class writes is derived
   * from the raw log, and {@code events} holds back what is published until it is flushed.
   */
  public Counting(
      Vertx vertx, Pool pool, CountEvents events, long windowMs, long correctionDelayMs) {
    this.vertx = vertx;
    this.windowMicros = windowMs * 1000;
    this.correctionDelayMs = correctionDelayMs;
    this.pool = pool;
    this.events = events;
    this.reconciled =
        Counter.builder("density_reconciled_spaces")
            .description(
                "spaces recounted in PostgreSQL after effects arrived out of order, before their"
                    + " tail in Redis")
            .register(Metrics.of(vertx));
    this.reordered =
        Counter.builder("density_reordered_spaces")
            .description(
                "spaces whose effects arrived out of order within the window: derived again in"
                    + " their tail in Redis, corrected in the part's own statement, no recount")
            .register(Metrics.of(vertx));
    this.corrections =
        Counter.builder("density_tail_corrections")
            .description(
                "rows of space_count corrected because an effect was placed before them in their"
                    + " space's tail, each one row update (a row corrected by several parts within"
                    + " ingest.correctionDelayMs is written once): what out-of-order arrival within"
                    + " the window costs PostgreSQL")
            .register(Metrics.of(vertx));
    this.reconciliation =
        Timer.builder("density_reconciliation")
            .description(
                "from a part with late effects reaching its shard's owner to its reconciled"
                    + " counts being in Redis")
            .register(Metrics.of(vertx));
    this.correctionLag =
        Timer.builder("density_correction_lag")
            .description(
                "from the commit of the part that first corrected a row (its request answered"
                    + " from then on) to the commit of the row's write, the earliest of each write:"
                    + " how long stored counts (as-of, nearest, buckets) lag the acknowledged ones"
                    + " under out-of-order arrival (ingest.correctionDelayMs and the wait for a"
                    + " store of the shard; the contract's target is under a second)")
            .serviceLevelObjectives(
                Duration.ofMillis(250),
                Duration.ofMillis(500),
                Duration.ofMillis(750),
                Duration.ofSeconds(1),
                Duration.ofSeconds(2))
            .register(Metrics.of(vertx));
    this.otherEffects =
        Counter.builder("density_parts_with_other_effects")
            .description(
                "parts offered again with other effects than Redis applied (their batch read again"
                    + " after its links changed): their spaces were recounted from PostgreSQL")
            .register(Metrics.of(vertx));
  }

  /**
   * A part applied to Redis and not stored yet: its counts, the rows of earlier parts its tails
   * derived again ({@code fixes}), the heads of the spaces whose tails took an effect out of order
   * ({@code heads}), and the spaces with effects before their tails ({@code late}: [space, earliest
   * late µs]), to be recounted in SQL; {@code by}, the shard's counting that applied it.
   */
  record Applied(
      CountingBatch.Part part,
      List<?> counts,
      JsonArray late,
      Fixes fixes,
      JsonArray heads,
      Timer.Sample started,
      Counting by) {}

  /**
   * Parts stored: {@code closed} when their statement closed the batch, and {@code written} once
   * the corrections they made to earlier rows are written too (until then their batch stays open:
   * the recovery sweep recounts it if those are lost).
   */
  record Stored(boolean closed, Future<Void> written) {}

  /**
   * Applies one part to Redis: what is left to store ({@link #store}), or null when nothing is (a
   * part whose first answer was not its own is stored and recounted at once). What it writes to
   * PostgreSQL itself (that recount, idle resets found before its effects) waits for {@code
   * earlier}, the end of the stores of the shard's parts before it. Fails with the counter's
   * failure when Redis is unreachable, or has lost its state ({@link #lostRealtimeState}): the
   * batch then stays uncounted.
   */
  Future<Applied> apply(CountingBatch.Part part, Future<Void> earlier) {
    List<String> forgetNow = forget;
    forget = new ArrayList<>();
    JsonObject request =
        new JsonObject()
            .put("batch", part.key())
            .put("input", part.scriptInput(forgetNow, windowMicros));
    Timer.Sample started = Timer.start();
    return Nearest.<JsonObject>request(vertx, Addresses.COUNTER_APPLY, request)
        .onFailure(err -> forget.addAll(forgetNow))
        .compose(
            reply -> {
              try {
                return applied(
                    part,
                    new JsonObject(reply.body().getString("answer")),
                    reply.body().getBuffer("fixes"),
                    started,
                    earlier);
              } catch (RuntimeException e) {
                return Future.<Applied>failedFuture(new Fault(part, e));
              }
            })
        .recover(err -> Future.failedFuture(classify(part, err)));
  }

  private Future<Applied> applied(
      CountingBatch.Part part,
      JsonObject answer,
      Buffer fixed,
      Timer.Sample started,
      Future<Void> earlier) {
    boolean again = answer.getBoolean("again", false);
    List<?> counts = answer.getJsonArray("c").getList();
    if (again && !sameEffects(part, answer, counts)) {
      return earlier
          .transform(v -> recountOtherEffects(part, answer, counts.size()))
          .map((Applied) null);
    }
    JsonArray late = again ? everySpace(part) : answer.getJsonArray("l");
    // A part offered again is recounted from PostgreSQL for every space: corrections made in a
    // tail when it was first applied are part of that recount.
    Fixes fixes = again ? Fixes.NONE : Fixes.of(answer.getJsonArray("x"), fixed);
    JsonArray heads = again ? new JsonArray() : answer.getJsonArray("h", new JsonArray());
    // Idle resets found before effects applied in order go first (a recount derives its own).
    // Only a part that has some waits for the stores before it: any other goes on at once.
    Future<Void> idle =
        again || !IdleResets.found(answer)
            ? Future.succeededFuture()
            : earlier.transform(v -> IdleResets.writeFound(vertx, pool, events, answer, late));
    return idle.map(v -> new Applied(part, counts, late, fixes, heads, started, this));
  }

  /**
   * Whether the answer Redis kept is the answer to this part: as many counts as effects, and the
   * same fingerprint (an answer kept before fingerprints were has none).
   */
  private static boolean sameEffects(CountingBatch.Part part, JsonObject answer, List<?> counts) {
    String kept = answer.getString("k");
    return counts.size() == part.effects().size()
        && (kept == null || kept.equals(part.fingerprint()));
  }

  /**
   * The part was applied to Redis before with other effects: its batch was read again from
   * PostgreSQL after its links changed (a move, a back-dated link), so the effects now differ from
   * those Redis applied then. The kept counts answer another part, so none is used: the part's
   * effects are stored without a count, and every space of the part, now and then, is recounted
   * from PostgreSQL, whose heads replace what Redis holds — as for a repeated part, from further
   * back.
   */
  private Future<Void> recountOtherEffects(CountingBatch.Part part, JsonObject answer, int kept) {
    // Said once per part: the sweep may offer it again while its batch waits for other parts.
    boolean first = toldOtherEffects.add(part.key());
    if (toldOtherEffects.size() > 1000) {
      toldOtherEffects.remove(toldOtherEffects.iterator().next());
    }
    LOG.log(
        first ? Level.WARNING : Level.FINE,
        "part "
            + part.key()
            + " (batch "
            + part.batchId()
            + ", shard "
            + part.shard()
            + ") was applied to Redis before with other effects ("
            + kept
            + " then, "
            + part.effects().size()
            + " now): its first answer is set aside and its spaces are recounted from PostgreSQL");
    otherEffects.increment();
    Recounts recounts = new Recounts();
    Map<String, Long> latest = new HashMap<>();
    part.effects().forEach(e -> latest.put(e.spaceId(), e.ts())); // in contract order
    Map<String, Long> earliest = new HashMap<>();
    part.effects().forEach(e -> earliest.putIfAbsent(e.spaceId(), e.ts()));
    earliest.forEach(
        (space, ts) ->
            recounts.add(
                space,
                Timestamps.toOffsetDateTime(ts),
                Timestamps.toOffsetDateTime(latest.get(space))));
    // What the first part changed is known only by its spaces' earliest effect: to the end.
    for (Object o : answer.getJsonArray("s", new JsonArray())) {
      JsonArray then = (JsonArray) o;
      recounts.add(
          then.getString(0), Timestamps.toOffsetDateTime(Long.parseLong(then.getString(1))), null);
    }
    Tuple effects = effectsTuple(part.effects(), null);
    // The corrections held go first: the recount reads the rows they correct.
    List<PendingFixes.Row> held = pending.takeAll();
    return pool.withTransaction(
            conn ->
                write(conn, held)
                    .compose(
                        v ->
                            conn.preparedQuery(Statements.INSERT_EFFECTS_TO_RECOUNT)
                                .execute(effects))
                    .compose(
                        v ->
                            recounts.isEmpty()
                                ? Future.succeededFuture(new JsonArray())
                                : recounts.run(conn))
                    .compose(heads -> events.record(conn, heads, "reconciliation")))
        .onComplete(done -> settled(held, done))
        .compose(heads -> Recounts.publish(vertx, events, heads, "reconciliation"));
  }

  /** Writes held corrections in a transaction (none: nothing). */
  private static Future<Void> write(SqlConnection conn, List<PendingFixes.Row> held) {
    return held.isEmpty()
        ? Future.succeededFuture()
        : conn.preparedQuery(Statements.UPDATE_FIXES)
            .execute(PendingFixes.addTo(Tuple.tuple(), held))
            .mapEmpty();
  }

  /** Held corrections taken for a statement: written when it committed, else dropped. */
  private void settled(List<PendingFixes.Row> held, AsyncResult<?> done) {
    if (done.succeeded()) {
      PendingFixes.written(held);
      corrections.increment(held.size());
      if (!held.isEmpty()) {
        correctionLag.record(
            System.currentTimeMillis() - PendingFixes.lagFrom(held), TimeUnit.MILLISECONDS);
      }
    } else {
      PendingFixes.dropped(held, done.cause());
    }
  }

  /** How many rows' corrections are held. */
  int held() {
    return pending.size();
  }

  /** Whether corrections have been held past their delay. */
  boolean holdsDue(long now) {
    return pending.due(now, correctionDelayMs);
  }

  /**
   * Writes the corrections held past their delay ({@code all}: every one held), on their own. Only
   * as a task of the shard's lane, which orders it after the stores of the rows they correct.
   */
  Future<Void> writeHeld(boolean all) {
    List<PendingFixes.Row> held =
        all ? pending.takeAll() : pending.takeDue(System.currentTimeMillis(), correctionDelayMs);
    if (held.isEmpty()) {
      return Future.succeededFuture();
    }
    return pool.preparedQuery(Statements.UPDATE_FIXES)
        .execute(PendingFixes.addTo(Tuple.tuple(), held))
        .onComplete(done -> settled(held, done))
        .mapEmpty();
  }

  /** The shard is gone from this verticle: its held corrections are not written here. */
  void dropHeld(Throwable why) {
    PendingFixes.dropped(pending.takeAll(), why);
  }

  /**
   * A failure to count that asking again will not mend (a fault in counting, or a statement
   * PostgreSQL refuses), told apart from an outage (Redis or PostgreSQL unreachable), which will.
   */
  static final class Fault extends RuntimeException {
    Fault(CountingBatch.Part part, Throwable cause) {
      super(
          "counting part " + part.key() + " (shard " + part.shard() + ") failed: " + cause, cause);
    }
  }

  /** SQLSTATE classes of failures that pass: connection, resources, shutdown, locks, conflicts. */
  private static final Set<String> PASSING = Set.of("08", "53", "57", "40", "55");

  private static Throwable classify(CountingBatch.Part part, Throwable err) {
    if (err instanceof PgException pg
        && pg.getSqlState() != null
        && !PASSING.contains(pg.getSqlState().substring(0, 2))) {
      return new Fault(part, err);
    }
    return err;
  }

  /** The part's batch is closed: its answer in Redis may go with the next part. */
  void closed(String partKey) {
    forget.add(partKey);
  }

  /**
   * A part counted before and counted again (a retry, or the sweep after its writer died): its
   * counts may have reached Redis but not PostgreSQL, where a recount since then missed them. Each
   * of its spaces is recounted from its earliest effect in the part, which mends that.
   */
  private static JsonArray everySpace(CountingBatch.Part part) {
    Map<String, Long> earliest = new HashMap<>();
    part.effects().forEach(e -> earliest.putIfAbsent(e.spaceId(), e.ts())); // in contract order
    JsonArray late = new JsonArray();
    earliest.forEach((space, ts) -> late.add(new JsonArray().add(space).add(String.valueOf(ts))));
    return late;
  }

  /** Whether counting failed because Redis holds no realtime state: it must be rebuilt. */
  public static boolean lostRealtimeState(Throwable err) {
    return err instanceof ReplyException re && re.failureCode() == Failure.NOT_BUILT;
  }

  /** Effects as statement parameters, with their counts (null: without). */
  private static Tuple effectsTuple(List<CountingBatch.Effect> effects, List<?> counts) {
    int m = effects.size();
    String[] space = new String[m];
    OffsetDateTime[] ts = new OffsetDateTime[m];
    Short[] delta = new Short[m];
    Long[] datapoint = new Long[m];
    Integer[] count = new Integer[m];
    for (int i = 0; i < m; i++) {
      CountingBatch.Effect e = effects.get(i);
      space[i] = e.spaceId();
      ts[i] = Timestamps.toOffsetDateTime(e.ts());
      delta[i] = (short) e.delta();
      datapoint[i] = e.datapointId();
      if (counts != null) {
        count[i] = ((Number) counts.get(i)).intValue();
      }
    }
    return counts == null
        ? Tuple.of(space, ts, delta, datapoint)
        : Tuple.of(space, ts, delta, datapoint, count);
  }

  /**
   * Stores the counts of parts applied to Redis (of one batch, after the stores before them in
   * their shards' lanes) in one statement, and recounts the late spaces in the same transaction;
   * with {@code closing}, that transaction also closes the batch of that id, unless the parts made
   * corrections that are still held. The corrections the parts' tails made to earlier rows are held
   * ({@link PendingFixes}); those of their shards held past {@code ingest.correctionDelayMs} go
   * with this statement, and all of them when a space is recounted (the recount reads the rows they
   * correct). Spaces whose effects came out of order ({@code heads}: corrected in a tail; {@code
   * late}: recounted) get one reconciliation event with their current count instead of an event per
   * effect. The parts' spaces are apart (a space belongs to one shard), so their effects, one
   * part's after another's, are each space's in contract order.
   */
  Future<Stored> store(List<Applied> parts, Long closing) {
    long now = System.currentTimeMillis();
    List<CountingBatch.Effect> effects = new ArrayList<>();
    List<Object> counts = new ArrayList<>();
    JsonArray late = new JsonArray();
    JsonArray heads = new JsonArray();
    List<PendingFixes.Waiter> held = new ArrayList<>();
    Set<Counting> shards = new LinkedHashSet<>();
    for (Applied a : parts) {
      effects.addAll(a.part().effects());
      counts.addAll(a.counts());
      late.addAll(a.late());
      heads.addAll(a.heads());
      shards.add(a.by());
      if (!a.fixes().isEmpty()) {
        held.add(a.by().pending.add(a.fixes(), now));
      }
    }
    Set<String> outOfOrder = new HashSet<>();
    heads.forEach(h -> outOfOrder.add(((JsonArray) h).getString(0)));
    reordered.increment(heads.size());
    late.forEach(l -> outOfOrder.add(((JsonArray) l).getString(0)));
    Recounts recounts = late.isEmpty() ? null : recounts(effects, late);
    List<PendingFixes.Row> fixes = new ArrayList<>();
    for (Counting shard : shards) {
      fixes.addAll(
          recounts != null || shard.correctionDelayMs == 0
              ? shard.pending.takeAll()
              : shard.pending.takeDue(now, shard.correctionDelayMs));
    }
    // Every correction of these parts is in this statement when none was left held.
    boolean closes =
        closing != null
            && (held.isEmpty()
                || recounts != null
                || shards.stream().allMatch(c -> c.pending.isEmpty()));
    Future<Void> written =
        held.isEmpty()
            ? Future.succeededFuture()
            : Future.all(held.stream().map(PendingFixes.Waiter::done).toList()).mapEmpty();
    String statement = statement(!fixes.isEmpty());
    Tuple insert =
        fixes.isEmpty()
            ? effectsTuple(effects, counts)
            : PendingFixes.addTo(effectsTuple(effects, counts), fixes);
    if (events.egress()) {
      // The changes of the spaces taken out of order are their reconciled heads, not the effects.
      insert.addValue(outOfOrder.toArray(String[]::new));
    }
    Long closed = closes ? closing : null;
    Future<JsonArray> stored;
    if (effects.isEmpty() && fixes.isEmpty() && closed == null && recounts == null) {
      stored = Future.succeededFuture(new JsonArray());
    } else if (recounts == null && (heads.isEmpty() || !events.egress()) && !effects.isEmpty()) {
      // One statement, so one round trip: the batch's close, if any, is part of it.
      if (closed != null) {
        insert.addValue(closed);
        stored =
            pool.preparedQuery(Statements.closing(statement, insert.size()))
                .execute(insert)
                .map(new JsonArray());
      } else {
        stored = pool.preparedQuery(statement).execute(insert).map(new JsonArray());
      }
    } else {
      stored =
          pool.withTransaction(
              conn ->
                  (effects.isEmpty()
                          ? write(conn, fixes)
                          : conn.preparedQuery(statement).execute(insert).<Void>mapEmpty())
                      .compose(v -> events.record(conn, heads, "reconciliation"))
                      .compose(
                          v ->
                              recounts == null
                                  ? Future.succeededFuture(new JsonArray())
                                  : recounts
                                      .run(conn)
                                      .compose(r -> events.record(conn, r, "reconciliation")))
                      .compose(
                          recounted ->
                              closed == null
                                  ? Future.succeededFuture(recounted)
                                  : conn.preparedQuery(Statements.CLOSE_BATCH)
                                      .execute(Tuple.of(closed))
                                      .map(recounted)));
    }
    return stored
        .onSuccess(
            v -> {
              long at = System.currentTimeMillis();
              held.forEach(w -> w.stored(at));
            })
        .onComplete(done -> settled(fixes, done))
        .onSuccess(
            recounted -> {
              for (Applied a : parts) {
                publishInOrder(a.part(), a.counts(), outOfOrder);
                if (!a.late().isEmpty()) {
                  a.started().stop(reconciliation);
                }
              }
              events.heads(heads, "reconciliation");
            })
        .compose(
            recounted ->
                recounted.isEmpty()
                    ? Future.succeededFuture()
                    : Recounts.publish(vertx, events, recounted, "reconciliation"))
        .map(v -> new Stored(closed != null, written));
  }

  /**
   * The recounts of late spaces ([space, earliest late µs]): each from its earliest late effect
   * through the latest effect stored on it now, whose count followed the provisional one.
   */
  private Recounts recounts(List<CountingBatch.Effect> effects, JsonArray late) {
    Map<String, Long> latest = new HashMap<>();
    effects.forEach(e -> latest.put(e.spaceId(), e.ts())); // in contract order
    reconciled.increment(late.size());
    Recounts recounts = new Recounts();
    for (Object o : late) {
      JsonArray l = (JsonArray) o;
      String lateSpace = l.getString(0);
      recounts.add(
          lateSpace,
          Timestamps.toOffsetDateTime(Long.parseLong(l.getString(1))),
          Timestamps.toOffsetDateTime(latest.get(lateSpace)));
    }
    return recounts;
  }

  /** The statement that stores a part's counts, with its corrections or not, and egress or not. */
  private String statement(boolean fixed) {
    if (events.egress()) {
      return fixed ? Statements.INSERT_COUNTS_FIXED_OUTBOX : Statements.INSERT_COUNTS_OUTBOX;
    }
    return fixed ? Statements.INSERT_COUNTS_FIXED : Statements.INSERT_COUNTS;
  }

  /** The events of the effects applied in order; others get a reconciliation event instead. */
  private void publishInOrder(CountingBatch.Part part, List<?> counts, Set<String> outOfOrder) {
    for (int i = 0; i < part.effects().size(); i++) {
      CountingBatch.Effect e = part.effects().get(i);
      if (outOfOrder.isEmpty() || !outOfOrder.contains(e.spaceId())) {
        events.datapoint(e.spaceId(), e.ts(), e.delta(), ((Number) counts.get(i)).intValue());
      }
    }
  }
}
