package io.density.http;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code GET /v1/events[?space=A&space=B]}: count changes ({@code event: count}) and alerts ({@code
 * event: alert}, capacity and sensor-health alerts, fired and cleared) as Server-Sent Events, for
 * clients that do not join the cluster; with spaces named, the changes and alerts of those spaces
 * only (a DPU's health alert belongs to its rule's space). One event-bus consumer per address and
 * HTTP verticle fans the published changes out to its open streams; it is registered only while a
 * stream is open, so that a busy server with no watcher does not copy every change into it. A
 * client that cannot keep up is disconnected (it reconnects and reads the current counts), so a
 * slow reader never holds memory on the server; and at most {@code http.maxEventStreams} streams
 * are open on a node.
 */
final class EventStream {
  private static final long PING_MS = 15_000;

  private final Vertx vertx;
  private final int limit;
  private final int nodeLimit;
  private final Map<HttpServerResponse, Set<String>> streams = new ConcurrentHashMap<>();
  private MessageConsumer<JsonObject> consumer;
  private MessageConsumer<JsonObject> alerts;

  /** At most limit streams open on this verticle, nodeLimit on the node. */
  EventStream(Vertx vertx, int limit, int nodeLimit) {
    this.vertx = vertx;
    this.limit = limit;
    this.nodeLimit = nodeLimit;
  }

  Future<Void> start(Router router) {
    router.get("/v1/events").handler(this::open);
    vertx.setPeriodic(PING_MS, id -> streams.keySet().forEach(r -> write(r, ": ping\n\n")));
    return Future.succeededFuture();
  }

  /** The stream opens (its headers go out) once changes are being received for it. */
  private void open(RoutingContext rc) {
    if (streams.size() >= limit) {
      throw Failure.unavailable(
          "too many event streams open (at most " + nodeLimit + " per node): retry");
    }
    Set<String> spaces = new HashSet<>(rc.queryParam("space"));
    HttpServerResponse response = rc.response();
    response
        .setChunked(true)
        .putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-cache");
    streams.put(response, spaces);
    response.closeHandler(v -> closed(response));
    if (consumer == null) {
      consumer = vertx.eventBus().consumer(Addresses.COUNT_EVENTS, m -> send("count", m.body()));
      alerts = vertx.eventBus().consumer(Addresses.ALERT_EVENTS, m -> send("alert", m.body()));
    }
    Future.all(consumer.completion(), alerts.completion())
        .onComplete(
            ar -> {
              if (ar.failed()) {
                closed(response);
                rc.fail(Failure.unavailable("count changes cannot be followed now: retry"));
              } else if (streams.containsKey(response)) {
                write(response, ": connected\n\n");
              }
            });
  }

  private void closed(HttpServerResponse response) {
    streams.remove(response);
    if (streams.isEmpty() && consumer != null) {
      consumer.unregister();
      consumer = null;
      alerts.unregister();
      alerts = null;
    }
  }

  /** A count change or an alert, to the streams that follow its space (or every space). */
  private void send(String type, JsonObject change) {
    String event = "event: " + type + "\ndata: " + change.encode() + "\n\n";
    streams.forEach(
        (response, spaces) -> {
          if (spaces.isEmpty() || spaces.contains(change.getString("space_id"))) {
            write(response, event);
          }
        });
  }

  private void write(HttpServerResponse response, String text) {
    if (response.writeQueueFull()) {
      closed(response);
      response.reset();
      return;
    }
    response.write(text);
  }
}
