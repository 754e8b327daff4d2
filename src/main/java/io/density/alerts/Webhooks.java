package io.density.alerts;

import io.density.config.DensityConfig;
import io.density.db.Sql;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Delivers alerts to the webhooks that take them: an HTTP POST of the alert's JSON, answered by any
 * 2xx; each attempt bounded by a timeout, retried with doubling backoff. Alerts reach a webhook in
 * the order they fired (one delivery at a time per webhook). A webhook whose deliveries keep
 * failing is paused, with the last error, until it is registered again.
 */
final class Webhooks {
  private static final Logger LOG = Logger.getLogger(Webhooks.class.getName());

  private final Vertx vertx;
  private final Pool pool;
  private final WebClient client;
  private final DensityConfig.Alerts config;
  private final Map<String, Future<Void>> queues = new HashMap<>();

  Webhooks(Vertx vertx, Pool pool, DensityConfig.Alerts config) {
    this.vertx = vertx;
    this.pool = pool;
    this.client = WebClient.create(vertx);
    this.config = config;
  }

  /** Queues the alert for every active webhook of its space. */
  Future<Void> deliver(JsonObject alert) {
    return pool.preparedQuery(Sql.ACTIVE_WEBHOOKS_FOR)
        .execute(Tuple.of(alert.getString("space_id")))
        .map(
            rows -> {
              for (Row r : rows) {
                String id = r.getString("id");
                String url = r.getString("url");
                Future<Void> previous = queues.getOrDefault(id, Future.succeededFuture());
                queues.put(id, previous.transform(v -> attempt(id, url, alert, 1)));
              }
              return null;
            });
  }

  private Future<Void> attempt(String id, String url, JsonObject alert, int attempt) {
    return client
        .postAbs(url)
        .timeout(config.webhookTimeoutMs())
        .sendJsonObject(alert)
        .compose(
            response ->
                response.statusCode() / 100 == 2
                    ? Future.succeededFuture()
                    : Future.failedFuture("HTTP " + response.statusCode()))
        .compose(
            v -> pool.preparedQuery(Sql.WEBHOOK_DELIVERED).execute(Tuple.of(id)).<Void>mapEmpty())
        .recover(
            err -> {
              if (attempt < config.webhookAttempts()) {
                long backoff = (long) config.webhookBackoffMs() << (attempt - 1);
                return vertx.timer(backoff).compose(v -> attempt(id, url, alert, attempt + 1));
              }
              LOG.warning(
                  "webhook "
                      + id
                      + " failed alert "
                      + alert.getLong("id")
                      + ": "
                      + err.getMessage());
              return pool.preparedQuery(Sql.WEBHOOK_FAILED)
                  .execute(
                      Tuple.of(id, String.valueOf(err.getMessage()), config.pauseAfterFailures()))
                  .<Void>mapEmpty()
                  .otherwiseEmpty();
            });
  }

  Future<Void> close() {
    client.close();
    return Future.join(new ArrayList<>(queues.values())).<Void>mapEmpty().otherwiseEmpty();
  }
}
