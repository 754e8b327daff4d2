package io.density.http;

import io.density.bus.Addresses;
import io.density.bus.InvalidInput;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** Operator actions on the derived state: rebuild the realtime state, replay the raw log. */
final class AdminRoutes {
  private final Vertx vertx;

  AdminRoutes(Vertx vertx) {
    this.vertx = vertx;
  }

  void mount(Router router) {
    router.post("/v1/admin/rebuild").handler(this::rebuild);
    router.post("/v1/admin/replay").handler(this::replay);
    router.post("/v1/admin/retention").handler(this::retention);
  }

  /** {@code ?from=&to=}: derived state rebuilt from the raw log for that window (or all). */
  private void replay(RoutingContext rc) {
    try {
      Long from = Requests.optionalInstant(rc, "from");
      Long to = Requests.optionalInstant(rc, "to");
      if (from != null && to != null && to <= from) {
        throw new InvalidInput("to", "to must be after from");
      }
      JsonObject window = new JsonObject().put("from", from).put("to", to);
      Responses.reply(
          rc,
          vertx
              .eventBus()
              .<JsonObject>request(
                  Addresses.REPLAY, window, new DeliveryOptions().setSendTimeout(3_600_000))
              .map(m -> m.body()),
          200);
    } catch (InvalidInput e) {
      Responses.failure(rc, e);
    }
  }

  /** Drops history older than the retention period now, instead of at the next hourly check. */
  private void retention(RoutingContext rc) {
    Responses.reply(
        rc,
        vertx
            .eventBus()
            .<JsonObject>request(
                Addresses.RETENTION,
                new JsonObject(),
                new DeliveryOptions().setSendTimeout(3_600_000))
            .map(m -> m.body()),
        200);
  }

  private void rebuild(RoutingContext rc) {
    Responses.reply(
        rc,
        vertx
            .eventBus()
            .<JsonObject>request(
                Addresses.REBUILD, new JsonObject(), new DeliveryOptions().setSendTimeout(600_000))
            .map(m -> m.body()),
        200);
  }
}
