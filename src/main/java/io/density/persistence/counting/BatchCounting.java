package io.density.persistence.counting;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.config.DensityConfig;
import io.density.persistence.store.WalFlush;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Has a batch committed to the raw log counted: one part per counting shard it touches. The parts
 * whose shards this verticle owns are counted here together, their counts stored in one transaction
 * (which closes the batch too when they are all its parts); the others are sent to their shards'
 * owners on other nodes. A part is asked again while its shard has no owner or changes hands; once
 * every part is counted, the batch is closed. Remembers what became of each part of the batches it
 * is counting, for the report of a stalled batch.
 */
public final class BatchCounting {
  private static final DeliveryOptions CLOSED =
      new DeliveryOptions().addHeader(Addresses.ACTION, Addresses.CLOSED);

  /**
   * A batch's parts, all counted; {@code closed} when the transaction that stored them closed it;
   * {@code written} once the corrections its parts made to earlier rows are written (the batch is
   * closed only then).
   */
  public record Counted(List<CountingBatch.Part> parts, boolean closed, Future<Void> written) {}

  private final Vertx vertx;
  private final ShardOwnership ownership;

  /** Commits without waiting for the WAL flush: closes batches (see {@link #close}). */
  private final Pool derived;

  private final WalFlush flush;
  private final DensityConfig.Ingest config;
  private final DeliveryOptions toOwner;

  /**
   * What became of each part of the batches being counted or not counted yet, by batch id: part key
   * → "counted" or why not.
   */
  private final Map<Long, Map<String, String>> partsOf = new HashMap<>();

  public BatchCounting(
      Vertx vertx,
      ShardOwnership ownership,
      Pool derived,
      WalFlush flush,
      DensityConfig.Ingest config) {
    this.vertx = vertx;
    this.ownership = ownership;
    this.derived = derived;
    this.flush = flush;
    this.config = config;
    this.toOwner = new DeliveryOptions().setSendTimeout(config.partTimeoutMs());
  }

  /**
   * Has every part of a committed batch counted by its shard's owner, in parallel (each owner
   * counts its shard's parts one after another), then closes the batch.
   */
  public Future<Void> count(long batchId, CountingBatch batch) {
    return countParts(batchId, batch).compose(counted -> close(batchId, counted));
  }

  /**
   * Has every part of a committed batch counted, as {@link #count}, and the batch closed only if
   * that came with storing them: what to {@link #close} it with.
   */
  public Future<Counted> countParts(long batchId, CountingBatch batch) {
    List<CountingBatch.Part> parts = batch.parts(config.countingShards());
    long deadline = System.currentTimeMillis() + config.partDeadlineMs();
    Map<String, String> states = partsOf.computeIfAbsent(batchId, id -> new TreeMap<>());
    parts.forEach(p -> states.putIfAbsent(p.key(), "offered"));
    List<CountingBatch.Part> here = new ArrayList<>();
    List<Future<Void>> counted = new ArrayList<>();
    List<Future<Void>> written = new ArrayList<>();
    for (CountingBatch.Part p : parts) {
      if (ownership.owned().contains(p.shard())) {
        here.add(p);
      } else {
        Promise<Void> corrected = Promise.promise();
        counted.add(countPart(p, deadline, corrected));
        written.add(corrected.future());
      }
    }
    boolean closing = !here.isEmpty() && here.size() == parts.size();
    ShardOwnership.Together together = ownership.countTogether(here, closing ? batchId : null);
    for (int i = 0; i < here.size(); i++) {
      CountingBatch.Part p = here.get(i);
      // Counted here, its corrections are those of the parts' statement (below); asked again of
      // another node (its shard moved), that node's.
      Promise<Void> corrected = Promise.promise();
      written.add(corrected.future());
      counted.add(
          together
              .parts()
              .get(i)
              .onSuccess(
                  v -> {
                    note(p, "counted");
                    corrected.tryComplete();
                  })
              .recover(err -> again(p, err, deadline, corrected)));
    }
    // The close went with the parts' statement only if every part was counted there, at once, and
    // made no correction still held. Those counted here and on other nodes alike are answered once
    // stored; the batch is closed once their corrections are written too.
    written.add(together.written());
    return Future.join(counted)
        .compose(
            v ->
                together
                    .closed()
                    .map(
                        closed ->
                            new Counted(parts, closing && closed, Future.all(written).mapEmpty())));
  }

  /**
   * Has the part counted by its shard's owner over the bus. While the shard has no owner, or
   * changes hands, it asks again until the deadline: Redis applies a part at most once, so asking
   * twice is safe. {@code written} completes once the corrections the part made to earlier rows are
   * written: at once when the owner holds none, else when it answers that it has written them.
   */
  private Future<Void> countPart(CountingBatch.Part part, long deadline, Promise<Void> written) {
    return vertx
        .eventBus()
        .<JsonObject>request(Addresses.countingShard(part.shard()), part, toOwner)
        .onSuccess(
            answer -> {
              note(part, "counted");
              if (answer.body() != null && answer.body().getBoolean(ShardOwnership.HELD, false)) {
                answer
                    .replyAndRequest(new JsonObject(), toOwner)
                    .onSuccess(v -> written.tryComplete())
                    .onFailure(written::tryFail);
              } else {
                written.tryComplete();
              }
            })
        .<Void>mapEmpty()
        .recover(err -> again(part, err, deadline, written));
  }

  /** A part not counted: asked again shortly while its shard has no owner or changes hands. */
  private Future<Void> again(
      CountingBatch.Part part, Throwable err, long deadline, Promise<Void> written) {
    note(part, why(part, err));
    boolean again =
        err instanceof ReplyException re
            && (re.failureType() == ReplyFailure.NO_HANDLERS
                || re.failureType() == ReplyFailure.TIMEOUT
                || re.failureCode() == Failure.ELSEWHERE);
    if (!again || System.currentTimeMillis() > deadline) {
      written.tryFail(err);
      return Future.failedFuture(err);
    }
    return vertx.timer(100).compose(v -> countPart(part, deadline, written));
  }

  private void note(CountingBatch.Part part, String state) {
    Map<String, String> states = partsOf.get(part.batchId());
    if (states != null) {
      states.put(part.key(), state);
    }
  }

  /** Why a part is not counted, in words for the log. */
  private String why(CountingBatch.Part part, Throwable err) {
    String shard = "shard " + part.shard();
    if (err instanceof ReplyException re) {
      return switch (re.failureType()) {
        case TIMEOUT ->
            "(" + shard + "): no answer from its owner within " + config.partTimeoutMs() + " ms";
        case NO_HANDLERS -> "(" + shard + "): no owner reachable";
        default ->
            re.failureCode() == Failure.ELSEWHERE
                ? "(" + shard + "): changing hands"
                : "(" + shard + "): its owner answered " + re.getMessage();
      };
    }
    return "(" + shard + "): " + err;
  }

  /**
   * Closes the batch, without waiting for the WAL flush (unless the transaction that stored its
   * parts did): a crash that erases the close (with the parts' rows before it) leaves the batch
   * uncounted, to be counted again. The owners are told only once the close is flushed, because
   * then Redis may forget how it counted the parts: a part offered again after that would be
   * counted twice.
   */
  public Future<Void> close(long batchId, Counted counted) {
    Future<?> closing =
        counted.closed()
            ? Future.succeededFuture()
            : counted
                .written()
                .compose(
                    v -> derived.preparedQuery(Statements.CLOSE_BATCH).execute(Tuple.of(batchId)));
    return closing
        .onSuccess(v -> partsOf.remove(batchId))
        .onSuccess(
            v ->
                flush.then(
                    () ->
                        counted
                            .parts()
                            .forEach(
                                p ->
                                    vertx
                                        .eventBus()
                                        .send(
                                            Addresses.countingShard(p.shard()), p.key(), CLOSED))))
        .mapEmpty();
  }

  /** What became of each part of the batch, in words for the log. */
  public String describeParts(long batchId) {
    Map<String, String> parts = partsOf.get(batchId);
    if (parts == null || parts.isEmpty()) {
      return "none offered by this node yet";
    }
    StringBuilder out = new StringBuilder();
    parts.forEach(
        (key, state) ->
            out.append(out.isEmpty() ? "" : ", ").append(key).append(' ').append(state));
    return out.toString();
  }

  /** Every uncounted batch was counted another way (a rebuild): what was known of parts is moot. */
  public void forgetAll() {
    partsOf.clear();
  }
}
