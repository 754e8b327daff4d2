package io.density.alerts;

import io.density.bus.Addresses;
import io.density.config.DensityConfig;
import io.density.counter.DpuTotals;
import io.density.counter.RedisKeys;
import io.density.time.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sensor-health alerts, evaluated by the leader of the alerts every {@code alerts.healthCheckMs}.
 * Each evaluation reads every (rule, DPU) pair (a DPU's own rules, and a space's rules for each DPU
 * linked to it now), measures what the kinds need in a few round trips whatever the number of DPUs,
 * and records the pairs whose state changed:
 *
 * <ul>
 *   <li>{@code silent}: the DPU's last arrival ({@code last_rx} in Redis, as the fleet view reads
 *       it) is {@code threshold} minutes old or more; a DPU that never reported counts from when
 *       the rule began to apply to it. Not evaluated while Redis holds no realtime state.
 *   <li>{@code flood}: its datapoints with timestamps in the last {@code alerts.floodWindowSeconds}
 *       (datapoint time, one grouped query) are more than {@code threshold} per minute; a gateway
 *       that flushes a backlog sends old timestamps, which do not count.
 *   <li>{@code imbalance}: |entries − exits| of its datapoints of the current local day of the
 *       rule's space (UTC for a DPU's own rule) is above {@code threshold} (one query for every
 *       pair).
 * </ul>
 *
 * <p>States live in PostgreSQL ({@code dpu_alert_state}); a transition is a conditional write in
 * the statement that records the alert, so a leader that takes over, or one that lost the lead in
 * the middle of an evaluation, never fires or clears a pair twice. A pair that no longer applies
 * (the DPU was unlinked from the rule's space) clears.
 */
final class DpuHealth {
  private static final Logger LOG = Logger.getLogger(DpuHealth.class.getName());

  /** One rule for one DPU. */
  private record Target(
      long rule, String kind, int threshold, String dpu, String timeZone, Instant since) {}

  private record Pair(long rule, String dpu) {}

  private final Vertx vertx;
  private final Pool pool;
  private final Redis redis;
  private final RedisKeys keys;
  private final Webhooks webhooks;
  private final DensityConfig.Alerts config;
  private final AlertOutbox outbox;
  private long timer = -1;

  /** Bumped at each start and stop: a chain of evaluations of an earlier lead ends by itself. */
  private long generation;

  DpuHealth(
      Vertx vertx,
      Pool pool,
      Redis redis,
      RedisKeys keys,
      Webhooks webhooks,
      DensityConfig.Alerts config,
      AlertOutbox outbox) {
    this.outbox = outbox;
    this.vertx = vertx;
    this.pool = pool;
    this.redis = redis;
    this.keys = keys;
    this.webhooks = webhooks;
    this.config = config;
  }

  /** Evaluates now, then every {@code alerts.healthCheckMs} after the end of the last one. */
  void start() {
    vertx.cancelTimer(timer);
    next(++generation);
  }

  void stop() {
    generation++;
    vertx.cancelTimer(timer);
  }

  private void next(long lead) {
    if (lead != generation) {
      return;
    }
    evaluate()
        .onFailure(err -> LOG.log(Level.WARNING, "sensor-health evaluation failed", err))
        .onComplete(
            done -> {
              if (lead == generation) {
                timer = vertx.setTimer(config.healthCheckMs(), id -> next(lead));
              }
            });
  }

  /** One evaluation of every rule for every DPU it applies to. */
  Future<Void> evaluate() {
    Instant now = Instant.now();
    Future<RowSet<Row>> targets = pool.query(Statements.HEALTH_TARGETS).execute();
    Future<RowSet<Row>> firing = pool.query(Statements.HEALTH_FIRING).execute();
    return Future.all(targets, firing)
        .compose(
            all -> {
              List<Target> list = new ArrayList<>();
              for (Row r : targets.result()) {
                list.add(
                    new Target(
                        r.getLong("rule_id"),
                        r.getString("kind"),
                        r.getInteger("threshold"),
                        r.getString("dpu_id"),
                        r.getString("time_zone"),
                        r.getOffsetDateTime("since").toInstant()));
              }
              Set<Pair> fired = new HashSet<>();
              firing.result().forEach(r -> fired.add(new Pair(r.getLong(0), r.getString(1))));
              if (list.isEmpty() && fired.isEmpty()) {
                return Future.succeededFuture(); // no rule applies to any DPU: nothing to record
              }
              return measure(list, now)
                  .compose(values -> record(list, fired, values, now))
                  .compose(
                      v ->
                          pool.preparedQuery(Statements.HEALTH_EVALUATED)
                              .execute(Tuple.of(now.atOffset(ZoneOffset.UTC)))
                              .mapEmpty());
            });
  }

  /**
   * What each pair measures: minutes silent, datapoints per minute, or |entries − exits| today; a
   * pair that cannot be measured now (Redis without state) is left out and keeps its state.
   */
  private Future<Map<Target, Integer>> measure(List<Target> targets, Instant now) {
    Set<String> silent = new LinkedHashSet<>();
    Set<String> flood = new LinkedHashSet<>();
    List<Target> imbalance = new ArrayList<>();
    for (Target t : targets) {
      switch (t.kind()) {
        case "silent" -> silent.add(t.dpu());
        case "flood" -> flood.add(t.dpu());
        default -> imbalance.add(t);
      }
    }
    Future<Map<String, Long>> arrivals = arrivals(new ArrayList<>(silent));
    Future<Map<String, Long>> recent = recent(new ArrayList<>(flood), now);
    Future<Map<String, Integer>> balances = balances(imbalance, now);
    return Future.join(arrivals, recent, balances)
        .transform(
            done -> {
              Map<Target, Integer> values = new HashMap<>();
              for (Target t : targets) {
                switch (t.kind()) {
                  case "silent" -> {
                    if (arrivals.succeeded() && arrivals.result() != null) {
                      Long rx = arrivals.result().get(t.dpu());
                      long from = rx != null ? rx : Timestamps.toMicros(t.since());
                      long micros = Math.max(0, Timestamps.toMicros(now) - from);
                      values.put(t, (int) Math.min(Integer.MAX_VALUE, micros / 60_000_000L));
                    }
                  }
                  case "flood" -> {
                    if (recent.succeeded()) {
                      long n = recent.result().getOrDefault(t.dpu(), 0L);
                      // per minute, rounded up: "more than N a minute" is n·60 > N·window
                      long perMinute =
                          (n * 60 + config.floodWindowSeconds() - 1) / config.floodWindowSeconds();
                      values.put(t, (int) Math.min(Integer.MAX_VALUE, perMinute));
                    }
                  }
                  default -> {
                    if (balances.succeeded()) {
                      Integer balance = balances.result().get(dayKey(t, now));
                      values.put(t, balance == null ? 0 : Math.abs(balance));
                    }
                  }
                }
              }
              List<Throwable> failures = new ArrayList<>();
              for (Future<?> f : List.of(arrivals, recent, balances)) {
                if (f.failed()) {
                  failures.add(f.cause());
                }
              }
              failures.forEach(
                  err -> LOG.log(Level.WARNING, "a sensor-health measure failed; retried", err));
              return Future.succeededFuture(values);
            });
  }

  /**
   * Whether the measured value breaks the rule. A flood's rate is rounded up, which keeps the test
   * exact: ⌈n·60/window⌉ > N exactly when n·60/window > N.
   */
  private static boolean breaks(Target t, int value) {
    return t.kind().equals("silent") ? value >= t.threshold() : value > t.threshold();
  }

  /**
   * Last arrival (µs) of each DPU; null (not measured) while Redis holds no realtime state, since
   * every DPU would then look silent.
   */
  private Future<Map<String, Long>> arrivals(List<String> dpus) {
    if (dpus.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    List<Request> asks = new ArrayList<>();
    asks.add(Request.cmd(Command.EXISTS).arg(keys.meta()));
    asks.addAll(DpuTotals.reads(keys, dpus));
    return redis
        .batch(asks)
        .map(
            answers -> {
              if (answers.get(0).toInteger() == 0) {
                return null;
              }
              List<DpuTotals> totals = DpuTotals.of(answers.subList(1, answers.size()));
              Map<String, Long> out = new HashMap<>();
              for (int i = 0; i < dpus.size(); i++) {
                if (totals.get(i) != null) {
                  out.put(dpus.get(i), totals.get(i).lastRx());
                }
              }
              return out;
            });
  }

  /** Datapoints of each DPU with timestamps in the flood window. */
  private Future<Map<String, Long>> recent(List<String> dpus, Instant now) {
    if (dpus.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    OffsetDateTime from = now.minusSeconds(config.floodWindowSeconds()).atOffset(ZoneOffset.UTC);
    return pool.preparedQuery(Statements.HEALTH_RECENT_DATAPOINTS)
        .execute(Tuple.of(dpus.toArray(String[]::new), from))
        .map(
            rows -> {
              Map<String, Long> out = new HashMap<>();
              rows.forEach(r -> out.put(r.getString("dpu_id"), r.getLong("n")));
              return out;
            });
  }

  /** The local day of now in the pair's time zone, as a key: DPU and the day's start (µs). */
  private static String dayKey(Target t, Instant now) {
    ZoneId zone = ZoneId.of(t.timeZone());
    long start = Timestamps.toMicros(LocalDate.ofInstant(now, zone).atStartOfDay(zone).toInstant());
    return t.dpu() + "\u0000" + start;
  }

  /** Entries minus exits of each DPU over its pairs' local days, keyed by {@link #dayKey}. */
  private Future<Map<String, Integer>> balances(List<Target> targets, Instant now) {
    Map<String, Object[]> days = new HashMap<>();
    for (Target t : targets) {
      ZoneId zone = ZoneId.of(t.timeZone());
      LocalDate day = LocalDate.ofInstant(now, zone);
      Instant start = day.atStartOfDay(zone).toInstant();
      Instant end = day.plusDays(1).atStartOfDay(zone).toInstant();
      days.putIfAbsent(dayKey(t, now), new Object[] {t.dpu(), start, end});
    }
    if (days.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    int n = days.size();
    String[] dpus = new String[n];
    OffsetDateTime[] starts = new OffsetDateTime[n];
    OffsetDateTime[] ends = new OffsetDateTime[n];
    int i = 0;
    for (Object[] d : days.values()) {
      dpus[i] = (String) d[0];
      starts[i] = ((Instant) d[1]).atOffset(ZoneOffset.UTC);
      ends[i] = ((Instant) d[2]).atOffset(ZoneOffset.UTC);
      i++;
    }
    return pool.preparedQuery(Statements.HEALTH_DAY_BALANCE)
        .execute(Tuple.of(dpus, starts, ends))
        .map(
            rows -> {
              Map<String, Integer> out = new HashMap<>();
              for (Row r : rows) {
                long start = Timestamps.toMicros(r.getOffsetDateTime("day_start"));
                out.put(r.getString("dpu_id") + "\u0000" + start, r.getInteger("balance"));
              }
              return out;
            });
  }

  /**
   * Fires the pairs that break their rule and are not firing, clears those that no longer do (or no
   * longer apply), then publishes and delivers the alerts recorded.
   */
  private Future<Void> record(
      List<Target> targets, Set<Pair> firing, Map<Target, Integer> values, Instant now) {
    Transitions fire = new Transitions();
    Transitions clear = new Transitions();
    Set<Pair> applying = new HashSet<>();
    for (Target t : targets) {
      Pair pair = new Pair(t.rule(), t.dpu());
      if (!applying.add(pair)) {
        continue; // listed twice (cannot be, links of a DPU and space do not overlap): once
      }
      Integer value = values.get(t);
      if (value == null || !withinOpeningHours(t, now)) {
        continue; // not measured now, or outside the hours it is evaluated in: state kept
      }
      boolean broken = breaks(t, value);
      if (broken && !firing.contains(pair)) {
        fire.add(pair, value);
      } else if (!broken && firing.contains(pair)) {
        clear.add(pair, value);
      }
    }
    for (Pair pair : firing) {
      if (!applying.contains(pair)) {
        clear.add(pair, null);
      }
    }
    OffsetDateTime at = now.atOffset(ZoneOffset.UTC);
    if (fire.rules.isEmpty() && clear.rules.isEmpty()) {
      return Future.succeededFuture();
    }
    // The alerts go to the egress outbox in the transaction that records them.
    return pool.withTransaction(
            conn ->
                fire.write(conn, Statements.HEALTH_FIRE, at)
                    .compose(
                        fired ->
                            clear
                                .write(conn, Statements.HEALTH_CLEAR, at)
                                .map(
                                    cleared -> {
                                      List<JsonObject> alerts = new ArrayList<>(fired);
                                      alerts.addAll(cleared);
                                      return alerts;
                                    }))
                    .compose(alerts -> outbox.record(conn, alerts).map(alerts)))
        .compose(
            alerts -> {
              Future<Void> chain = Future.succeededFuture();
              for (JsonObject alert : alerts) {
                vertx.eventBus().publish(Addresses.ALERT_EVENTS, alert);
                chain = chain.compose(v -> webhooks.deliver(alert));
              }
              return chain;
            });
  }

  /**
   * Whether a pair is evaluated now. Spaces have no opening hours yet: every rule is evaluated at
   * every hour. When spaces get a weekly schedule, a {@code silent} rule of a space with one is to
   * be evaluated only within it (outside, its state is kept, so a DPU silent overnight neither
   * fires nor clears), as the issue asks.
   */
  private static boolean withinOpeningHours(Target t, Instant now) {
    return true;
  }

  /** Pairs whose state is to change in one statement. */
  private final class Transitions {
    final List<Long> rules = new ArrayList<>();
    final List<String> dpus = new ArrayList<>();
    final List<Integer> values = new ArrayList<>();

    void add(Pair pair, Integer value) {
      rules.add(pair.rule());
      dpus.add(pair.dpu());
      values.add(value);
    }

    /** The alerts recorded, in order (none when no pair changed). */
    Future<List<JsonObject>> write(SqlClient conn, String statement, OffsetDateTime at) {
      if (rules.isEmpty()) {
        return Future.succeededFuture(List.of());
      }
      return conn.preparedQuery(statement)
          .execute(
              Tuple.of(
                  rules.toArray(Long[]::new),
                  dpus.toArray(String[]::new),
                  values.toArray(Integer[]::new),
                  at))
          .map(
              rows -> {
                List<JsonObject> alerts = new ArrayList<>();
                rows.forEach(r -> alerts.add(AlertAdmin.alert(r)));
                return alerts;
              });
    }
  }
}
