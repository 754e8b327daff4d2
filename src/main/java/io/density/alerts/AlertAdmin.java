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
        "rules.put", q -> putRules(q.getString("space"), q.getJsonObject("body")),
        "rules.get", q -> rules(q.getString("space")),
        "webhook.put", q -> putWebhook(q.getString("id"), q.getJsonObject("body")),
        "webhook.list", q -> webhooks(q.getBoolean("whole", false)),
        "alerts.list", q -> alerts(q.getString("space"), q.getInteger("limit", 100)));
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

  private Future<JsonObject> alerts(String space, int limit) {
    return pool.preparedQuery(Statements.LIST_ALERTS)
        .execute(Tuple.of(space, Math.min(Math.max(limit, 1), 10_000)))
        .map(
            rows -> {
              JsonArray items = new JsonArray();
              for (Row r : rows) {
                items.add(
                    new JsonObject()
                        .put("id", r.getLong("id"))
                        .put("space_id", r.getString("space_id"))
                        .put("rule", r.getString("rule"))
                        .put("kind", r.getString("kind"))
                        .put("level", r.getInteger("level"))
                        .put("count", r.getInteger("count"))
                        .put("timestamp", time(r.getOffsetDateTime("ts")))
                        .put("fired_at", time(r.getOffsetDateTime("fired_at"))));
              }
              return new JsonObject().put("items", items);
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
