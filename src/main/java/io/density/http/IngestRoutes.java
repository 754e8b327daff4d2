package io.density.http;

import io.density.bus.Addresses;
import io.density.bus.Failure;
import io.density.bus.InvalidInput;
import io.density.ingest.Datapoint;
import io.density.ingest.DatapointBody;
import io.density.ingest.DatapointParser;
import io.density.ingest.Inserter;
import io.density.telemetry.Metrics;
import io.density.time.Timestamps;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.List;

/**
 * Datapoints in: the seed's {@code POST /send} (one datapoint) and {@code POST /v1/datapoints} (a
 * JSON array or NDJSON, one result per item). Valid datapoints go to persistence on the event bus;
 * the answer comes once they are committed.
 */
final class IngestRoutes {
  private final Inserter inserter;
  private final Counter rejected;
  private final DatapointParser parser;
  private final int maxBatchItems;
  private final Counter shed;

  /** Until when (epoch ms) an inserter said its queue is full. */
  private long overloadedUntil;

  IngestRoutes(Vertx vertx, Inserter inserter, int maxBatchItems) {
    this.inserter = inserter;
    this.rejected =
        Counter.builder("density_datapoints")
            .tag("result", "rejected")
            .description("datapoints received, by what became of them")
            .register(Metrics.of(vertx));
    this.parser = inserter.parser();
    this.maxBatchItems = maxBatchItems;
    this.shed =
        Counter.builder("density_ingest_shed")
            .description("ingest requests answered 429 before their body was read")
            .register(Metrics.of(vertx));
    vertx
        .eventBus()
        .<JsonObject>consumer(
            Addresses.INGEST_PRESSURE,
            m ->
                overloadedUntil =
                    m.body().getBoolean("overloaded") ? System.currentTimeMillis() + 1_000 : 0);
  }

  /** Before the body is read: while the inserters' queue is full, ingest is answered 429. */
  void mountShedding(Router router) {
    router.post("/send").handler(this::shed);
    router.post("/v1/datapoints").handler(this::shed);
  }

  private void shed(RoutingContext rc) {
    if (System.currentTimeMillis() < overloadedUntil) {
      shed.increment();
      throw Failure.of(Failure.OVERLOADED, null, "ingest is overloaded: retry after a second");
    } else {
      rc.next();
    }
  }

  void mount(Router router) {
    router.post("/send").handler(this::send).failureHandler(this::countRejected);
    router.post("/v1/datapoints").handler(this::batch);
  }

  /** A datapoint of {@code /send} refused as bad input is counted rejected, then answered. */
  private void countRejected(RoutingContext rc) {
    if (rc.failure() instanceof InvalidInput) {
      rejected.increment();
    }
    rc.next();
  }

  /**
   * {@code {"timestamp", "direction", "dpu_id"}} → {@code {"status": "OK", "result", "duplicate"}}.
   */
  private void send(RoutingContext rc) {
    long received = Timestamps.toMicros(Clock.systemUTC().instant());
    DatapointBody.Item item = one(rc);
    Datapoint datapoint = parser.parse(item.fields(), item.text(), received);
    inserter
        .store(List.of(datapoint))
        .onSuccess(
            results -> {
              String result = results.getString(0);
              Responses.ok(
                  rc,
                  new JsonObject()
                      .put("status", "OK")
                      .put("result", result)
                      .put("duplicate", "duplicate".equals(result)));
            })
        .onFailure(rc::fail);
  }

  /** Many datapoints: a JSON array (or one object), or NDJSON. One result per item, in order. */
  private void batch(RoutingContext rc) {
    long received = Timestamps.toMicros(Clock.systemUTC().instant());
    List<DatapointBody.Item> items = items(rc);
    if (items.size() > maxBatchItems) {
      throw Failure.of(
          Failure.TOO_LARGE,
          "body",
          "at most " + maxBatchItems + " datapoints per request, got " + items.size());
    }

    DatapointParser.Checked checked = parser.check(items, received);
    JsonObject[] results = new JsonObject[items.size()];
    for (int i = 0; i < items.size(); i++) {
      results[i] = new JsonObject().put("index", i);
    }
    checked
        .rejected()
        .forEach(
            (i, e) -> {
              rejected.increment();
              Responses.describe(results[i].put("status", "rejected"), e);
            });
    List<Datapoint> valid = checked.valid();
    List<Integer> validIndex = checked.validIndex();
    Future<JsonArray> stored =
        valid.isEmpty() ? Future.succeededFuture(new JsonArray()) : inserter.store(valid);
    stored
        .onSuccess(
            statuses -> {
              for (int k = 0; k < validIndex.size(); k++) {
                results[validIndex.get(k)].put("status", statuses.getString(k));
              }
              int accepted = 0;
              int duplicates = 0;
              JsonArray all = new JsonArray();
              for (JsonObject r : results) {
                all.add(r);
                switch (r.getString("status")) {
                  case "accepted" -> accepted++;
                  case "duplicate" -> duplicates++;
                  default -> {}
                }
              }
              int rejected = results.length - accepted - duplicates;
              boolean anyStored = accepted + duplicates > 0 || results.length == 0;
              JsonObject answer = new JsonObject().put("status", anyStored ? "OK" : "error");
              if (!anyStored) {
                answer.put("error", "every datapoint was rejected (see results)");
              }
              Responses.json(
                  rc,
                  anyStored ? 200 : 422,
                  answer
                      .put("accepted", accepted)
                      .put("duplicates", duplicates)
                      .put("rejected", rejected)
                      .put("results", all));
            })
        .onFailure(rc::fail);
  }

  /** The datapoints of a batch body, by its content type. */
  private static List<DatapointBody.Item> items(RoutingContext rc) {
    String body = rc.body().asString();
    return switch (Requests.mediaType(rc)) {
      case "application/json" -> DatapointBody.json(body);
      case "application/x-ndjson", "application/jsonl" -> DatapointBody.lines(body);
      default ->
          throw new InvalidInput(
              InvalidInput.CONTENT_TYPE,
              "Content-Type must be application/json or application/x-ndjson");
    };
  }

  private static DatapointBody.Item one(RoutingContext rc) {
    if (!Requests.mediaType(rc).equals("application/json")) {
      throw new InvalidInput(InvalidInput.CONTENT_TYPE, "Content-Type must be application/json");
    }
    return DatapointBody.one(rc.body().asString());
  }
}
