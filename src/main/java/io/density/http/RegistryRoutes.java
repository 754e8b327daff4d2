package io.density.http;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Management of the building, forwarded to the registry verticle. */
final class RegistryRoutes {
  private static final Map<String, String> BULK =
      Map.of("spaces", "space", "doorways", "doorway", "dpus", "dpu", "links", "link");

  private final Forward forward;
  private final int maxItems;

  RegistryRoutes(Vertx vertx, int maxItems) {
    this.forward = new Forward(vertx);
    this.maxItems = maxItems;
  }

  void mount(Router router) {
    for (String kind : new String[] {"space", "doorway", "dpu"}) {
      String path = "/v1/" + kind + "s";
      router.put(path + "/:id").handler(rc -> put(rc, kind));
      router.get(path).handler(rc -> forward(rc, kind + ".list", new JsonObject()));
      if (!kind.equals("dpu")) { // GET /v1/dpus/{id} is the DPU's state, in QueryRoutes
        router.get(path + "/:id").handler(rc -> get(rc, kind));
      }
    }
    router.post("/v1/dpus/:id/move").handler(this::move);
    router.post("/v1/links").handler(this::createLink);
    router.post("/v1/bulk/:kind").handler(this::bulk);
    router.get("/v1/links").handler(this::listLinks);
  }

  private void put(RoutingContext rc, String kind) {
    String id = Requests.pathId(rc, "id");
    // No body is an empty object; a form (which the body handler takes in) is not JSON.
    String type = Requests.mediaType(rc);
    JsonObject body =
        rc.body().length() <= 0 && (type.isEmpty() || type.equals("application/json"))
            ? new JsonObject()
            : Requests.jsonObject(rc);
    forward(rc, kind + ".put", new JsonObject().put("id", id).put("body", body));
  }

  /**
   * {@code POST /v1/bulk/{spaces|doorways|dpus|links}}: a JSON array or NDJSON of items shaped as
   * the single-item bodies (with their {@code id}), at most {@code http.maxBatchItems}.
   */
  private void bulk(RoutingContext rc) {
    String kind = BULK.get(rc.pathParam("kind"));
    if (kind == null) {
      throw Failure.of(Failure.NOT_FOUND, "kind", "bulk takes spaces, doorways, dpus or links");
    }
    List<Object> items = new ArrayList<>();
    Requests.items(rc, items, new ArrayList<>());
    if (items.size() > maxItems) {
      throw Failure.of(
          Failure.TOO_LARGE,
          "body",
          "at most " + maxItems + " items per request, got " + items.size());
    }
    forward
        .ask(
            Addresses.REGISTRY,
            kind + ".bulk",
            new JsonObject().put("items", new JsonArray(items)),
            Forward.MINUTES)
        .onSuccess(
            answer -> {
              // As for datapoints: 422 when every item was rejected.
              if (!items.isEmpty() && answer.getInteger("rejected") == items.size()) {
                Responses.json(
                    rc,
                    422,
                    answer
                        .put("status", "error")
                        .put("error", "every item was rejected (see results)"));
              } else {
                Responses.ok(rc, answer);
              }
            })
        .onFailure(rc::fail);
  }

  private void get(RoutingContext rc, String kind) {
    forward(rc, kind + ".get", new JsonObject().put("id", Requests.pathId(rc, "id")));
  }

  private void createLink(RoutingContext rc) {
    forward(rc, "link.create", new JsonObject().put("body", Requests.jsonObject(rc)));
  }

  private void move(RoutingContext rc) {
    JsonObject q =
        new JsonObject().put("id", Requests.pathId(rc, "id")).put("body", Requests.jsonObject(rc));
    forward(rc, "dpu.move", q);
  }

  private void listLinks(RoutingContext rc) {
    JsonObject q =
        new JsonObject()
            .put("dpu_id", Requests.optionalParam(rc, "dpu_id"))
            .put("space_id", Requests.optionalParam(rc, "space_id"));
    forward(rc, "link.list", q);
  }

  /** Sends to the registry and answers with what it says (201 when it created something). */
  private void forward(RoutingContext rc, String action, JsonObject body) {
    forward
        .ask(Addresses.REGISTRY, action, body, Forward.DEFAULT)
        .onSuccess(answer -> Responses.stored(rc, answer))
        .onFailure(rc::fail);
  }
}
