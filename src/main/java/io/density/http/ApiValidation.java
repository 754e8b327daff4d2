package io.density.http;

import io.density.api.BodyRules;
import io.density.api.Documents;
import io.density.bus.InvalidInput;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Shareable;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.Location;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Checks a request's path and query parameters against the API document ({@link ApiDocument})
 * before its route reads them, so a rule the document states (a required parameter, an enum, a
 * minimum or maximum, a length) is enforced from the document, not again by hand. Mounted after the
 * token check: a request without a valid token is 401 before anything of it is checked.
 *
 * <p>Every operation of the document is checked but those whose requests are read otherwise: the
 * datapoint routes ({@code POST /send}, {@code POST /v1/datapoints}), whose bodies the streaming
 * parser reads (validating a 10,000-item body against the schema costs fifty to a hundred times
 * more: docs/benchmarks.md), bulk provisioning (an unknown kind is 404, each item gets its own
 * result) and the event stream. A JSON request body is checked against its schema ({@link
 * BodyRules}) once the route has read it ({@link Requests#jsonObject}): this check names the schema
 * for it.
 *
 * <p>A refusal is an {@link InvalidInput} naming the parameter, answered by the router's failure
 * handler by the one rule of docs/api.md: a missing required parameter or a value not of its type
 * (text where an integer belongs) is malformed, 400; any other rule broken (not one of the enum,
 * out of range, too long) is 422.
 *
 * <p>{@code format} (date, uri) is read as an annotation, as JSON Schema 2020-12 does by default:
 * the routes parse those values themselves, by rules that say more (a year from 1900 to 9999).
 */
final class ApiValidation implements Handler<RoutingContext> {
  /**
   * Where the name of the schema of the request's JSON body is put ({@link BodyRules}), for {@link
   * Requests#jsonObject} to check the body against once it has read it.
   */
  static final String BODY_SCHEMA = "density.bodySchema";

  /** The operations whose requests are not checked here (see the class comment). */
  private static final Set<String> UNCHECKED =
      Set.of("sendDatapoint", "ingestDatapoints", "bulkProvision", "streamCountEvents");

  /**
   * The document's requests, a validator for each parameter (made once: making one costs about
   * twenty times more than using it), and the schema of each operation's JSON body. Read-only once
   * made, so every event loop may use them (the validators keep no state between calls).
   */
  private record Checks(
      OpenAPIContract contract,
      Map<Parameter, Validator> validators,
      Map<Operation, String> bodies) {
    static Checks of(OpenAPIContract contract) {
      Map<Parameter, Validator> validators = new IdentityHashMap<>();
      Map<Operation, String> bodies = new IdentityHashMap<>();
      for (Operation operation : contract.operations()) {
        for (Parameter parameter : operation.getParameters()) {
          validators.put(
              parameter, contract.getSchemaRepository().validator(parameter.getSchema()));
        }
        String body = BodyRules.ofOperation(operation.getOperationId());
        if (body != null) {
          bodies.put(operation, body);
        }
      }
      return new Checks(contract, validators, bodies);
    }
  }

  /** The making of the checks, once per Vert.x instance, shared by its HTTP verticles. */
  private record Shared(Future<Checks> loaded) implements Shareable {}

  private final Future<Checks> loaded;

  /** Set (maybe from another verticle's event loop) before the server listens. */
  private volatile Checks checks;

  private ApiValidation(Vertx vertx) {
    this.loaded =
        vertx
            .sharedData()
            .<String, Shared>getLocalMap("density.api")
            .computeIfAbsent("checks", k -> new Shared(load(vertx).map(Checks::of)))
            .loaded();
  }

  /**
   * Mounts the check on every route mounted after it; the returned future completes once the
   * document is loaded (the server must not listen before).
   */
  static Future<Void> mount(Vertx vertx, Router router) {
    ApiValidation validation = new ApiValidation(vertx);
    router.route().handler(validation);
    // The document is loaded once for every HTTP instance, and that future completes on the
    // context of the instance that asked first: each instance goes on on its own, or the others
    // would listen on the first one's event loop and every connection would be served there.
    Context own = vertx.getOrCreateContext();
    Promise<Void> mounted = Promise.promise();
    validation.loaded.onComplete(
        loaded ->
            own.runOnContext(
                v -> {
                  if (loaded.succeeded()) {
                    validation.checks = loaded.result();
                    mounted.complete();
                  } else {
                    mounted.fail(loaded.cause());
                  }
                }));
    return mounted.future();
  }

  /**
   * The document reduced to what a request is checked against: its operations' answers (which make
   * most of its size, and of the time to load it) are left out, and so are the media types the
   * library cannot read (NDJSON, CSV) and {@code format}.
   */
  private static Future<OpenAPIContract> load(Vertx vertx) {
    JsonObject requests = Documents.openApiWithoutFormats();
    JsonObject noAnswer =
        new JsonObject().put("default", new JsonObject().put("description", "not checked"));
    Documents.eachOperation(
        requests,
        operation -> {
          if (operation.containsKey("responses")) {
            operation.put("responses", noAnswer.copy());
          }
        });
    requests.getJsonObject("components").remove("responses");
    // Without the media types the library refuses (NDJSON, CSV).
    Documents.eachObject(
        requests,
        (key, object) -> {
          if ("content".equals(key)) {
            object.fieldNames().removeIf(type -> !MediaType.isMediaTypeSupported(type));
          }
        });
    return OpenAPIContract.from(vertx, requests);
  }

  @Override
  public void handle(RoutingContext rc) {
    Checks checks = this.checks;
    Operation operation =
        checks.contract().findOperation(rc.normalizedPath(), rc.request().method());
    if (operation == null || UNCHECKED.contains(operation.getOperationId())) {
      rc.next(); // not a route of the document (the router answers 404 or 405), or read otherwise
      return;
    }
    String body = checks.bodies().get(operation);
    if (body != null) {
      rc.put(BODY_SCHEMA, body);
    }
    String[] segments = null;
    for (Parameter parameter : operation.getParameters()) {
      String text;
      if (parameter.getIn() == Location.QUERY) {
        text = rc.queryParams().get(parameter.getName());
      } else if (parameter.getIn() == Location.PATH) {
        if (segments == null) {
          segments = rc.normalizedPath().split("/");
        }
        text = pathValue(operation, segments, parameter.getName());
      } else {
        continue; // headers: none of the document's states a rule
      }
      String name = parameter.getName();
      if (text == null) {
        if (parameter.isRequired()) {
          throw InvalidInput.malformed(name, "query parameter " + name + " is required");
        }
        continue;
      }
      OutputUnit verdict =
          checks.validators().get(parameter).validate(value(parameter.getSchema(), text));
      if (!Boolean.TRUE.equals(verdict.getValid())) {
        throw refusal(name, verdict);
      }
    }
    rc.next();
  }

  /**
   * The value the schema judges: a number when the schema wants one and the text is a JSON number
   * ({@code 5}, {@code 5.0}, {@code 1e2}), else the text as sent. Not the library's reading, which
   * decodes any text as JSON first: {@code "1h"} with its quotes would pass as {@code 1h}, and the
   * route would then read the quotes.
   */
  private static Object value(JsonSchema schema, String text) {
    Object type = schema.get("type");
    if ("integer".equals(type) || "number".equals(type)) {
      try {
        Object number = Json.decodeValue(text);
        if (number instanceof Number) {
          return number;
        }
      } catch (DecodeException e) {
        // not a number: the schema says so
      }
    }
    return text;
  }

  /**
   * The decoded value of a path parameter, as the router gives it to the route; as sent when it is
   * not valid percent-encoding (the router refuses it, or the route's own check does).
   */
  private static String pathValue(Operation operation, String[] segments, String name) {
    String[] template = operation.getOpenAPIPath().split("/");
    for (int i = 0; i < template.length && i < segments.length; i++) {
      if (template[i].equals("{" + name + "}")) {
        try {
          return URLDecoder.decode(segments[i].replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          return segments[i];
        }
      }
    }
    return null;
  }

  /**
   * The schema's verdict as the API's refusal, naming the parameter: 400 when the value is not of
   * its type (text where a number belongs), else 422 (not one of the enum, out of range, too long).
   */
  private static InvalidInput refusal(String name, OutputUnit verdict) {
    List<OutputUnit> errors = verdict.getErrors() == null ? List.of() : verdict.getErrors();
    String reason =
        errors.stream()
            .map(OutputUnit::getError)
            .filter(Objects::nonNull)
            .reduce((a, b) -> a + "; " + b)
            .orElse("it breaks the API document's rule");
    String message = name + " is invalid: " + reason;
    boolean notOfItsType =
        errors.stream()
            .map(OutputUnit::getKeywordLocation)
            .anyMatch(at -> at != null && at.endsWith("/type"));
    return notOfItsType ? InvalidInput.malformed(name, message) : new InvalidInput(name, message);
  }
}
