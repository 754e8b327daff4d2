package io.density.http;

import io.density.bus.Addresses;
import io.density.bus.Service;
import io.density.query.QueryRequest;
import io.density.query.QueryRequest.AsOf;
import io.density.query.QueryRequest.Dpu;
import io.density.query.QueryRequest.DpuActivity;
import io.density.query.QueryRequest.Nearest;
import io.density.query.QueryRequest.Realtime;
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
  private final Service<QueryRequest> query;
  private final DeliveryOptions toQuery;

  QueryRoutes(Vertx vertx, boolean queryHere) {
    this.query = new Service<>(vertx, Addresses.QUERY, QueryRequest.class);
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
    seed(rc, ask(new Realtime(space)));
  }

  /**
   * Seed API: {@code GET /count?space=A&timestamp=T} → the count at the space's effect nearest to
   * T; without a timestamp, the realtime count.
   */
  private void seedCount(RoutingContext rc) {
    String space = Requests.requiredParam(rc, "space");
    Long at = Requests.optionalInstant(rc, "timestamp");
    seed(rc, ask(at == null ? new Realtime(space) : new Nearest(space, at)));
  }

  /** {@code GET /v1/spaces/{id}/count[?at=T]}: realtime, or the count as of T. */
  private void spaceCount(RoutingContext rc) {
    String space = Requests.pathId(rc, "id");
    Long at = Requests.optionalInstant(rc, "at");
    Responses.reply(rc, ask(at == null ? new Realtime(space) : new AsOf(space, at)), 200);
  }

  /** {@code GET /v1/dpus/{id}}: registration, current links and realtime totals. */
  private void dpu(RoutingContext rc) {
    String dpu = Requests.pathId(rc, "id");
    Responses.reply(rc, ask(new Dpu(dpu)), 200);
  }

  /**
   * {@code GET /v1/dpu-activity?silent_minutes=60&limit=100}: how many DPUs report, are silent or
   * never reported, and the ones most in need of a look.
   */
  private void dpuActivity(RoutingContext rc) {
    DpuActivity q =
        new DpuActivity(Requests.whole(rc, "silent_minutes", 60), Requests.limit(rc, 100));
    Responses.reply(rc, ask(q), 200);
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

  private Future<JsonObject> ask(QueryRequest question) {
    return query.ask(question, toQuery);
  }
}
