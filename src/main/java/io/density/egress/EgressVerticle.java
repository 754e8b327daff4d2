package io.density.egress;

import io.density.bus.Addresses;
import io.density.cluster.Leadership;
import io.density.config.DensityConfig;
import io.density.db.Connections;
import io.density.telemetry.Metrics;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Egress to brokers (docs/egress.md): one node of a deployment (the leader of the job, chosen
 * through PostgreSQL as for the other single jobs) reads the outbox and feeds every sink the
 * configuration turns on, each from its own saved position; the others stand by and take over when
 * it goes. It answers the readiness detail, keeps the lag and backlog metrics, and drops the rows
 * every sink has taken.
 *
 * <p>Config: {@code {postgres, egress, mqtt}} slices.
 */
public final class EgressVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(EgressVerticle.class.getName());
  private static final long LOCK = 0x64656e73L + 3;

  /** How often the backlog is measured and taken rows are dropped. */
  private static final long TIDY_MS = 5_000;

  private DensityConfig.Egress config;
  private DensityConfig.Mqtt ingestMqtt;
  private Pool pool;
  private Outbox outbox;
  private Leadership leadership;
  private final List<Feed> feeds = new ArrayList<>();
  private final Map<String, Feed> bySink = new ConcurrentHashMap<>();
  private MessageConsumer<JsonObject> status;
  private long tidy = -1;

  /** The sinks' closes at each step down: stop waits for them, so none outlives its Vert.x. */
  private Future<?> sinksClosed = Future.succeededFuture();

  @Override
  public Future<?> start() {
    config = config().getJsonObject("egress").mapTo(DensityConfig.Egress.class);
    ingestMqtt = config().getJsonObject("mqtt").mapTo(DensityConfig.Mqtt.class);
    DensityConfig.Postgres postgres =
        config().getJsonObject("postgres").mapTo(DensityConfig.Postgres.class);
    pool = Connections.postgres(vertx, postgres, "egress");
    outbox = new Outbox(pool);
    leadership = new Leadership(vertx, postgres.url(), LOCK, "egress", this::lead, this::stepDown);
    Gauge.builder("density_leader", () -> leadership.leading() ? 1 : 0)
        .tag("job", "egress")
        .description("1 where this node leads the job")
        .register(Metrics.of(vertx));
    return leadership.start();
  }

  private Future<Void> lead() {
    for (Sink sink : Sinks.of(vertx, config, ingestMqtt)) {
      Feed feed = new Feed(vertx, outbox, sink, config);
      feeds.add(feed);
      bySink.put(sink.name(), feed);
      Gauge.builder("density_egress_backlog", () -> backlogOf(sink.name()))
          .tag("sink", sink.name())
          .description("outbox changes this sink's broker has not acknowledged yet")
          .register(Metrics.of(vertx));
      Gauge.builder("density_egress_lag_seconds", () -> lagOf(sink.name()))
          .tag("sink", sink.name())
          .description("age of the oldest change this sink's broker has not acknowledged (0: none)")
          .register(Metrics.of(vertx));
    }
    status = vertx.eventBus().consumer(Addresses.EGRESS_STATUS, this::status);
    tidy = vertx.setPeriodic(TIDY_MS, id -> tidy());
    feeds.forEach(Feed::start);
    return status.completion();
  }

  private double backlogOf(String sink) {
    Feed feed = bySink.get(sink);
    return feed == null ? 0 : feed.backlog();
  }

  private double lagOf(String sink) {
    Feed feed = bySink.get(sink);
    return feed == null ? 0 : feed.lag();
  }

  private void stepDown() {
    vertx.cancelTimer(tidy);
    if (status != null) {
      status.unregister();
      status = null;
    }
    List<Future<Void>> closes = new ArrayList<>();
    feeds.forEach(
        f -> {
          f.stop();
          closes.add(f.sink().close());
        });
    sinksClosed = Future.join(sinksClosed, Future.join(closes));
    feeds.clear();
    bySink.clear();
  }

  private void status(Message<JsonObject> request) {
    JsonObject sinks = new JsonObject();
    feeds.forEach(f -> sinks.put(f.sink().name(), f.status()));
    request.reply(new JsonObject().put("sinks", sinks));
  }

  /** Measures each sink's backlog, then drops the rows every sink has acknowledged. */
  private void tidy() {
    if (feeds.isEmpty()) {
      return;
    }
    Position taken = null;
    for (Feed f : feeds) {
      taken = taken == null || f.acknowledged().compareTo(taken) < 0 ? f.acknowledged() : taken;
    }
    Position upTo = taken;
    Future.all(feeds.stream().map(Feed::measure).toList())
        .compose(v -> outbox.dropTaken(upTo))
        .onFailure(err -> LOG.log(Level.FINE, "egress: tidying the outbox failed", err));
  }

  @Override
  public Future<?> stop() {
    stepDown();
    return sinksClosed.transform(ar -> leadership.stop()).compose(v -> pool.close());
  }
}
