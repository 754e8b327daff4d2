package io.density.alerts;

import io.density.config.DensityConfig;
import io.density.telemetry.Metrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.client.WebClient;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Delivers alerts to the webhooks that take them: an HTTP POST of the alert's JSON, signed ({@link
 * WebhookSigner}), answered by any 2xx (redirects are not followed); each attempt bounded by a
 * timeout, retried with doubling backoff. Alerts reach a webhook in the order they fired (one
 * delivery at a time per webhook). A webhook whose deliveries keep failing is paused, with the last
 * error, until it is registered again.
 *
 * <p>Before each attempt the target rule ({@link WebhookTargets}, the one checked at registration)
 * is checked again: on the URL's form, and on the host's address (a literal) or every address its
 * name resolves to now (on a worker thread); the request then goes to a checked address, so a name
 * cannot resolve to another one between the check and the connection. A refused target fails the
 * delivery at once, without an attempt.
 *
 * <p>At most {@code alerts.maxPendingDeliveries} deliveries wait on this node (besides the one in
 * flight per webhook); when a new one would exceed that, the oldest waiting one is dropped: the
 * latest alerts tell the current state, and every alert stays listed in {@code GET /v1/alerts}.
 * Figures: {@code density_webhook_delivered_total}, {@code density_webhook_failures_total{reason}}
 * ({@code refused_target}, {@code attempts_exhausted}), {@code density_webhook_dropped_total} and
 * {@code density_webhook_pending_deliveries}.
 */
final class Webhooks {
  private static final Logger LOG = Logger.getLogger(Webhooks.class.getName());

  /** One alert for one webhook. Identity matters: the same alert goes to several webhooks. */
  private static final class Delivery {
    final String webhook;
    final String url;
    final String secret;
    final JsonObject alert;

    Delivery(String webhook, String url, String secret, JsonObject alert) {
      this.webhook = webhook;
      this.url = url;
      this.secret = secret;
      this.alert = alert;
    }
  }

  /** A delivery the target rule refuses: it fails without an attempt, and is not retried. */
  private static final class TargetRefused extends Exception {
    TargetRefused(String message) {
      super(message, null, false, false);
    }
  }

  private final Vertx vertx;
  private final Pool pool;
  private final WebClient client;
  private final WebhookTargets targets;
  private final DensityConfig.Alerts config;

  /** Waiting deliveries of every webhook, oldest first. */
  private final Set<Delivery> pending = new LinkedHashSet<>();

  /** Waiting deliveries per webhook, in firing order. */
  private final Map<String, ArrayDeque<Delivery>> waiting = new HashMap<>();

  /** Webhooks with a delivery in flight. */
  private final Set<String> sending = new HashSet<>();

  private final Counter delivered;
  private final Counter refused;
  private final Counter exhausted;
  private final Counter dropped;
  private Promise<Void> drained;

  Webhooks(Vertx vertx, Pool pool, WebhookTargets targets, DensityConfig.Alerts config) {
    this.vertx = vertx;
    this.pool = pool;
    this.client = WebClient.create(vertx);
    this.targets = targets;
    this.config = config;
    MeterRegistry registry = Metrics.of(vertx);
    delivered =
        Counter.builder("density_webhook_delivered")
            .description("alerts delivered to a webhook (a 2xx answer)")
            .register(registry);
    String failures = "density_webhook_failures";
    String failuresHelp = "webhook deliveries given up: target refused, or every attempt failed";
    refused =
        Counter.builder(failures)
            .description(failuresHelp)
            .tag("reason", "refused_target")
            .register(registry);
    exhausted =
        Counter.builder(failures)
            .description(failuresHelp)
            .tag("reason", "attempts_exhausted")
            .register(registry);
    dropped =
        Counter.builder("density_webhook_dropped")
            .description(
                "waiting webhook deliveries dropped, oldest first, when the queue was full")
            .register(registry);
    Gauge.builder("density_webhook_pending_deliveries", pending, Set::size)
        .description("webhook deliveries waiting on this node (not counting those in flight)")
        .register(registry);
  }

  /** Queues the alert for every active webhook of its space. */
  Future<Void> deliver(JsonObject alert) {
    return pool.preparedQuery(Statements.ACTIVE_WEBHOOKS_FOR)
        .execute(Tuple.of(alert.getString("space_id")))
        .map(
            rows -> {
              for (Row r : rows) {
                enqueue(
                    new Delivery(
                        r.getString("id"), r.getString("url"), r.getString("secret"), alert));
              }
              return null;
            });
  }

  private void enqueue(Delivery delivery) {
    if (pending.size() >= config.maxPendingDeliveries()) {
      Delivery oldest = pending.iterator().next();
      pending.remove(oldest);
      ArrayDeque<Delivery> queue = waiting.get(oldest.webhook);
      queue.remove(oldest);
      if (queue.isEmpty()) {
        waiting.remove(oldest.webhook);
      }
      dropped.increment();
      long total = (long) dropped.count();
      if (total == 1 || total % 100 == 0) {
        LOG.warning(
            "webhook deliveries dropped ("
                + total
                + " so far): more than alerts.maxPendingDeliveries ("
                + config.maxPendingDeliveries()
                + ") waiting; dropped alert "
                + oldest.alert.getLong("id")
                + " for webhook "
                + oldest.webhook);
      }
    }
    pending.add(delivery);
    waiting.computeIfAbsent(delivery.webhook, w -> new ArrayDeque<>()).addLast(delivery);
    pump(delivery.webhook);
  }

  /** Starts the webhook's next delivery unless one is in flight. */
  private void pump(String webhook) {
    if (sending.contains(webhook)) {
      return;
    }
    ArrayDeque<Delivery> queue = waiting.get(webhook);
    if (queue == null) {
      if (drained != null && sending.isEmpty() && pending.isEmpty()) {
        drained.tryComplete();
      }
      return;
    }
    Delivery next = queue.removeFirst();
    if (queue.isEmpty()) {
      waiting.remove(webhook);
    }
    pending.remove(next);
    sending.add(webhook);
    attempt(next, 1)
        .onComplete(
            done -> {
              sending.remove(webhook);
              pump(webhook);
            });
  }

  private Future<Void> attempt(Delivery d, int attempt) {
    return post(d)
        .compose(
            response ->
                response.statusCode() / 100 == 2
                    ? Future.succeededFuture()
                    : Future.failedFuture("HTTP " + response.statusCode()))
        .compose(
            v -> {
              delivered.increment();
              return pool.preparedQuery(Statements.WEBHOOK_DELIVERED)
                  .execute(Tuple.of(d.webhook))
                  .<Void>mapEmpty()
                  .otherwiseEmpty();
            },
            err -> {
              boolean targetRefused = err instanceof TargetRefused;
              if (!targetRefused && attempt < config.webhookAttempts()) {
                long backoff = (long) config.webhookBackoffMs() << (attempt - 1);
                return vertx.timer(backoff).compose(v -> attempt(d, attempt + 1));
              }
              (targetRefused ? refused : exhausted).increment();
              // An HTTP client's message may quote the request (its query): no credential of the
              // URL goes to the log or to last_error, which read tokens see.
              String why = WebhookUrls.withoutSecrets(String.valueOf(err.getMessage()), d.url);
              LOG.warning(
                  "webhook "
                      + d.webhook
                      + " failed alert "
                      + d.alert.getLong("id")
                      + (targetRefused ? ", not sent: " : ": ")
                      + why);
              return pool.preparedQuery(Statements.WEBHOOK_FAILED)
                  .execute(Tuple.of(d.webhook, why, config.pauseAfterFailures()))
                  .<Void>mapEmpty()
                  .otherwiseEmpty();
            });
  }

  /**
   * One signed POST to an address the webhook's host is (a literal) or resolves to now, if the
   * target rule allows every such address; the URL's host still names the server (Host header, TLS
   * name). A URL stored before the rule refused its form fails here likewise.
   */
  private Future<io.vertx.ext.web.client.HttpResponse<Buffer>> post(Delivery d) {
    WebhookTargets.Target target;
    try {
      target = WebhookTargets.parse(d.url);
    } catch (WebhookTargets.Refused e) {
      return Future.failedFuture(new TargetRefused("target refused: " + e.getMessage()));
    }
    return targets
        .addresses(target)
        .recover(
            err ->
                Future.failedFuture(
                    err instanceof WebhookTargets.Refused
                        ? new TargetRefused("target refused: " + err.getMessage())
                        : err))
        .compose(addresses -> send(d, target.uri(), addresses));
  }

  private Future<io.vertx.ext.web.client.HttpResponse<Buffer>> send(
      Delivery d, URI uri, List<InetAddress> addresses) {
    Buffer body = d.alert.toBuffer();
    long timestamp = System.currentTimeMillis() / 1000;
    SocketAddress server =
        SocketAddress.inetSocketAddress(
            new InetSocketAddress(addresses.get(0), WebhookTargets.port(uri)));
    return client
        .requestAbs(HttpMethod.POST, server, d.url)
        .followRedirects(false)
        .timeout(config.webhookTimeoutMs())
        .putHeader("Content-Type", "application/json")
        .putHeader(WebhookSigner.TIMESTAMP, Long.toString(timestamp))
        .putHeader(
            WebhookSigner.SIGNATURE, WebhookSigner.sign(d.secret, timestamp, body.getBytes()))
        .sendBuffer(body);
  }

  /** Finishes the deliveries in flight and waiting, then closes the client. */
  Future<Void> close() {
    drained = Promise.promise();
    if (sending.isEmpty() && pending.isEmpty()) {
      drained.tryComplete();
    }
    return drained
        .future()
        .eventually(
            () -> {
              client.close();
              return Future.succeededFuture();
            });
  }
}
