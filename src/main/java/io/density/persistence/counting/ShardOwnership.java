package io.density.persistence.counting;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.persistence.store.Claims;
import io.density.persistence.store.Lanes;
import io.density.telemetry.Metrics;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The counting shards this persistence verticle owns. Every shard has exactly one owner in the
 * deployment, the holder of its claim ({@link Claims}); the owner counts the shard's parts of every
 * batch, from any node, one after another in the shard's {@link Lane}, so each space's changes are
 * applied and stored in one order by one writer.
 *
 * <p>Twice a second each member compares what it holds with a fair share: with M members and S
 * shards, none holds more than ceil(S/M), nor more than floor(S/M) while another holds less than
 * that. Surplus shards are given up (the lane finishes first), free ones taken. A member that joins
 * gets its share within a second; the shards of one that dies are free as soon as PostgreSQL ends
 * its session, and taken within a second.
 */
public final class ShardOwnership implements Lanes {
  private static final Logger LOG = Logger.getLogger(ShardOwnership.class.getName());
  private static final long BALANCE_MS = 500;

  /** How often the shards are checked for corrections held past their delay. */
  private static final long HELD_CHECK_MS = 50;

  /** A shard owned: the consumer of its parts, its lane, and its counting state. */
  private record Owned(MessageConsumer<Object> consumer, Lane lane, Counting counting) {}

  private final Vertx vertx;
  private final Claims claims;
  private final int shards;

  /** Makes the counting state of a shard taken. */
  private final Supplier<Counting> counting;

  private final TreeMap<Integer, Owned> owned = new TreeMap<>();

  /** Shards whose held corrections are queued to be written in their lanes. */
  private final Set<Integer> writingHeld = new HashSet<>();

  private long timer = -1;
  private long heldTimer = -1;
  private boolean balancing;
  private boolean stopped;

  /**
   * A part that waited longer than this in the lane is dropped uncounted: its sender stopped
   * waiting for the answer, and offers it again (or the sweep does) if it still needs counting.
   */
  private final long partTimeoutMs;

  /** How long the leader may be unreachable before this verticle gives its shards up. */
  private final long leaderUnreachableMs;

  /** How long an answer that corrections are held waits for its sender to ask for them. */
  private final DeliveryOptions untilWritten;

  /** Whether this verticle leads (then it is where the cluster is, by definition). */
  private final BooleanSupplier leading;

  /** Since when the leader has not been reachable over the event bus (0: it is). */
  private long leaderUnreachableSince;

  /** Cut off from the cluster: no shard held, not a member of the writers. */
  private boolean cutOff;

  public ShardOwnership(
      Vertx vertx,
      Claims claims,
      int shards,
      long partTimeoutMs,
      long leaderUnreachableMs,
      BooleanSupplier leading,
      Supplier<Counting> counting) {
    this.vertx = vertx;
    this.partTimeoutMs = partTimeoutMs;
    this.untilWritten = new DeliveryOptions().setSendTimeout(partTimeoutMs);
    this.leading = leading;
    this.leaderUnreachableMs = leaderUnreachableMs;
    this.claims = claims;
    this.shards = shards;
    this.counting = counting;
    Gauge.builder("density_counting_shards_owned", owned::size)
        .description("counting shards this node's persistence verticle owns")
        .register(Metrics.of(vertx));
    Gauge.builder(
            "density_corrections_held",
            () -> owned.values().stream().mapToInt(o -> o.counting.held()).sum())
        .description(
            "rows of space_count whose corrected counts are held before they are written"
                + " (ingest.correctionDelayMs)")
        .register(Metrics.of(vertx));
  }

  /** Takes a first share now, then keeps the share fair. */
  public Future<Void> start() {
    timer = vertx.setPeriodic(BALANCE_MS, id -> balance());
    heldTimer = vertx.setPeriodic(HELD_CHECK_MS, id -> writeHeld());
    return balanceNow().otherwiseEmpty();
  }

  @Override
  public Set<Integer> owned() {
    return owned.keySet();
  }

  @Override
  public <T> Future<T> inLane(int shard, Supplier<Future<T>> task) {
    Owned o = owned.get(shard);
    if (o == null) {
      return Future.succeededFuture();
    }
    return o.lane.run(() -> owned.get(shard) == o ? task.get() : Future.succeededFuture());
  }

  /**
   * Writes, in each shard's lane, the corrections held past their delay when the lane is idle (a
   * shard that went quiet). A busy lane's next store takes them with it: a task of its own would
   * hold the lane's next part back until every store before it had ended.
   */
  private void writeHeld() {
    long now = System.currentTimeMillis();
    owned.forEach(
        (shard, o) -> {
          if (o.counting.holdsDue(now) && o.lane.isIdle() && writingHeld.add(shard)) {
            o.lane
                .run(() -> owned.get(shard) == o ? o.counting.writeHeld(false) : v())
                .onComplete(done -> writingHeld.remove(shard))
                .onFailure(err -> LOG.log(Level.FINE, "writing held corrections failed", err));
          }
        });
  }

  /**
   * Every claim was lost with the claims connection: stop counting at once. Held corrections are
   * dropped: their batches stay open, for the sweep of whoever holds the shards next.
   */
  public void lost() {
    owned.values().forEach(o -> o.consumer.unregister());
    owned.values().forEach(o -> o.counting.dropHeld(Failure.unavailable("counting shards lost")));
    owned.clear();
  }

  /** Gives every shard up, each once its lane has finished. */
  public Future<Void> stop() {
    stopped = true;
    vertx.cancelTimer(timer);
    vertx.cancelTimer(heldTimer);
    List<Future<Void>> released = new ArrayList<>();
    for (int shard : new ArrayList<>(owned.keySet())) {
      released.add(release(shard));
    }
    return Future.join(released).mapEmpty();
  }

  private void balance() {
    if (!balancing && !stopped) {
      balanceNow().onFailure(err -> LOG.log(Level.FINE, "balancing counting shards failed", err));
    }
  }

  private Future<Void> balanceNow() {
    balancing = true;
    return claims
        .connect()
        .compose(v -> leaderReachable())
        .compose(this::cutOffOrBack)
        .compose(v -> cutOff ? Future.succeededFuture() : claims.members().compose(this::rebalance))
        .eventually(
            () -> {
              balancing = false;
              return Future.succeededFuture();
            });
  }

  private Future<Void> rebalance(List<Claims.Member> members) {
    int m = Math.max(1, members.size());
    int floor = shards / m;
    int ceil = (shards + m - 1) / m;
    boolean otherShort =
        members.stream().anyMatch(x -> x.pid() != claims.pid() && x.shards() < floor);
    int limit = otherShort ? floor : ceil;
    Future<Void> chain = Future.succeededFuture();
    if (owned.size() > limit) {
      int surplus = owned.size() - limit;
      List<Integer> give = new ArrayList<>(owned.descendingKeySet()).subList(0, surplus);
      for (int shard : give) {
        chain = chain.compose(v -> release(shard));
      }
      return chain;
    }
    // Free shards are tried from an offset of this member's own, so members do not all race for
    // the same one.
    for (int i = 0; i < shards; i++) {
      int shard = Math.floorMod(claims.pid() + i, shards);
      chain =
          chain.compose(
              v ->
                  owned.size() >= limit || owned.containsKey(shard) || stopped
                      ? Future.succeededFuture()
                      : claims.tryShard(shard).compose(held -> held ? own(shard) : v()));
    }
    return chain;
  }

  /**
   * Whether the leader answers over the event bus. A node cut off from the cluster (its Hazelcast
   * and event-bus connections lost) keeps its PostgreSQL session, and so its shards, although no
   * part can reach it: every batch that needs one of them would wait until the cluster heals.
   */
  private Future<Boolean> leaderReachable() {
    if (leading.getAsBoolean()) {
      return Future.succeededFuture(true);
    }
    return vertx
        .eventBus()
        .request(
            Addresses.LEADER_PING,
            new JsonObject(),
            new DeliveryOptions().setSendTimeout(Math.min(partTimeoutMs, 2_000)))
        .map(true)
        .otherwise(
            err ->
                !(err instanceof ReplyException re
                    && (re.failureType() == ReplyFailure.NO_HANDLERS
                        || re.failureType() == ReplyFailure.TIMEOUT)));
  }

  /**
   * Unreachable from the leader for ingest.leaderUnreachableMs (longer than a leader takes to
   * change hands, so that is not taken for a cut): the shards go, each once its lane has finished,
   * and this verticle leaves the writers, so the others take them. Reachable again: it joins and
   * gets its share back.
   */
  private Future<Void> cutOffOrBack(boolean reachable) {
    long now = System.currentTimeMillis();
    if (reachable) {
      leaderUnreachableSince = 0;
      if (!cutOff) {
        return Future.succeededFuture();
      }
      LOG.warning("the leader is reachable again: taking a share of the counting shards");
      return claims.member(true).onSuccess(v -> cutOff = false);
    }
    if (leaderUnreachableSince == 0) {
      leaderUnreachableSince = now;
    }
    if (cutOff || now - leaderUnreachableSince < leaderUnreachableMs) {
      return Future.succeededFuture();
    }
    LOG.warning(
        "cut off from the cluster: no answer from the leader for "
            + (now - leaderUnreachableSince)
            + " ms; giving the counting shards up to the nodes that can reach it");
    cutOff = true;
    List<Future<Void>> released = new ArrayList<>();
    for (int shard : new ArrayList<>(owned.keySet())) {
      released.add(release(shard));
    }
    return Future.join(released).transform(v -> claims.member(false));
  }

  private static Future<Void> v() {
    return Future.succeededFuture();
  }

  private Future<Void> own(int shard) {
    MessageConsumer<Object> consumer =
        vertx.eventBus().consumer(Addresses.countingShard(shard), m -> handle(shard, m));
    owned.put(shard, new Owned(consumer, new Lane(), counting.get()));
    LOG.info("counting shard " + shard + " now");
    return consumer.completion();
  }

  private Future<Void> release(int shard) {
    Owned o = owned.remove(shard);
    if (o == null) {
      return Future.succeededFuture();
    }
    LOG.info("handing counting shard " + shard + " over");
    return o.consumer
        .unregister()
        .transform(v -> o.lane.idle())
        .transform(v -> o.counting.writeHeld(true))
        .transform(v -> claims.connected() ? claims.releaseShard(shard) : v());
  }

  private void handle(int shard, Message<Object> message) {
    Owned o = owned.get(shard);
    if (Addresses.CLOSED.equals(message.headers().get(Addresses.ACTION))) {
      if (o != null) {
        o.counting.closed((String) message.body());
      }
      return;
    }
    if (o == null) {
      message.reply(moved(shard));
      return;
    }
    CountingBatch.Part part = (CountingBatch.Part) message.body();
    // A part offered again while its first offer still waits here starts a group of its own: two
    // parts of one shard in a group would wait for each other in the shard's lane.
    Gathering g = null;
    for (Gathering waiting : gathering) {
      if (waiting.batchId == part.batchId() && !waiting.has(part.shard())) {
        g = waiting;
      }
    }
    if (g == null) {
      Gathering started = new Gathering(part.batchId());
      for (int sibling : part.batchShards()) {
        if (owned.containsKey(sibling)) {
          started.expected.add(sibling);
        }
      }
      gathering.add(started);
      vertx.setTimer(
          GATHER_MS,
          id -> {
            started.due = true;
            countGathered();
          });
      g = started;
    }
    g.offers.add(message);
    countGathered();
  }

  /**
   * How long the parts of a batch sent over the bus wait for their siblings whose shards are owned
   * here too (sent at once, they arrive together; one whose shard changed hands meanwhile goes
   * elsewhere), before those that came are counted without them.
   */
  private static final long GATHER_MS = 20;

  /** Parts of one batch received over the bus, waiting for the batch's other parts owned here. */
  private static final class Gathering {
    final long batchId;
    final Set<Integer> expected = new TreeSet<>();

    /** The parts' messages, each to be answered once its part is counted. */
    final List<Message<Object>> offers = new ArrayList<>();

    /** Waited {@link #GATHER_MS}: counted with the parts that came. */
    boolean due;

    Gathering(long batchId) {
      this.batchId = batchId;
    }

    List<CountingBatch.Part> parts() {
      return offers.stream().map(m -> (CountingBatch.Part) m.body()).toList();
    }

    boolean has(int shard) {
      return parts().stream().anyMatch(p -> p.shard() == shard);
    }

    boolean ready() {
      return due || expected.stream().allMatch(this::has);
    }
  }

  /** Batches whose parts arrive over the bus, in the order of their first part. */
  private final ArrayDeque<Gathering> gathering = new ArrayDeque<>();

  /**
   * Counts the gathered parts of batches, in the order their first parts came, each batch's
   * together ({@link #countTogether}) once all its parts owned here have come or {@link #GATHER_MS}
   * has passed: a batch waits for those before it, so every lane takes batches in the order they
   * came.
   */
  private void countGathered() {
    while (!gathering.isEmpty() && gathering.peek().ready()) {
      Gathering g = gathering.poll();
      Together together = countTogether(g.parts(), null);
      List<Future<Void>> counted = together.parts();
      for (int i = 0; i < counted.size(); i++) {
        Message<Object> message = g.offers.get(i);
        CountingBatch.Part part = g.parts().get(i);
        counted
            .get(i)
            .onSuccess(v -> answer(message, part, together.written()))
            .onFailure(err -> message.reply(failure(part, err)));
      }
    }
  }

  /**
   * In the answer to a part sent over the bus: its corrections of earlier rows are held, to be
   * asked for ({@link #answer}).
   */
  static final String HELD = "held";

  /**
   * Answers a part sent over the bus, counted and stored here. Its sender closes the batch only
   * once the corrections the part made to earlier rows are written too (a crash before then leaves
   * it open): when they are held still, the answer says so, and the sender's reply to it is
   * answered once they are written (or fails when they are dropped). The sender's requests go on
   * meanwhile.
   */
  private void answer(Message<Object> message, CountingBatch.Part part, Future<Void> written) {
    if (written.isComplete()) {
      if (written.succeeded()) {
        message.reply(new JsonObject());
      } else {
        message.reply(failure(part, written.cause()));
      }
      return;
    }
    message
        .replyAndRequest(new JsonObject().put(HELD, true), untilWritten)
        .onSuccess(
            asked ->
                written
                    .onSuccess(v -> asked.reply(new JsonObject()))
                    .onFailure(err -> asked.reply(failure(part, err))))
        .onFailure(
            err -> LOG.log(Level.FINE, "the sender of part " + part.key() + " went away", err));
  }

  /**
   * Counts parts of one batch whose shards are owned here, together (those of the inserting
   * verticle's own batches, and those gathered from the bus): each is applied to Redis in its
   * shard's lane, and once every one is applied (or has failed) the counts of those applied are
   * stored in one transaction, after the stores of the parts before them in their lanes. A lane
   * goes on to its next part once this one is applied (the next store waits for this one), or, when
   * the part's spaces are recounted, once that is over. With {@code closing} (the batch's id), that
   * transaction closes the batch too, when every part was applied and no correction they made to
   * earlier rows is still held ({@link PendingFixes}). One future per part, in order, failed as the
   * bus answers a part ({@link #failure}).
   *
   * <p>The parts enter their lanes at once, so every lane orders them the same way against other
   * batches': no two batches wait for each other's lanes. The parts are of distinct shards: two of
   * one shard would wait for each other in its lane.
   */
  Together countTogether(List<CountingBatch.Part> parts, Long closing) {
    long arrived = System.currentTimeMillis();
    Promise<Void> stored = Promise.promise();
    Promise<Counting.Stored> outcome = Promise.promise();
    List<Future<Counting.Applied>> applied = new ArrayList<>();
    List<Future<Void>> before = new ArrayList<>();
    List<Future<Void>> results = new ArrayList<>();
    Counting store = null;
    for (CountingBatch.Part part : parts) {
      Owned o = owned.get(part.shard());
      if (o == null) {
        applied.add(Future.failedFuture(moved(part.shard())));
        results.add(Future.failedFuture(moved(part.shard())));
        continue;
      }
      store = o.counting;
      Promise<Counting.Applied> done = Promise.promise();
      Promise<Void> storesBefore = Promise.promise();
      applied.add(done.future());
      before.add(storesBefore.future());
      o.lane.runStoring(
          stored.future(),
          earlier -> {
            earlier.onComplete(storesBefore);
            Future<Counting.Applied> a =
                turn(o, part, arrived).compose(v -> o.counting.apply(part, earlier));
            a.onComplete(done);
            // A part whose spaces are recounted keeps its lane until that is over: the recount
            // writes their heads to Redis. Any other lets the next part be applied meanwhile.
            return a.compose(x -> x == null || x.late().isEmpty() ? v() : stored.future());
          });
      results.add(
          done.future()
              .compose(x -> stored.future())
              .recover(err -> Future.failedFuture(failure(part, err))));
    }
    Counting storing = store;
    Future.join(applied)
        .onComplete(
            all -> {
              List<Counting.Applied> ok = new ArrayList<>();
              applied.forEach(
                  a -> {
                    if (a.succeeded() && a.result() != null) {
                      ok.add(a.result());
                    }
                  });
              if (storing == null) {
                stored.complete();
                outcome.complete(new Counting.Stored(false, Future.succeededFuture()));
                return;
              }
              Long closes = all.succeeded() ? closing : null;
              Future.join(before)
                  .transform(v -> storing.store(ok, closes))
                  .onComplete(outcome)
                  .<Void>mapEmpty()
                  .onComplete(stored);
            });
    return new Together(
        results,
        outcome.future().map(Counting.Stored::closed).otherwise(false),
        outcome.future().compose(Counting.Stored::written));
  }

  /**
   * Parts counted together: a future per part (failed as the bus answers a part), whether their
   * statement closed the batch, and when the corrections they made to earlier rows are written.
   */
  record Together(List<Future<Void>> parts, Future<Boolean> closed, Future<Void> written) {}

  /**
   * Whether the part may be counted now that its turn has come: its shard still owned here (given
   * up while it waited: the sender asks the shard's owner again), and its sender still waiting.
   */
  private Future<Void> turn(Owned o, CountingBatch.Part part, long arrived) {
    if (owned.get(part.shard()) != o) {
      return Future.failedFuture(moved(part.shard()));
    }
    long waited = System.currentTimeMillis() - arrived;
    if (waited > partTimeoutMs) {
      // Counting it now could apply it beside work that assumes it was given up (the sweep, a
      // rebuild): the sender, or the sweep, offers it again if it must.
      LOG.info("part " + part.key() + " dropped: it waited " + waited + " ms for its lane");
      return Future.failedFuture(
          Failure.unavailable("part " + part.key() + " waited too long: offer it again"));
    }
    return Future.succeededFuture();
  }

  private static ReplyException moved(int shard) {
    return Failure.of(Failure.ELSEWHERE, null, "counting shard " + shard + " moved");
  }

  /**
   * The answer to a part that could not be counted: an outage as the counter or PostgreSQL said it,
   * a fault as {@link Failure#COUNTING_FAILED}, logged here once with its cause (the sender then
   * counts the batch from PostgreSQL rather than asking again).
   */
  private static ReplyException failure(CountingBatch.Part part, Throwable err) {
    if (err instanceof ReplyException re) {
      return re;
    }
    if (err instanceof Counting.Fault fault) {
      LOG.log(Level.WARNING, fault.getMessage(), fault.getCause());
      return Failure.of(Failure.COUNTING_FAILED, null, fault.getMessage());
    }
    return Failure.unavailable(
        "counting part " + part.key() + " (shard " + part.shard() + "): " + err.getMessage());
  }
}
