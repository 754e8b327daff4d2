package io.density.alerts;

import io.density.bus.Addresses;
import io.density.bus.Replies;
import io.density.bus.Service;
import io.density.cluster.Leadership;
import io.density.config.DensityConfig;
import io.density.counter.RedisKeys;
import io.density.db.Connections;
import io.density.db.Sql;
import io.density.time.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Capacity alerts. One alerts verticle in a deployment (the holder of an advisory lock) follows the
 * count changes and fires an alert once per crossing of a rule's level: published on {@link
 * Addresses#ALERT_EVENTS}, stored, and delivered to webhooks. Rule states live in PostgreSQL, so a
 * verticle that takes over continues where the last one stopped (and checks every space's current
 * count at once, for crossings made while no one was leading). Every alerts verticle serves the
 * management requests ({@link AlertAdmin}). The same leader evaluates the sensor-health rules of
 * DPUs periodically ({@link DpuHealth}).
 *
 * <p>Config: {@code {postgres, redis, alerts}} slices.
 */
public final class AlertsVerticle extends VerticleBase {
  private static final Logger LOG = Logger.getLogger(AlertsVerticle.class.getName());
  private static final long ALERTS_LOCK = 0x64656e73L + 2;

  /** A rule and its state: above since its last crossing upwards, when it last fired. */
  private static final class Rule {
    String name;
    int level;
    int hysteresis;
    int cooldownSeconds;
    boolean above;
    Instant lastFired;
  }

  private Pool pool;
  private Webhooks webhooks;
  private Redis redis;
  private DpuHealth health;
  private Leadership leadership;
  private Map<String, List<Rule>> rules = new HashMap<>();
  private Future<Void> lane = Future.succeededFuture();
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
  private MessageConsumer<JsonObject> countEvents;
  private AlertOutbox outbox;

  @Override
  public Future<?> start() {
    DensityConfig.Postgres postgres =
        config().getJsonObject("postgres").mapTo(DensityConfig.Postgres.class);
    pool = Connections.postgres(vertx, postgres, "alerts");
    DensityConfig.Alerts alerts =
        config().getJsonObject("alerts").mapTo(DensityConfig.Alerts.class);
    WebhookTargets targets = new WebhookTargets(vertx, alerts.webhookPrivateTargets());
    webhooks = new Webhooks(vertx, pool, targets, alerts);
    DensityConfig.Redis redisConfig =
        config().getJsonObject("redis").mapTo(DensityConfig.Redis.class);
    redis = Connections.redis(vertx, redisConfig, "alerts");
    outbox =
        new AlertOutbox(
            config()
                .getJsonObject("egress", new JsonObject())
                .mapTo(DensityConfig.Egress.class)
                .on());
    health =
        new DpuHealth(
            vertx, pool, redis, new RedisKeys(redisConfig.keyPrefix()), webhooks, alerts, outbox);
    leadership =
        new Leadership(vertx, postgres.url(), ALERTS_LOCK, "alerts", this::lead, this::stepDown);
    AlertAdmin admin = new AlertAdmin(vertx, pool, targets);
    return Service.serve(
            vertx,
            Addresses.ALERTS_ADMIN,
            AlertRequest.class,
            r -> r.carryOut(admin),
            err -> Replies.unavailable("alerts", err))
        .completion()
        .compose(v -> leadership.start());
  }

  @Override
  public Future<?> stop() {
    health.stop();
    return lane.eventually(webhooks::close)
        .eventually(() -> redis.close())
        .eventually(() -> pool.close())
        .eventually(leadership::stop);
  }

  private Future<Void> lead() {
    var bus = vertx.eventBus();
    consumers.add(bus.consumer(Addresses.ALERTS_CHANGED, m -> inLane(this::reload)));
    return Future.join(consumers.stream().map(MessageConsumer::completion).toList())
        .compose(v -> inLane(this::reload))
        .onSuccess(v -> health.start());
  }

  private void stepDown() {
    health.stop();
    consumers.forEach(MessageConsumer::unregister);
    consumers.clear();
    if (countEvents != null) {
      countEvents.unregister();
      countEvents = null;
    }
  }

  /**
   * Count events are listened to only while some space has a rule: otherwise every change of every
   * count would travel to this node for nothing. When listening starts, the current counts are
   * checked, for crossings made before.
   */
  private Future<Void> listen() {
    if (rules.isEmpty() && countEvents != null) {
      MessageConsumer<JsonObject> stopping = countEvents;
      countEvents = null;
      return stopping.unregister();
    }
    if (!rules.isEmpty() && countEvents == null) {
      countEvents =
          vertx.eventBus().consumer(Addresses.COUNT_EVENTS, m -> inLane(() -> changed(m.body())));
      return countEvents.completion().compose(v -> checkCurrentCounts());
    }
    return Future.succeededFuture();
  }

  private Future<Void> inLane(java.util.function.Supplier<Future<Void>> task) {
    Future<Void> result =
        lane.transform(ignored -> task.get())
            .onFailure(err -> LOG.log(Level.WARNING, "alert evaluation failed", err));
    lane = result.otherwiseEmpty();
    return result;
  }

  private Future<Void> reload() {
    return pool.query(Statements.ALERT_RULES)
        .execute()
        .map(
            rows -> {
              Map<String, List<Rule>> loaded = new HashMap<>();
              for (Row r : rows) {
                Rule rule = new Rule();
                rule.name = r.getString("name");
                rule.level = r.getInteger("level");
                rule.hysteresis = r.getInteger("hysteresis");
                rule.cooldownSeconds = r.getInteger("cooldown_seconds");
                rule.above = r.getBoolean("above");
                OffsetDateTime fired = r.getOffsetDateTime("last_fired_at");
                rule.lastFired = fired == null ? null : fired.toInstant();
                loaded.computeIfAbsent(r.getString("space_id"), s -> new ArrayList<>()).add(rule);
              }
              rules = loaded;
              return null;
            })
        .compose(v -> listen());
  }

  /** Crossings made while no verticle was leading: each space's current count, checked now. */
  private Future<Void> checkCurrentCounts() {
    if (rules.isEmpty()) {
      return Future.succeededFuture();
    }
    String[] spaces = rules.keySet().toArray(String[]::new);
    return pool.preparedQuery(Sql.SPACE_HEADS)
        .execute(Tuple.of((Object) spaces))
        .compose(
            rows -> {
              Future<Void> chain = Future.succeededFuture();
              for (Row r : rows) {
                JsonObject current =
                    new JsonObject()
                        .put("space_id", r.getString("id"))
                        .put("count", r.getInteger("count"))
                        .put("timestamp", Timestamps.format(r.getOffsetDateTime("ts")));
                chain = chain.compose(v -> changed(current));
              }
              return chain;
            });
  }

  /**
   * One count change: every rule of the space it crosses changes state, and fires if not cooling.
   */
  private Future<Void> changed(JsonObject change) {
    List<Rule> spaceRules = rules.get(change.getString("space_id"));
    if (spaceRules == null) {
      return Future.succeededFuture();
    }
    Future<Void> chain = Future.succeededFuture();
    for (Rule rule : spaceRules) {
      chain = chain.compose(v -> evaluate(rule, change));
    }
    return chain;
  }

  private Future<Void> evaluate(Rule rule, JsonObject change) {
    int count = change.getInteger("count");
    String kind;
    if (!rule.above && count >= rule.level) {
      kind = "above";
    } else if (rule.above && count <= rule.level - rule.hysteresis) {
      kind = "below";
    } else {
      return Future.succeededFuture();
    }
    Instant now = Instant.now();
    boolean cooling =
        rule.lastFired != null && now.isBefore(rule.lastFired.plusSeconds(rule.cooldownSeconds));
    String fired = cooling ? null : kind;
    String space = change.getString("space_id");
    String ts = change.getString("timestamp");
    Tuple crossing =
        Tuple.of(
            space,
            rule.name,
            kind.equals("above"),
            fired,
            rule.level,
            count,
            ts == null ? null : OffsetDateTime.parse(ts));
    // The alert goes to the egress outbox in the transaction that records it.
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(Statements.RECORD_CROSSING)
                    .execute(crossing)
                    .compose(
                        rows -> {
                          if (fired == null) {
                            return Future.<JsonObject>succeededFuture(null);
                          }
                          Row r = rows.iterator().next();
                          JsonObject alert =
                              new JsonObject()
                                  .put("id", r.getLong("id"))
                                  .put("space_id", space)
                                  .put("rule", rule.name)
                                  .put("kind", kind)
                                  .put("level", rule.level)
                                  .put("count", count)
                                  .put("timestamp", ts)
                                  .put(
                                      "fired_at",
                                      Timestamps.format(r.getOffsetDateTime("fired_at")));
                          return outbox.record(conn, List.of(alert)).map(alert);
                        }))
        .compose(
            alert -> {
              rule.above = kind.equals("above");
              if (alert == null) {
                return Future.succeededFuture();
              }
              rule.lastFired = now;
              vertx.eventBus().publish(Addresses.ALERT_EVENTS, alert);
              return webhooks.deliver(alert);
            });
  }
}
