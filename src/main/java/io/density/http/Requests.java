package io.density.http;

import io.density.ingest.DatapointParser;
import io.density.ingest.InvalidInput;
import io.density.ingest.Timestamps;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Reading what a request carries, with errors that name the problem. */
final class Requests {
  private Requests() {}

  /** The media type of the body, without parameters, lower case; "" when absent. */
  static String mediaType(RoutingContext rc) {
    String header = rc.request().getHeader("Content-Type");
    if (header == null) {
      return "";
    }
    int semicolon = header.indexOf(';');
    return (semicolon < 0 ? header : header.substring(0, semicolon)).trim().toLowerCase();
  }

  static JsonObject jsonObject(RoutingContext rc) throws InvalidInput {
    if (!mediaType(rc).equals("application/json")) {
      throw new InvalidInput("Content-Type", "Content-Type must be application/json");
    }
    try {
      Object value = rc.body().buffer() == null ? null : rc.body().buffer().toJsonValue();
      if (value instanceof JsonObject object) {
        return object;
      }
      throw new InvalidInput("body", "the body must be a JSON object");
    } catch (DecodeException e) {
      throw new InvalidInput("body", "the body is not valid JSON");
    }
  }

  static String requiredParam(RoutingContext rc, String name) throws InvalidInput {
    String value = rc.queryParams().get(name);
    if (value == null || value.isBlank()) {
      throw new InvalidInput(name, "query parameter " + name + " is required");
    }
    return identifier(value, name);
  }

  static String pathId(RoutingContext rc, String name) throws InvalidInput {
    return identifier(rc.pathParam(name), name);
  }

  static Long optionalInstant(RoutingContext rc, String name) throws InvalidInput {
    String value = rc.queryParams().get(name);
    return value == null || value.isBlank() ? null : Timestamps.parseMicros(value, name);
  }

  /** 415 for a wrong media type, 400 for a body that is not JSON, 422 for a bad value. */
  static int status(InvalidInput e) {
    if ("Content-Type".equals(e.field())) {
      return 415;
    }
    return "body".equals(e.field()) ? 400 : 422;
  }

  private static String identifier(String value, String name) throws InvalidInput {
    String id = value.trim();
    if (id.isEmpty() || id.length() > DatapointParser.MAX_ID_LENGTH) {
      throw new InvalidInput(
          name, name + " must be 1 to " + DatapointParser.MAX_ID_LENGTH + " characters");
    }
    return id;
  }
}
