package io.density.http;

import io.density.auth.Scope;
import io.density.bus.Addresses;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Alert rules of spaces, sensor-health rules of DPUs and spaces, webhooks and the alerts fired;
 * answered by an alerts verticle.
 */
final class AlertRoutes {
  private final Forward forward;

  AlertRoutes(Vertx vertx) {
    this.forward = new Forward(vertx);
  }

  void mount(Router router) {
    router.put("/v1/spaces/:id/alerts").handler(rc -> withBody(rc, "rules.put", "space"));
    router.get("/v1/spaces/:id/alerts").handler(rc -> withId(rc, "rules.get", "space"));
    router.put("/v1/dpus/:id/alerts").handler(rc -> withBody(rc, "health.dpu.put", "dpu"));
    router.get("/v1/dpus/:id/alerts").handler(rc -> withId(rc, "health.dpu.get", "dpu"));
    router
        .put("/v1/spaces/:id/dpu-alerts")
        .handler(rc -> withBody(rc, "health.space.put", "space"));
    router.get("/v1/spaces/:id/dpu-alerts").handler(rc -> withId(rc, "health.space.get", "space"));
    router.put("/v1/webhooks/:id").handler(rc -> withBody(rc, "webhook.put", "id"));
    router.get("/v1/webhooks").handler(this::webhooks);
    router.get("/v1/alerts").handler(this::alerts);
  }

  private void withBody(RoutingContext rc, String action, String key) {
    JsonObject q =
        new JsonObject().put(key, Requests.pathId(rc, "id")).put("body", Requests.jsonObject(rc));
    ask(rc, action, q);
  }

  private void withId(RoutingContext rc, String action, String key) {
    ask(rc, action, new JsonObject().put(key, Requests.pathId(rc, "id")));
  }

  /**
   * Every webhook; its URL whole to an admin token (or with authentication off), else with the
   * credentials a URL may carry (userinfo, query, fragment) masked.
   */
  private void webhooks(RoutingContext rc) {
    Scope scope = Auth.scope(rc);
    ask(rc, "webhook.list", new JsonObject().put("whole", scope == null || scope == Scope.ADMIN));
  }

  /** {@code ?space_id=&dpu_id=&limit=}: the latest alerts first. */
  private void alerts(RoutingContext rc) {
    int n = Requests.limit(rc, 100);
    String space = Requests.optionalParam(rc, "space_id");
    String dpu = Requests.optionalParam(rc, "dpu_id");
    ask(rc, "alerts.list", new JsonObject().put("space", space).put("dpu", dpu).put("limit", n));
  }

  private void ask(RoutingContext rc, String action, JsonObject q) {
    forward
        .ask(Addresses.ALERTS_ADMIN, action, q, Forward.DEFAULT)
        .onSuccess(answer -> Responses.stored(rc, answer))
        .onFailure(rc::fail);
  }
}
