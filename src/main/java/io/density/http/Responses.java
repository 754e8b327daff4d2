package io.density.http;

import io.density.bus.Failure;
import io.density.bus.InvalidInput;
import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * JSON responses, and the one place where failures become HTTP statuses.
 *
 * <p>The error road: a route throws {@link InvalidInput} (or a {@link Failure} of its own: too many
 * items, an unknown kind), or fails its request with what an event-bus request failed with; the
 * router's one failure handler, {@link #failed}, answers every such request with {@link #failure},
 * the one mapping from a failure to a status and its body {@code {status, error, field}}.
 */
final class Responses {
  private static final Logger LOG = Logger.getLogger(Responses.class.getName());

  /** The routing context key set once the client's departure is logged. */
  private static final String CLIENT_GONE = "clientGone";

  private Responses() {}

  static void json(RoutingContext rc, int status, JsonObject body) {
    if (rc.response().ended() || rc.response().closed()) {
      return;
    }
    rc.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(body.encode());
  }

  /** 200 with {@code {"status": "OK", ...answer}}. */
  static void ok(RoutingContext rc, JsonObject answer) {
    json(rc, 200, envelope(answer));
  }

  /**
   * The answer to a write of the building or of alerts: 201 when it created something (its {@code
   * created} flag, which is not echoed), else 200.
   */
  static void stored(RoutingContext rc, JsonObject answer) {
    Boolean created = (Boolean) answer.remove("created");
    json(rc, Boolean.TRUE.equals(created) ? 201 : 200, envelope(answer));
  }

  private static JsonObject envelope(JsonObject answer) {
    return new JsonObject().put("status", "OK").mergeIn(answer);
  }

  static void error(RoutingContext rc, int status, String field, String message) {
    if (rc.response().ended() || rc.response().closed()) {
      return; // answered already (say, a body refused as too slow), or nobody left to answer
    }
    JsonObject body = describe(new JsonObject().put("status", "error"), field, message);
    if (status == 429 || status == 503) {
      rc.response().putHeader("Retry-After", "1");
    }
    json(rc, status, body);
  }

  /**
   * Bad input as an error's {@code error} and {@code field}, on a body or a batch item's result.
   */
  static JsonObject describe(JsonObject into, InvalidInput e) {
    return describe(into, e.field(), e.getMessage());
  }

  private static JsonObject describe(JsonObject into, String field, String message) {
    into.put("error", message);
    if (field != null) {
      into.put("field", field);
    }
    return into;
  }

  /**
   * The router's failure handler: whatever failed a request (a route that threw, a request failed
   * with a cause, Vert.x's own refusals such as a body over the limit) is answered as JSON.
   */
  static void failed(RoutingContext rc) {
    int status = rc.statusCode();
    if (status == 413) {
      error(rc, 413, "body", "the body is larger than the limit");
    } else if (status >= 400 && status < 500) {
      error(rc, status, null, "bad request");
    } else {
      failure(rc, rc.failure());
    }
  }

  /**
   * The one road from a failure to an answer: bad input ({@link InvalidInput}) and failures of
   * event-bus requests ({@link Failure} codes) get the status their kind says, anything else 500.
   *
   * <p>A client that has gone away gets no answer, and is no fault of the server's: one FINE line,
   * no stack. It has gone when its connection is closed, or failed while the request was read (a
   * client that drops an upload: the body handler fails the request with {@link
   * HttpClosedException}, or the {@link IOException} of a reset).
   */
  private static void failure(RoutingContext rc, Throwable err) {
    if (err instanceof HttpClosedException
        || err instanceof IOException
        || rc.response().closed()) {
      // Once a request: a connection that fails, then closes, may say so twice.
      if (rc.get(CLIENT_GONE) == null) {
        rc.put(CLIENT_GONE, Boolean.TRUE);
        LOG.fine(
            () ->
                "client gone before the answer ("
                    + err
                    + "): "
                    + rc.request().method()
                    + " "
                    + rc.request().path());
      }
      return;
    }
    if (err instanceof InvalidInput e) {
      error(rc, Failure.httpStatus(e.failureCode()), e.field(), e.getMessage());
      return;
    }
    if (err instanceof ReplyException re) {
      if (re.failureType() != ReplyFailure.RECIPIENT_FAILURE) {
        error(rc, 503, null, "service unavailable (" + re.failureType() + "), retry");
        return;
      }
      JsonObject detail;
      try {
        detail = new JsonObject(re.getMessage());
      } catch (DecodeException notJson) {
        detail = new JsonObject().put("error", re.getMessage());
      }
      error(
          rc,
          Failure.httpStatus(re.failureCode()),
          detail.getString("field"),
          detail.getString("error"));
      return;
    }
    LOG.log(Level.SEVERE, "unexpected failure on " + rc.request().path(), err);
    error(rc, 500, null, "internal error");
  }

  /**
   * Completes the request with the future's answer ({@code "status": "OK"} added), or its failure.
   */
  static void reply(RoutingContext rc, Future<JsonObject> future, int status) {
    future.onSuccess(answer -> json(rc, status, envelope(answer))).onFailure(rc::fail);
  }
}
