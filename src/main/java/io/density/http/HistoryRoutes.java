package io.density.http;

import io.density.Addresses;
import io.density.ingest.InvalidInput;
import io.density.ingest.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;

/** A space's history: resets. */
final class HistoryRoutes {
  private static final DeliveryOptions LONG = new DeliveryOptions().setSendTimeout(600_000);

  private final Vertx vertx;

  HistoryRoutes(Vertx vertx) {
    this.vertx = vertx;
  }

  void mount(Router router) {
    router.post("/v1/spaces/:id/resets").handler(this::reset);
    router.get("/v1/spaces/:id/resets").handler(this::listResets);
  }

  /** {@code {timestamp, count = 0}}: from that instant the space holds count people. */
  private void reset(RoutingContext rc) {
    try {
      String space = Requests.pathId(rc, "id");
      JsonObject body = Requests.jsonObject(rc);
      Object ts = body.getValue("timestamp");
      if (!(ts instanceof String text)) {
        throw new InvalidInput("timestamp", "timestamp is required (ISO-8601)");
      }
      long at = Timestamps.parseMicros(text, "timestamp");
      if (at > Timestamps.toMicros(Clock.systemUTC().instant())) {
        throw new InvalidInput("timestamp", "a reset cannot be in the future");
      }
      Object count = body.getValue("count", 0);
      if (!(count instanceof Integer c) || c < 0) {
        throw new InvalidInput("count", "count must be a non-negative integer");
      }
      JsonObject request =
          new JsonObject().put("space_id", space).put("timestamp", at).put("count", count);
      Responses.reply(rc, ask(Addresses.RESET, request, LONG).map(HistoryRoutes::ok), 201);
    } catch (InvalidInput e) {
      Responses.error(rc, Requests.status(e), e.field(), e.getMessage());
    }
  }

  /** {@code ?start=&end=} (default: everything): the space's resets, explicit and daily. */
  private void listResets(RoutingContext rc) {
    try {
      String space = Requests.pathId(rc, "id");
      Long start = Requests.optionalInstant(rc, "start");
      Long end = Requests.optionalInstant(rc, "end");
      JsonObject q =
          new JsonObject()
              .put("space", space)
              .put("start", start == null ? Long.MIN_VALUE / 2 : start)
              .put("end", end == null ? Long.MAX_VALUE / 2 : end);
      Responses.reply(
          rc, ask(Addresses.QUERY_RESETS, q, new DeliveryOptions()).map(HistoryRoutes::ok), 200);
    } catch (InvalidInput e) {
      Responses.error(rc, 400, e.field(), e.getMessage());
    }
  }

  private static JsonObject ok(JsonObject answer) {
    return new JsonObject().put("status", "OK").mergeIn(answer);
  }

  private Future<JsonObject> ask(String address, JsonObject question, DeliveryOptions options) {
    return vertx.eventBus().<JsonObject>request(address, question, options).map(m -> m.body());
  }
}
