package io.density.http;

import io.density.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Count questions, answered by the query verticle over the event bus: this node's own when it has
 * one (no hop to another node), else any node's.
 */
final class QueryRoutes {
  private final Forward forward;
  private final DeliveryOptions toQuery;

  QueryRoutes(Vertx vertx, boolean queryHere) {
    this.forward = new Forward(vertx);
    this.toQuery = new DeliveryOptions().setLocalOnly(queryHere);
  }

  void mount(Router router) {
    router.get("/").handler(this::seedRealtime);
    router.get("/count").handler(this::seedCount);
    router.get("/v1/spaces/:id/count").handler(this::spaceCount);
    router.get("/v1/dpus/:id").handler(this::dpu);
    router.get("/v1/dpu-activity").handler(this::dpuActivity);
  }

  /** Seed API: {@code GET /?space=A} → {@code {"status": "OK", "count": 2}}. */
  private void seedRealtime(RoutingContext rc) {
    String space = Requests.requiredParam(rc, "space");
    seed(rc, ask(Addresses.QUERY_REALTIME, new JsonObject().put("space", space)));
  }

  /**
   * Seed API: {@code GET /count?space=A&timestamp=T} → the count at the space's effect nearest to
   * T; without a timestamp, the realtime count.
   */
  private void seedCount(RoutingContext rc) {
    String space = Requests.requiredParam(rc, "space");
    Long at = Requests.optionalInstant(rc, "timestamp");
    JsonObject q = new JsonObject().put("space", space);
    seed(
        rc,
        at == null
            ? ask(Addresses.QUERY_REALTIME, q)
            : ask(Addresses.QUERY_NEAREST, q.put("at", at)));
  }

  /** {@code GET /v1/spaces/{id}/count[?at=T]}: realtime, or the count as of T. */
  private void spaceCount(RoutingContext rc) {
    String space = Requests.pathId(rc, "id");
    Long at = Requests.optionalInstant(rc, "at");
    JsonObject q = new JsonObject().put("space", space);
    Responses.reply(
        rc,
        (at == null
            ? ask(Addresses.QUERY_REALTIME, q)
            : ask(Addresses.QUERY_AS_OF, q.put("at", at))),
        200);
  }

  /** {@code GET /v1/dpus/{id}}: registration, current links and realtime totals. */
  private void dpu(RoutingContext rc) {
    String dpu = Requests.pathId(rc, "id");
    Responses.reply(rc, ask(Addresses.QUERY_DPU, new JsonObject().put("dpu", dpu)), 200);
  }

  /**
   * {@code GET /v1/dpu-activity?silent_minutes=60&limit=100}: how many DPUs report, are silent or
   * never reported, and the ones most in need of a look.
   */
  private void dpuActivity(RoutingContext rc) {
    JsonObject q =
        new JsonObject()
            .put("silent_minutes", Requests.whole(rc, "silent_minutes", 60))
            .put("limit", Requests.limit(rc, 100));
    Responses.reply(rc, ask(Addresses.QUERY_DPU_ACTIVITY, q), 200);
  }

  private void seed(RoutingContext rc, Future<JsonObject> answer) {
    Responses.reply(
        rc,
        answer.map(
            a -> {
              JsonObject out =
                  new JsonObject().put("status", "OK").put("count", a.getValue("count"));
              if (a.containsKey("timestamp")) {
                out.put("timestamp", a.getValue("timestamp"));
              }
              return out;
            }),
        200);
  }

  private Future<JsonObject> ask(String address, JsonObject question) {
    return forward.ask(address, null, question, toQuery);
  }
}
