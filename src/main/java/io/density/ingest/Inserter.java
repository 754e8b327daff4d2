package io.density.ingest;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.config.DensityConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.List;

/**
 * The way in to the inserter, the same for every entry point (HTTP, MQTT): datapoints checked by
 * the configured rules ({@link #parser}), sent as one {@link DatapointBatch} to this node's
 * persistence verticle when every node inserts its own, else to the deployment's inserter.
 */
public final class Inserter {
  private final Vertx vertx;
  private final DatapointParser parser;
  private final DeliveryOptions toInserter;
  private final long waitMs;

  /**
   * @param roles this node's roles
   */
  public Inserter(Vertx vertx, DensityConfig.Ingest ingest, List<?> roles) {
    this.vertx = vertx;
    this.parser =
        new DatapointParser(
            Clock.systemUTC(),
            ingest.maxFutureSkewSeconds(),
            ingest.retentionDays(),
            ingest.earliestTimestamp());
    boolean persistenceHere = ingest.everyNodeInserts() && roles.contains("persistence");
    // The inserter answers within ackTimeoutMs (503 when it cannot count in time); a little more
    // covers an inserter that cannot answer at all (unreachable, paused).
    this.waitMs = ingest.ackTimeoutMs() + 5_000;
    this.toInserter = new DeliveryOptions().setSendTimeout(waitMs).setLocalOnly(persistenceHere);
  }

  public DatapointParser parser() {
    return parser;
  }

  /** Stores the datapoints; the future completes with "accepted" or "duplicate" for each. */
  public Future<JsonArray> store(List<Datapoint> datapoints) {
    return vertx
        .eventBus()
        .<JsonObject>request(Addresses.INGEST, new DatapointBatch(datapoints), toInserter)
        .map(reply -> reply.body().getJsonArray("results"))
        .recover(
            err ->
                Future.failedFuture(
                    err instanceof ReplyException re
                            && re.failureType() != ReplyFailure.RECIPIENT_FAILURE
                        ? Failure.unavailable(
                            (re.failureType() == ReplyFailure.TIMEOUT
                                    ? "no answer from the inserter within " + waitMs + " ms"
                                    : "no inserter reachable")
                                + ": the datapoints may be stored; retry, a datapoint sent again"
                                + " is never counted twice")
                        : err));
  }
}
