package io.density.http;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.bus.Service;
import io.density.registry.RegistryRequest;
import io.density.registry.RegistryRequest.BulkDoorways;
import io.density.registry.RegistryRequest.BulkDpus;
import io.density.registry.RegistryRequest.BulkLinks;
import io.density.registry.RegistryRequest.BulkSpaces;
import io.density.registry.RegistryRequest.CreateLink;
import io.density.registry.RegistryRequest.GetDoorway;
import io.density.registry.RegistryRequest.GetSpace;
import io.density.registry.RegistryRequest.Link;
import io.density.registry.RegistryRequest.ListDoorways;
import io.density.registry.RegistryRequest.ListDpus;
import io.density.registry.RegistryRequest.ListLinks;
import io.density.registry.RegistryRequest.ListSpaces;
import io.density.registry.RegistryRequest.MoveDpu;
import io.density.registry.RegistryRequest.Named;
import io.density.registry.RegistryRequest.PutDoorway;
import io.density.registry.RegistryRequest.PutDpu;
import io.density.registry.RegistryRequest.PutSpace;
import io.density.registry.RegistryRequest.Space;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * Management of the building, asked of the registry verticle: each route reads and checks its input
 * into a {@link RegistryRequest}.
 */
final class RegistryRoutes {
  private final Service<RegistryRequest> registry;
  private final int maxItems;

  RegistryRoutes(Vertx vertx, int maxItems) {
    this.registry = new Service<>(vertx, Addresses.REGISTRY, RegistryRequest.class);
    this.maxItems = maxItems;
  }

  void mount(Router router) {
    router
        .put("/v1/spaces/:id")
        .handler(rc -> rederive(rc, new PutSpace(Space.of(id(rc), body(rc)))));
    router.get("/v1/spaces").handler(rc -> ask(rc, new ListSpaces()));
    router.get("/v1/spaces/:id").handler(rc -> ask(rc, new GetSpace(id(rc))));
    router
        .put("/v1/doorways/:id")
        .handler(rc -> ask(rc, new PutDoorway(Named.of(id(rc), body(rc)))));
    router.get("/v1/doorways").handler(rc -> ask(rc, new ListDoorways()));
    router.get("/v1/doorways/:id").handler(rc -> ask(rc, new GetDoorway(id(rc))));
    router.put("/v1/dpus/:id").handler(rc -> ask(rc, new PutDpu(Named.of(id(rc), body(rc)))));
    router.get("/v1/dpus").handler(rc -> ask(rc, new ListDpus()));
    // GET /v1/dpus/{id} is the DPU's state, in QueryRoutes.
    router
        .post("/v1/dpus/:id/move")
        .handler(rc -> rederive(rc, MoveDpu.of(id(rc), Requests.jsonObject(rc))));
    router
        .post("/v1/links")
        .handler(rc -> rederive(rc, new CreateLink(Link.of(Requests.jsonObject(rc)))));
    router.post("/v1/bulk/:kind").handler(this::bulk);
    router.get("/v1/links").handler(this::listLinks);
  }

  private static String id(RoutingContext rc) {
    return Requests.pathId(rc, "id");
  }

  /** The body of a PUT: no body is an empty object; a form (which is taken in) is not JSON. */
  private static JsonObject body(RoutingContext rc) {
    String type = Requests.mediaType(rc);
    return rc.body().length() <= 0 && (type.isEmpty() || type.equals("application/json"))
        ? new JsonObject()
        : Requests.jsonObject(rc);
  }

  /**
   * {@code POST /v1/bulk/{spaces|doorways|dpus|links}}: a JSON array or NDJSON of items shaped as
   * the single-item bodies (with their {@code id}), at most {@code http.maxBatchItems}.
   */
  private void bulk(RoutingContext rc) {
    String kind = rc.pathParam("kind");
    if (!List.of("spaces", "doorways", "dpus", "links").contains(kind)) {
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
    // Each item is checked against its schema (api/BodyRules), some tens of microseconds an item:
    // up to a second for the largest request, too long for an event loop.
    rc.vertx()
        .<RegistryRequest>executeBlocking(
            () ->
                switch (kind) {
                  case "spaces" -> BulkSpaces.of(items);
                  case "doorways" -> BulkDoorways.of(items);
                  case "dpus" -> BulkDpus.of(items);
                  default -> BulkLinks.of(items);
                },
            false)
        .compose(request -> registry.ask(request, Forward.MINUTES))
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

  private void listLinks(RoutingContext rc) {
    ask(
        rc,
        new ListLinks(
            Requests.optionalParam(rc, "dpu_id"), Requests.optionalParam(rc, "space_id")));
  }

  /** Asks the registry and answers with what it says (201 when it created something). */
  private void ask(RoutingContext rc, RegistryRequest request) {
    registry.ask(request).onSuccess(answer -> Responses.stored(rc, answer)).onFailure(rc::fail);
  }

  /**
   * A change that may re-derive counts (a move, a back-dated link, a space's reset rules): the
   * registry commits it, then waits for persistence to attribute or recount again, which closes the
   * deployment's gate and may wait for batches still being counted (during a shard's hand-over, for
   * as long as the hand-over takes) before recounting a long history. It is answered once that is
   * done, so the wait matches the registry's own for that work: an answer that timed out sooner
   * would say "retry" for a change already made.
   */
  private void rederive(RoutingContext rc, RegistryRequest request) {
    registry
        .ask(request, Forward.MINUTES)
        .onSuccess(answer -> Responses.stored(rc, answer))
        .onFailure(rc::fail);
  }
}
