package io.density.persistence.intake;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.config.DensityConfig;
import io.density.ingest.Datapoint;
import io.density.telemetry.Metrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Ingest requests waiting for their batch: admitted while the queue has room for their datapoints
 * ({@code ingest.maxPending} in all; else 429, and the HTTP verticles are told to turn ingest away
 * before reading bodies), taken in order into batches of up to {@code ingest.maxBatch}, and each
 * answered 503 if it has no answer within {@code ingest.ackTimeoutMs}, saying how far it got.
 */
final class IngestQueue {
  private static final ReplyException STORED_NOT_COUNTED_IN_TIME =
      Failure.unavailable(
          "stored but not counted in time: the datapoints are stored and will be counted once"
              + " counting resumes; retry, a datapoint sent again is never counted twice");

  private static final ReplyException NOT_INSERTED_IN_TIME =
      Failure.unavailable(
          "not stored in time (the inserter is behind): retry, a datapoint sent again is never"
              + " counted twice");

  private static final ReplyException INSERT_UNANSWERED_IN_TIME =
      Failure.unavailable(
          "no answer from PostgreSQL in time: the datapoints may be stored; retry, a datapoint"
              + " sent again is never counted twice");

  /** Where an ingest request stands. */
  enum Stage {
    QUEUED,
    INSERTING,
    STORED
  }

  /** One ingest request waiting for its batch: its datapoints and a status for each, to come. */
  static final class Pending {
    final List<Datapoint> items;
    final Promise<JsonArray> result = Promise.promise();
    Stage stage = Stage.QUEUED;

    Pending(List<Datapoint> items) {
      this.items = items;
    }
  }

  private final Vertx vertx;
  private final DensityConfig.Ingest config;
  private final Counter overloaded;
  private final Counter unansweredInTime;

  /** Pressure goes to every HTTP verticle, or to this node's when every node inserts its own. */
  private final DeliveryOptions toHttpVerticles;

  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private int queuedItems;
  private boolean pressing;
  private long pressureSignalled;

  IngestQueue(Vertx vertx, DensityConfig.Ingest config) {
    this.vertx = vertx;
    this.config = config;
    this.toHttpVerticles = new DeliveryOptions().setLocalOnly(config.everyNodeInserts());
    MeterRegistry registry = Metrics.of(vertx);
    overloaded =
        Counter.builder("density_ingest_overloaded")
            .description("ingest requests answered 429: the queue was full")
            .register(registry);
    unansweredInTime =
        Counter.builder("density_ingest_unanswered_in_time")
            .description(
                "ingest requests answered 503 because their batch was not stored and counted"
                    + " within ingest.ackTimeoutMs")
            .register(registry);
    Gauge.builder("density_ingest_queued_datapoints", () -> queuedItems)
        .description("datapoints waiting for a group commit")
        .register(registry);
  }

  /**
   * Queues a request's datapoints, or fails with {@link Failure#OVERLOADED} when the queue is full.
   */
  Future<Pending> add(List<Datapoint> datapoints) {
    if (queuedItems + datapoints.size() > config.maxPending()) {
      overloaded.increment();
      signalPressure(true);
      return Future.failedFuture(
          Failure.of(Failure.OVERLOADED, null, "ingest queue is full, retry shortly"));
    }
    Pending pending = new Pending(datapoints);
    queue.add(pending);
    queuedItems += datapoints.size();
    long timer = vertx.setTimer(config.ackTimeoutMs(), id -> unansweredInTime(pending));
    pending.result.future().onComplete(ar -> vertx.cancelTimer(timer));
    return Future.succeededFuture(pending);
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }

  /** Whether a full batch waits. */
  boolean full() {
    return queuedItems >= config.maxBatch();
  }

  /** The next batch: requests in the order they came, up to maxBatch datapoints (at least one). */
  List<Pending> take() {
    List<Pending> taken = new ArrayList<>();
    int size = 0;
    while (!queue.isEmpty()
        && (size == 0 || size + queue.peek().items.size() <= config.maxBatch())) {
      Pending p = queue.poll();
      p.stage = Stage.INSERTING;
      taken.add(p);
      size += p.items.size();
    }
    queuedItems -= size;
    if (pressing) {
      signalPressure(queuedItems > config.maxPending() / 2);
    }
    return taken;
  }

  /**
   * A request not answered within ingest.ackTimeoutMs gets 503 now, saying whether its datapoints
   * are stored: a sender hears within a bounded time, whatever holds counting up. One still queued
   * leaves the queue; one stored is counted later all the same.
   */
  private void unansweredInTime(Pending pending) {
    if (pending.result.future().isComplete()) {
      return;
    }
    unansweredInTime.increment();
    ReplyException failure =
        switch (pending.stage) {
          case QUEUED -> {
            if (queue.remove(pending)) {
              queuedItems -= pending.items.size();
            }
            yield NOT_INSERTED_IN_TIME;
          }
          case INSERTING -> INSERT_UNANSWERED_IN_TIME;
          case STORED -> STORED_NOT_COUNTED_IN_TIME;
        };
    pending.result.tryFail(failure);
  }

  /**
   * Tells the HTTP verticles (of every node, or of this one when every node inserts its own) that
   * the queue is full, renewed every 250 ms while it stays over half full, and when it is not. They
   * answer ingest 429 before reading its body meanwhile, so the excess of an overload costs almost
   * nothing, and forget the signal after a second if it is not renewed.
   */
  private void signalPressure(boolean on) {
    long now = System.currentTimeMillis();
    if (on == pressing && (!on || now - pressureSignalled < 250)) {
      return;
    }
    pressing = on;
    pressureSignalled = now;
    vertx
        .eventBus()
        .publish(
            Addresses.INGEST_PRESSURE, new JsonObject().put("overloaded", on), toHttpVerticles);
  }
}
