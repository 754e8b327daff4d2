package io.density.http;

import io.density.alerts.AlertRequest;
import io.density.alerts.AlertRequest.GetDpuHealthRules;
import io.density.alerts.AlertRequest.GetRules;
import io.density.alerts.AlertRequest.GetSpaceHealthRules;
import io.density.alerts.AlertRequest.ListAlerts;
import io.density.alerts.AlertRequest.ListWebhooks;
import io.density.alerts.AlertRequest.PutHealthRules;
import io.density.alerts.AlertRequest.PutRules;
import io.density.alerts.AlertRequest.PutWebhook;
import io.density.auth.Scope;
import io.density.bus.Addresses;
import io.density.bus.Service;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Alert rules of spaces, sensor-health rules of DPUs and spaces, webhooks and the alerts fired;
 * answered by an alerts verticle.
 */
final class AlertRoutes {
  private final Service<AlertRequest> alerts;

  AlertRoutes(Vertx vertx) {
    this.alerts = new Service<>(vertx, Addresses.ALERTS_ADMIN, AlertRequest.class);
  }

  void mount(Router router) {
    router.put("/v1/spaces/:id/alerts").handler(rc -> ask(rc, PutRules.of(id(rc), body(rc))));
    router.get("/v1/spaces/:id/alerts").handler(rc -> ask(rc, new GetRules(id(rc))));
    router
        .put("/v1/dpus/:id/alerts")
        .handler(rc -> ask(rc, PutHealthRules.ofDpu(id(rc), body(rc))));
    router.get("/v1/dpus/:id/alerts").handler(rc -> ask(rc, new GetDpuHealthRules(id(rc))));
    router
        .put("/v1/spaces/:id/dpu-alerts")
        .handler(rc -> ask(rc, PutHealthRules.ofSpace(id(rc), body(rc))));
    router.get("/v1/spaces/:id/dpu-alerts").handler(rc -> ask(rc, new GetSpaceHealthRules(id(rc))));
    router.put("/v1/webhooks/:id").handler(rc -> ask(rc, PutWebhook.of(id(rc), body(rc))));
    router.get("/v1/webhooks").handler(this::webhooks);
    router.get("/v1/alerts").handler(this::alerts);
  }

  private static String id(RoutingContext rc) {
    return Requests.pathId(rc, "id");
  }

  private static JsonObject body(RoutingContext rc) {
    return Requests.jsonObject(rc);
  }

  /**
   * Every webhook; its URL whole to an admin token (or with authentication off), else with the
   * credentials a URL may carry (userinfo, query, fragment) masked.
   */
  private void webhooks(RoutingContext rc) {
    Scope scope = Auth.scope(rc);
    ask(rc, new ListWebhooks(scope == null || scope == Scope.ADMIN));
  }

  /** {@code ?space_id=&dpu_id=&limit=}: the latest alerts first. */
  private void alerts(RoutingContext rc) {
    int n = Requests.limit(rc, 100);
    String space = Requests.optionalParam(rc, "space_id");
    String dpu = Requests.optionalParam(rc, "dpu_id");
    ask(rc, new ListAlerts(space, dpu, n));
  }

  private void ask(RoutingContext rc, AlertRequest request) {
    alerts.ask(request).onSuccess(answer -> Responses.stored(rc, answer)).onFailure(rc::fail);
  }
}
