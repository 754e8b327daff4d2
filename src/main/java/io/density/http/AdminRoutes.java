package io.density.http;

import io.density.bus.Addresses;
import io.density.bus.InvalidInput;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Arrays;

/**
 * Operator actions on the derived state: rebuild the realtime state, replay the raw log (and follow
 * a replay's progress), drop history past the retention.
 */
final class AdminRoutes {
  private final Forward forward;

  AdminRoutes(Vertx vertx) {
    this.forward = new Forward(vertx);
  }

  void mount(Router router) {
    router.post("/v1/admin/rebuild").handler(this::rebuild);
    router.post("/v1/admin/replay").handler(this::replay);
    router.get("/v1/admin/replays").handler(this::replays);
    router.get("/v1/admin/replays/:id").handler(this::replays);
    router.post("/v1/admin/retention").handler(this::retention);
  }

  /**
   * {@code ?from=&to=}: derived state rebuilt from the raw log for that window (or all). Answers
   * with the summary once done; with {@code Prefer: respond-async}, 202 at once with the replay's
   * progress and its {@code Location}.
   */
  private void replay(RoutingContext rc) {
    Long from = Requests.optionalInstant(rc, "from");
    Long to = Requests.optionalInstant(rc, "to");
    if (from != null && to != null && to <= from) {
      throw new InvalidInput("to", "to must be after from");
    }
    JsonObject window = new JsonObject().put("from", from).put("to", to);
    if (!respondAsync(rc)) {
      Responses.reply(rc, forward.ask(Addresses.REPLAY, window, Forward.LONG_WORK), 200);
      return;
    }
    // The headers go on before the answer: success handlers run in the order they were added.
    Future<JsonObject> started =
        forward
            .ask(Addresses.REPLAY, window.put("async", true), Forward.DEFAULT)
            .onSuccess(
                progress ->
                    rc.response()
                        .putHeader("Location", "/v1/admin/replays/" + progress.getString("id"))
                        .putHeader("Preference-Applied", "respond-async"));
    Responses.reply(rc, started, 202);
  }

  /** RFC 7240's preference for an answer before the work is done. */
  private static boolean respondAsync(RoutingContext rc) {
    return rc.request().headers().getAll("Prefer").stream()
        .flatMap(p -> Arrays.stream(p.split(",")))
        .anyMatch(p -> p.trim().equalsIgnoreCase("respond-async"));
  }

  /** A replay's progress ({@code /:id}), or the recent replays'. */
  private void replays(RoutingContext rc) {
    String id = rc.pathParam("id");
    JsonObject request = id == null ? new JsonObject() : new JsonObject().put("id", id);
    Responses.reply(rc, forward.ask(Addresses.REPLAY_STATUS, request), 200);
  }

  /** Drops history older than the retention period now, instead of at the next hourly check. */
  private void retention(RoutingContext rc) {
    Responses.reply(rc, forward.ask(Addresses.RETENTION, new JsonObject(), Forward.LONG_WORK), 200);
  }

  private void rebuild(RoutingContext rc) {
    Responses.reply(rc, forward.ask(Addresses.REBUILD, new JsonObject(), Forward.MINUTES), 200);
  }
}
