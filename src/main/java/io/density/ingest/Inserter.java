package io.density.ingest;

import io.density.bus.Addresses;
import io.density.config.DensityConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
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
    this.toInserter = new DeliveryOptions().setSendTimeout(60_000).setLocalOnly(persistenceHere);
  }

  public DatapointParser parser() {
    return parser;
  }

  /** Stores the datapoints; the future completes with "accepted" or "duplicate" for each. */
  public Future<JsonArray> store(List<Datapoint> datapoints) {
    return vertx
        .eventBus()
        .<JsonObject>request(Addresses.INGEST, new DatapointBatch(datapoints), toInserter)
        .map(reply -> reply.body().getJsonArray("results"));
  }
}
