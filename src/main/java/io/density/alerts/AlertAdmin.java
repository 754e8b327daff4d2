package io.density.alerts;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.bus.InvalidInput;
import io.density.db.Sql;
import io.density.ingest.Ids;
import io.density.time.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Management of alerts: a space's rules, the webhooks, the alerts fired. Requests are {@code
 * {action, ...}}; a change is announced on {@link Addresses#ALERTS_CHANGED} for the alert writer.
 */
final class AlertAdmin {
  private final Vertx vertx;
  private final Pool pool;
  private final WebhookTargets targets;

  AlertAdmin(Vertx vertx, Pool pool, WebhookTargets targets) {
    this.vertx = vertx;
    this.pool = pool;
    this.targets = targets;
  }

  /** The operations of {@code Addresses.ALERTS_ADMIN}, by the name in its action header. */
  Map<String, Function<JsonObject, Future<JsonObject>>> actions() {
    return Map.of(
        "rules.put",
        q -> putRules(q.getString("space"), q.getJsonObject("body")),
        "rules.get",
        q -> rules(q.getString("space")),
        "webhook.put",
        q -> putWebhook(q.getString("id"), q.getJsonObject("body")),
        "webhook.list",
        q -> webhooks(q.getBoolean("whole", false)),
        "alerts.list",
        q -> alerts(q.getString("space"), q.getString("dpu"), q.getInteger("limit", 100)),
        "health.dpu.put",
        q -> putHealthRules(q.getString("dpu"), null, q.getJsonObject("body")),
        "health.dpu.get",
        q -> dpuHealthRules(q.getString("dpu")),
        "health.space.put",
        q -> putHealthRules(null, q.getString("space"), q.getJsonObject("body")),
        "health.space.get",
        q -> spaceHealthRules(q.getString("space")));
  }

  /**
   * {@code {levels: [{name, level (or "capacity"), hysteresis = 1, cooldown_seconds = 60}]}}:
   * replaces the space's rules (their states start below).
   */
  private Future<JsonObject> putRules(String space, JsonObject body) {
    Object raw = body.getValue("levels");
    if (!(raw instanceof JsonArray levels)) {
      return Future.failedFuture(Failure.invalid("levels", "levels must be an array of rules"));
    }
    int n = levels.size();
    String[] names = new String[n];
    Integer[] level = new Integer[n];
    Integer[] hysteresis = new Integer[n];
    Integer[] cooldown = new Integer[n];
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < n; i++) {
      if (!(levels.getValue(i) instanceof JsonObject rule)) {
        return Future.failedFuture(Failure.invalid("levels", "each rule must be an object"));
      }
      names[i] = rule.getValue("name") instanceof String s && !s.isBlank() ? s : null;
      if (names[i] == null || !seen.add(names[i])) {
        return Future.failedFuture(Failure.invalid("levels", "each rule needs a name of its own"));
      }
      try {
        Ids.storable(names[i], "name");
      } catch (InvalidInput e) {
        return Future.failedFuture(Failure.invalid("name", e.getMessage()));
      }
      if (names[i].length() > 64) {
        return Future.failedFuture(
            Failure.invalid("name", "a rule's name is at most 64 characters"));
      }
      Object l = rule.getValue("level");
      if ("capacity".equals(l)) {
        level[i] = null;
      } else if (l instanceof Integer v && v >= 1) {
        level[i] = v;
      } else {
        return Future.failedFuture(
            Failure.invalid("level", "level must be a positive integer or \"capacity\""));
      }
      hysteresis[i] = positive(rule.getValue("hysteresis", 1));
      cooldown[i] = rule.getValue("cooldown_seconds", 60) instanceof Integer c && c >= 0 ? c : null;
      if (hysteresis[i] == null || cooldown[i] == null) {
        return Future.failedFuture(
            Failure.invalid("levels", "hysteresis must be ≥ 1 and cooldown_seconds ≥ 0"));
      }
    }
    return spaceExists(space)
        .compose(
            exists ->
                pool.withTransaction(
                    conn ->
                        conn.preparedQuery(Statements.DELETE_ALERT_RULES)
                            .execute(Tuple.of(space))
                            .compose(
                                deleted ->
                                    conn.preparedQuery(Statements.INSERT_ALERT_RULES)
                                        .execute(
                                            Tuple.of(space, names, level, hysteresis, cooldown)))))
        .compose(v -> changed())
        .compose(v -> rules(space));
  }

  private static Integer positive(Object value) {
    return value instanceof Integer v && v >= 1 ? v : null;
  }

  private Future<Void> spaceExists(String space) {
    return pool.preparedQuery(Sql.SPACE_EXISTS)
        .execute(Tuple.of(space))
        .compose(
            rows ->
                rows.size() == 0
                    ? Future.failedFuture(Failure.notFound("unknown space " + space))
                    : Future.succeededFuture());
  }

  private Future<JsonObject> rules(String space) {
    return spaceExists(space)
        .compose(v -> pool.preparedQuery(Statements.SPACE_ALERT_RULES).execute(Tuple.of(space)))
        .map(
            rows -> {
              JsonArray levels = new JsonArray();
              for (Row r : rows) {
                Integer level = r.getInteger("level");
                levels.add(
                    new JsonObject()
                        .put("name", r.getString("name"))
                        .put("level", level == null ? "capacity" : level)
                        .put("hysteresis", r.getInteger("hysteresis"))
                        .put("cooldown_seconds", r.getInteger("cooldown_seconds"))
                        .put("above", r.getBoolean("above"))
                        .put("last_fired_at", time(r.getOffsetDateTime("last_fired_at"))));
              }
              return new JsonObject().put("space_id", space).put("levels", levels);
            });
  }

  /**
   * {@code {url, space_ids?, rotate_secret?}}: registers (or replaces, and resumes) a webhook. A
   * new webhook gets a signing secret, shown in this answer only; a replaced one keeps its secret
   * unless {@code rotate_secret} is true, when it gets a new one, shown likewise. The URL must pass
   * the target rule ({@link WebhookTargets}); the answer (to an admin) shows it whole.
   */
  private Future<JsonObject> putWebhook(String id, JsonObject body) {
    Object url = body.getValue("url");
    Object rotate = body.getValue("rotate_secret", false);
    if (!(rotate instanceof Boolean)) {
      return Future.failedFuture(
          Failure.invalid("rotate_secret", "rotate_secret must be true or false"));
    }
    String[] spaceIds;
    try {
      spaceIds = spaceIds(body.getValue("space_ids"));
    } catch (InvalidInput e) {
      return Future.failedFuture(Failure.of(e));
    }
    String secret = WebhookSigner.newSecret();
    return targets
        .check(url)
        .recover(
            err ->
                Future.failedFuture(
                    err instanceof WebhookTargets.Refused
                        ? Failure.invalid("url", err.getMessage())
                        : err))
        .compose(
            uri ->
                pool.preparedQuery(Statements.UPSERT_WEBHOOK)
                    .execute(Tuple.of(id, url, spaceIds, secret, rotate)))
        .map(
            rows -> {
              Row r = rows.iterator().next();
              JsonObject answer = webhook(r).put("created", r.getBoolean("created"));
              if (r.getBoolean("secret_set")) {
                answer.put("secret", secret);
              }
              return answer;
            });
  }

  /** The spaces a webhook is for (null: all), each following the id rule. */
  private static String[] spaceIds(Object value) throws InvalidInput {
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonArray spaces)) {
      throw new InvalidInput("space_ids", "space_ids must be an array of space ids");
    }
    String[] ids = new String[spaces.size()];
    for (int i = 0; i < ids.length; i++) {
      Object id = spaces.getValue(i);
      if (!(id instanceof String || id instanceof Integer || id instanceof Long)) {
        throw new InvalidInput("space_ids", "space_ids must be an array of space ids");
      }
      ids[i] = Ids.check(String.valueOf(id), "space_ids");
    }
    return ids;
  }

  /**
   * Every webhook, without its secret; its URL whole only when asked ({@code whole}: an admin
   * asks), else with userinfo, query and fragment masked ({@link WebhookUrls}), in {@code
   * last_error} too.
   */
  private Future<JsonObject> webhooks(boolean whole) {
    return pool.query(Statements.LIST_WEBHOOKS)
        .execute()
        .map(
            rows -> {
              JsonArray items = new JsonArray();
              rows.forEach(r -> items.add(whole ? webhook(r) : masked(webhook(r))));
              return new JsonObject().put("items", items);
            });
  }

  private static JsonObject webhook(Row r) {
    String[] spaces = r.getArrayOfStrings("space_ids");
    OffsetDateTime paused = r.getOffsetDateTime("paused_at");
    return new JsonObject()
        .put("id", r.getString("id"))
        .put("url", r.getString("url"))
        .put(
            "space_ids",
            spaces == null ? null : new JsonArray(java.util.List.of((Object[]) spaces)))
        .put("state", paused == null ? "active" : "paused")
        .put("paused_at", time(paused))
        .put("failures", r.getInteger("failures"))
        .put("last_error", r.getString("last_error"));
  }

  /** A webhook as a reader without the admin scope sees it. */
  private static JsonObject masked(JsonObject webhook) {
    String url = webhook.getString("url");
    return webhook
        .put("url", WebhookUrls.masked(url))
        .put("last_error", WebhookUrls.withoutSecrets(webhook.getString("last_error"), url));
  }

  private Future<JsonObject> alerts(String space, String dpu, int limit) {
    return pool.preparedQuery(Statements.LIST_ALERTS)
        .execute(Tuple.of(space, Math.min(Math.max(limit, 1), 10_000), dpu))
        .map(
            rows -> {
              JsonArray items = new JsonArray();
              rows.forEach(r -> items.add(alert(r)));
              return new JsonObject().put("items", items);
            });
  }

  /**
   * An alert as published, delivered and listed. A space's capacity alert: {@code id, space_id,
   * rule, kind (above|below), level, count, timestamp, fired_at}. A DPU's health alert: {@code id,
   * dpu_id, space_id (the rule's space, null for the DPU's own rule), rule (dpu|space), kind
   * (silent|flood|imbalance), state (fired|cleared), threshold, value, timestamp, fired_at}.
   */
  static JsonObject alert(Row r) {
    JsonObject alert = new JsonObject().put("id", r.getLong("id"));
    String dpu = r.getString("dpu_id");
    if (dpu == null) {
      return alert
          .put("space_id", r.getString("space_id"))
          .put("rule", r.getString("rule"))
          .put("kind", r.getString("kind"))
          .put("level", r.getInteger("level"))
          .put("count", r.getInteger("count"))
          .put("timestamp", time(r.getOffsetDateTime("ts")))
          .put("fired_at", time(r.getOffsetDateTime("fired_at")));
    }
    return alert
        .put("dpu_id", dpu)
        .put("space_id", r.getString("space_id"))
        .put("rule", r.getString("rule"))
        .put("kind", r.getString("kind"))
        .put("state", r.getString("state"))
        .put("threshold", r.getInteger("level"))
        .put("value", r.getInteger("value"))
        .put("timestamp", time(r.getOffsetDateTime("ts")))
        .put("fired_at", time(r.getOffsetDateTime("fired_at")));
  }

  // ---------------------------------------------------------------- sensor-health rules

  private static final java.util.List<String> HEALTH_KINDS =
      java.util.List.of("silent", "flood", "imbalance");

  /**
   * {@code {rules: [{kind, threshold}]}}, at most one rule per kind: replaces the rules of a DPU or
   * of a space. A kind that stays keeps its state (a firing rule goes on firing until its DPU is
   * healthy); a kind left out goes with its state, without a cleared alert.
   */
  private Future<JsonObject> putHealthRules(String dpu, String space, JsonObject body) {
    Object raw = body.getValue("rules");
    if (!(raw instanceof JsonArray rules)) {
      return Future.failedFuture(Failure.invalid("rules", "rules must be an array of rules"));
    }
    int n = rules.size();
    String[] kinds = new String[n];
    Integer[] thresholds = new Integer[n];
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < n; i++) {
      if (!(rules.getValue(i) instanceof JsonObject rule)) {
        return Future.failedFuture(Failure.invalid("rules", "each rule must be an object"));
      }
      Object kind = rule.getValue("kind");
      if (!(kind instanceof String k) || !HEALTH_KINDS.contains(k)) {
        return Future.failedFuture(
            Failure.invalid("kind", "kind must be silent, flood or imbalance"));
      }
      if (!seen.add(k)) {
        return Future.failedFuture(Failure.invalid("rules", "one rule per kind: " + k + " twice"));
      }
      if (!(rule.getValue("threshold") instanceof Integer t) || t < 1 || t > 1_000_000) {
        return Future.failedFuture(
            Failure.invalid("threshold", "threshold must be an integer from 1 to 1000000"));
      }
      kinds[i] = k;
      thresholds[i] = t;
    }
    Future<Void> exists = dpu != null ? dpuExists(dpu) : spaceExists(space);
    return exists
        .compose(
            v ->
                pool.withTransaction(
                    conn ->
                        conn.preparedQuery(Statements.DELETE_HEALTH_RULES_BUT)
                            .execute(Tuple.of(dpu, space, kinds))
                            .compose(
                                deleted ->
                                    conn.preparedQuery(
                                            dpu != null
                                                ? Statements.UPSERT_DPU_HEALTH_RULES
                                                : Statements.UPSERT_SPACE_HEALTH_RULES)
                                        .execute(
                                            Tuple.of(
                                                dpu != null ? dpu : space, kinds, thresholds)))))
        .compose(v -> dpu != null ? dpuHealthRules(dpu) : spaceHealthRules(space));
  }

  private Future<Void> dpuExists(String dpu) {
    return pool.preparedQuery(Statements.DPU_EXISTS)
        .execute(Tuple.of(dpu))
        .compose(
            rows ->
                rows.size() == 0
                    ? Future.failedFuture(Failure.notFound("unknown DPU " + dpu))
                    : Future.succeededFuture());
  }

  /** The state of a rule for one DPU: firing, since when, and the value last measured. */
  private static JsonObject state(JsonObject into, Row r) {
    Boolean firing = r.getBoolean("firing");
    return into.put("firing", firing != null && firing)
        .put("since", firing == null ? null : time(r.getOffsetDateTime("changed_at")))
        .put("value", r.getInteger("value"));
  }

  private Future<String> evaluatedAt() {
    return pool.query(Statements.HEALTH_EVALUATED_AT)
        .execute()
        .map(rows -> rows.size() == 0 ? null : time(rows.iterator().next().getOffsetDateTime(0)));
  }

  /**
   * {@code {dpu_id, rules, space_rules, evaluated_at}}: the DPU's own rules and those of the spaces
   * it is linked to now, each with its state for this DPU.
   */
  private Future<JsonObject> dpuHealthRules(String dpu) {
    return dpuExists(dpu)
        .compose(
            v ->
                Future.all(
                    pool.preparedQuery(Statements.HEALTH_RULES_FOR_DPU).execute(Tuple.of(dpu)),
                    evaluatedAt()))
        .map(
            all -> {
              JsonArray own = new JsonArray();
              JsonArray ofSpaces = new JsonArray();
              io.vertx.sqlclient.RowSet<Row> rows = all.resultAt(0);
              for (Row r : rows) {
                String space = r.getString("space_id");
                JsonObject rule = new JsonObject();
                if (space != null) {
                  rule.put("space_id", space);
                }
                rule.put("kind", r.getString("kind")).put("threshold", r.getInteger("threshold"));
                (space == null ? own : ofSpaces).add(state(rule, r));
              }
              return new JsonObject()
                  .put("dpu_id", dpu)
                  .put("rules", own)
                  .put("space_rules", ofSpaces)
                  .put("evaluated_at", all.resultAt(1));
            });
  }

  /**
   * {@code {space_id, rules: [{kind, threshold, dpus: [{dpu_id, firing, since, value}]}],
   * evaluated_at}}: the space's rules with the DPUs linked to it now.
   */
  private Future<JsonObject> spaceHealthRules(String space) {
    return spaceExists(space)
        .compose(
            v ->
                Future.all(
                    pool.preparedQuery(Statements.HEALTH_RULES_FOR_SPACE).execute(Tuple.of(space)),
                    evaluatedAt()))
        .map(
            all -> {
              JsonArray rules = new JsonArray();
              Map<Long, JsonArray> dpus = new java.util.LinkedHashMap<>();
              io.vertx.sqlclient.RowSet<Row> rows = all.resultAt(0);
              for (Row r : rows) {
                JsonArray list =
                    dpus.computeIfAbsent(
                        r.getLong("id"),
                        id -> {
                          JsonArray l = new JsonArray();
                          rules.add(
                              new JsonObject()
                                  .put("kind", r.getString("kind"))
                                  .put("threshold", r.getInteger("threshold"))
                                  .put("dpus", l));
                          return l;
                        });
                if (r.getString("dpu_id") != null) {
                  list.add(state(new JsonObject().put("dpu_id", r.getString("dpu_id")), r));
                }
              }
              return new JsonObject()
                  .put("space_id", space)
                  .put("rules", rules)
                  .put("evaluated_at", all.resultAt(1));
            });
  }

  private Future<Void> changed() {
    vertx.eventBus().publish(Addresses.ALERTS_CHANGED, new JsonObject());
    return Future.succeededFuture();
  }

  private static String time(OffsetDateTime t) {
    return Timestamps.format(t);
  }
}
