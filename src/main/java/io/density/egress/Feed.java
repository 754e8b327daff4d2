package io.density.egress;

import io.density.config.DensityConfig;
import io.density.telemetry.Metrics;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Gives one sink the outbox's changes, in order, from its saved position: reads ahead at most
 * {@code egress.maxInFlight} changes, hands them to the sink, and once the sink has acknowledged
 * every one saves the position after them. When the sink fails, the same changes are read and given
 * again (after a pause), so a sink sees each change at least once and a broker that is down holds
 * up only its own sink. Changes older than {@code egress.maxBacklogAgeSeconds} are skipped with an
 * error. Used from the publishing verticle's context only.
 */
final class Feed {
  private static final Logger LOG = Logger.getLogger(Feed.class.getName());
  private static final long RETRY_MS = 1_000;

  private final Vertx vertx;
  private final Outbox outbox;
  private final Sink sink;
  private final DensityConfig.Egress config;
  private final Counter published;
  private final Counter dropped;
  private Position acknowledged = Position.START;
  private boolean stopped;
  private String failure;
  private long timer = -1;
  private long droppedToldAt;
  private long droppedUntold;

  /** Changes waiting for this sink and the oldest one's age (seconds), as last read. */
  private volatile double backlog;

  private volatile double lag;

  Feed(Vertx vertx, Outbox outbox, Sink sink, DensityConfig.Egress config) {
    this.vertx = vertx;
    this.outbox = outbox;
    this.sink = sink;
    this.config = config;
    this.published =
        Counter.builder("density_egress_changes")
            .tag("sink", sink.name())
            .tag("result", "published")
            .description("outbox changes a sink's broker acknowledged (repeats included)")
            .register(Metrics.of(vertx));
    this.dropped =
        Counter.builder("density_egress_changes")
            .tag("sink", sink.name())
            .tag("result", "dropped")
            .description(
                "outbox changes dropped unpublished, older than egress.maxBacklogAgeSeconds")
            .register(Metrics.of(vertx));
  }

  Sink sink() {
    return sink;
  }

  /** Starts from the sink's saved position (read again until it can be). */
  void start() {
    outbox
        .position(sink.name())
        .onSuccess(
            at -> {
              acknowledged = at;
              round();
            })
        .onFailure(
            err -> {
              failed(err);
              if (!stopped) {
                timer = vertx.setTimer(RETRY_MS, id -> start());
              }
            });
  }

  void stop() {
    stopped = true;
    vertx.cancelTimer(timer);
  }

  /** Where the sink has acknowledged everything before. */
  Position acknowledged() {
    return acknowledged;
  }

  double backlog() {
    return backlog;
  }

  double lag() {
    return lag;
  }

  /** The sink's state, for the readiness detail. */
  JsonObject status() {
    String problem = failure != null ? failure : sink.problem();
    return new JsonObject()
        .put("ok", problem == null)
        .put("problem", problem)
        .put("backlog", (long) backlog)
        .put("lag_seconds", lag);
  }

  /** Reads the backlog for the metrics. */
  Future<Void> measure() {
    return outbox
        .backlog(acknowledged)
        .onSuccess(
            b -> {
              // The age first: whoever reads the new backlog reads the age that came with it.
              lag = b[1];
              backlog = b[0];
            })
        .mapEmpty();
  }

  private void round() {
    if (stopped) {
      return;
    }
    outbox
        .read(acknowledged, config.maxInFlight(), config.maxBacklogAgeSeconds())
        .compose(
            page -> {
              Future<Void> skipped = Future.succeededFuture();
              if (page.expired() > 0) {
                dropped(page.expired());
                acknowledged = page.pastExpired();
                skipped = outbox.save(sink.name(), acknowledged);
              }
              if (page.changes().isEmpty()) {
                acknowledged = page.next();
                return skipped.map(false);
              }
              return skipped
                  .compose(v -> sink.publish(page.changes()))
                  .compose(
                      v -> {
                        published.increment(page.changes().size());
                        acknowledged = page.next();
                        return outbox.save(sink.name(), acknowledged);
                      })
                  .map(page.changes().size() + page.expired() >= config.maxInFlight());
            })
        .onComplete(
            ar -> {
              if (stopped) {
                return;
              }
              if (ar.failed()) {
                failed(ar.cause());
                timer = vertx.setTimer(RETRY_MS, id -> round());
                return;
              }
              if (failure != null) {
                LOG.info("egress " + sink.name() + ": publishing again");
                failure = null;
              }
              // A full page: more wait; otherwise look again after the poll interval.
              timer =
                  ar.result()
                      ? vertx.setTimer(1, id -> round())
                      : vertx.setTimer(config.pollMs(), id -> round());
            });
  }

  /** Counts changes dropped as too old; says so at most once a minute, with how many. */
  private void dropped(int changes) {
    dropped.increment(changes);
    droppedUntold += changes;
    long now = System.currentTimeMillis();
    if (now - droppedToldAt < 60_000) {
      return;
    }
    LOG.severe(
        "egress "
            + sink.name()
            + ": "
            + droppedUntold
            + " change(s) waited longer than egress.maxBacklogAgeSeconds ("
            + config.maxBacklogAgeSeconds()
            + " s) and are dropped unpublished; the latest count of each space still goes out");
    droppedToldAt = now;
    droppedUntold = 0;
  }

  private void failed(Throwable err) {
    String why = err.getMessage() == null ? err.toString() : err.getMessage();
    // A sink that says what is wrong has logged it already (once, when it turned wrong).
    if (failure == null && sink.problem() == null) {
      LOG.log(
          Level.WARNING,
          "egress "
              + sink.name()
              + ": cannot publish ("
              + why
              + "); changes wait in the outbox and are sent again, in order, once it can");
    }
    failure = why;
  }
}
