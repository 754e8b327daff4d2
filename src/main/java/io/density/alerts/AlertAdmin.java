package io.density.alerts;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.db.Sql;
import io.density.time.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.Map;

/**
 * Management of alerts: a space's rules, the webhooks, the alerts fired, sensor-health rules: the
 * {@link AlertRequest}s, their input checked where it entered; a change is announced on {@link
 * Addresses#ALERTS_CHANGED} for the alert writer.
 */
final class AlertAdmin implements AlertRequest.Operations {
  private final Vertx vertx;
  private final Pool pool;
  private final WebhookTargets targets;

  AlertAdmin(Vertx vertx, Pool pool, WebhookTargets targets) {
    this.vertx = vertx;
    this.pool = pool;
    this.targets = targets;
  }

  /**
   * Replaces the space's capacity rules (their states start below) → the rules, as {@link
   * #getRules} answers.
   */
  @Override
  public Future<JsonObject> putRules(AlertRequest.PutRules r) {
    String space = r.space();
    int n = r.levels().size();
    String[] names = new String[n];
    Integer[] level = new Integer[n];
    Integer[] hysteresis = new Integer[n];
    Integer[] cooldown = new Integer[n];
    for (int i = 0; i < n; i++) {
      AlertRequest.Level rule = r.levels().get(i);
      names[i] = rule.name();
      level[i] = rule.level();
      hysteresis[i] = rule.hysteresis();
      cooldown[i] = rule.cooldownSeconds();
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

  @Override
  public Future<JsonObject> getRules(AlertRequest.GetRules r) {
    return rules(r.space());
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
   * Registers (or replaces, and resumes) a webhook. A new webhook gets a signing secret, shown in
   * this answer only; a replaced one keeps its secret unless {@code rotateSecret}, when it gets a
   * new one, shown likewise. The URL must pass the target rule ({@link WebhookTargets}); the answer
   * (to an admin) shows it whole.
   */
  @Override
  public Future<JsonObject> putWebhook(AlertRequest.PutWebhook r) {
    String url = r.url();
    String[] spaceIds = r.spaceIds() == null ? null : r.spaceIds().toArray(String[]::new);
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
                    .execute(Tuple.of(r.id(), url, spaceIds, secret, r.rotateSecret())))
        .map(
            rows -> {
              Row row = rows.iterator().next();
              JsonObject answer = webhook(row).put("created", row.getBoolean("created"));
              if (row.getBoolean("secret_set")) {
                answer.put("secret", secret);
              }
              return answer;
            });
  }

  /**
   * Every webhook, without its secret; its URL whole only when asked ({@code whole}: an admin
   * asks), else with userinfo, query and fragment masked ({@link WebhookUrls}), in {@code
   * last_error} too.
   */
  @Override
  public Future<JsonObject> listWebhooks(AlertRequest.ListWebhooks q) {
    boolean whole = q.whole();
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

  @Override
  public Future<JsonObject> listAlerts(AlertRequest.ListAlerts q) {
    return pool.preparedQuery(Statements.LIST_ALERTS)
        .execute(Tuple.of(q.space(), q.limit(), q.dpu()))
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

  /**
   * Replaces the rules of a DPU or of a space, at most one per kind. A kind that stays keeps its
   * state (a firing rule goes on firing until its DPU is healthy); a kind left out goes with its
   * state, without a cleared alert.
   */
  @Override
  public Future<JsonObject> putHealthRules(AlertRequest.PutHealthRules r) {
    String dpu = r.dpu();
    String space = r.space();
    String[] kinds = r.rules().stream().map(AlertRequest.HealthRule::kind).toArray(String[]::new);
    Integer[] thresholds =
        r.rules().stream().map(AlertRequest.HealthRule::threshold).toArray(Integer[]::new);
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
        .compose(
            v ->
                dpu != null
                    ? getDpuHealthRules(new AlertRequest.GetDpuHealthRules(dpu))
                    : getSpaceHealthRules(new AlertRequest.GetSpaceHealthRules(space)));
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
  @Override
  public Future<JsonObject> getDpuHealthRules(AlertRequest.GetDpuHealthRules q) {
    String dpu = q.dpu();
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
  @Override
  public Future<JsonObject> getSpaceHealthRules(AlertRequest.GetSpaceHealthRules q) {
    String space = q.space();
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
