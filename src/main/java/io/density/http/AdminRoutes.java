package io.density.http;

import io.density.bus.Addresses;
import io.density.bus.InvalidInput;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** Operator actions on the derived state: rebuild the realtime state, replay the raw log. */
final class AdminRoutes {
  private final Forward forward;

  AdminRoutes(Vertx vertx) {
    this.forward = new Forward(vertx);
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
      Responses.reply(rc, forward.ask(Addresses.REPLAY, null, window, Forward.LONG_WORK), 200);
    } catch (InvalidInput e) {
      Responses.failure(rc, e);
    }
  }

  /** Drops history older than the retention period now, instead of at the next hourly check. */
  private void retention(RoutingContext rc) {
    Responses.reply(
        rc, forward.ask(Addresses.RETENTION, null, new JsonObject(), Forward.LONG_WORK), 200);
  }

  private void rebuild(RoutingContext rc) {
    Responses.reply(
        rc, forward.ask(Addresses.REBUILD, null, new JsonObject(), Forward.MINUTES), 200);
  }
}
