package io.density.bus;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

/**
 * Failure codes carried over the event bus ({@link ReplyException#failureCode()}), and their one
 * mapping to HTTP status. The message is a JSON object {@code {error, field}}.
 */
public final class Failure {
  private Failure() {}

  public static final int INVALID = 1;
  public static final int NOT_FOUND = 2;
  public static final int CONFLICT = 3;
  public static final int UNAVAILABLE = 4;
  public static final int OVERLOADED = 5;
  public static final int TOO_LARGE = 6;

  /** The recipient no longer does this work (a counting shard changed hands): ask again. */
  public static final int ELSEWHERE = 7;

  /** No token, or one that is unknown, revoked or expired. */
  public static final int UNAUTHENTICATED = 8;

  /** Input that cannot be read: unparseable, missing, not of its type ({@link InvalidInput}). */
  public static final int MALFORMED = 9;

  /** A body of a media type the route does not take. */
  public static final int UNSUPPORTED_MEDIA_TYPE = 10;

  /** Redis holds no realtime state (restarted empty): it must be rebuilt before counting. */
  public static final int NOT_BUILT = 11;

  /**
   * Counting a part failed in a way that asking again will not mend (a fault, not an outage): the
   * batch is counted from PostgreSQL instead.
   */
  public static final int COUNTING_FAILED = 12;

  public static ReplyException of(int code, String field, String error) {
    JsonObject body = new JsonObject().put("error", error);
    if (field != null) {
      body.put("field", field);
    }
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, body.encode());
  }

  public static ReplyException invalid(String field, String error) {
    return of(INVALID, field, error);
  }

  /** Bad input as a failure of its kind (400, 415 or 422). */
  public static ReplyException of(InvalidInput e) {
    return of(e.failureCode(), e.field(), e.getMessage());
  }

  public static ReplyException notFound(String error) {
    return of(NOT_FOUND, null, error);
  }

  public static ReplyException conflict(String field, String error) {
    return of(CONFLICT, field, error);
  }

  public static ReplyException unavailable(String error) {
    return of(UNAVAILABLE, null, error);
  }

  /** The HTTP status for a failure code. */
  public static int httpStatus(int code) {
    return switch (code) {
      case INVALID -> 422;
      case MALFORMED -> 400;
      case UNSUPPORTED_MEDIA_TYPE -> 415;
      case NOT_FOUND -> 404;
      case CONFLICT -> 409;
      case OVERLOADED -> 429;
      case TOO_LARGE -> 413;
      case UNAUTHENTICATED -> 401;
      default -> 503;
    };
  }
}
