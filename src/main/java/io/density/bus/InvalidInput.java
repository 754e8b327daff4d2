package io.density.bus;

/**
 * Bad input, naming the offending field. Two kinds, by one rule (the error table of docs/api.md):
 * <em>malformed</em> input cannot be read — a body that is not JSON, a key given twice, a missing
 * required field or parameter, a value that is not of its type (a timestamp that does not parse) —
 * and is answered 400; a well-formed value that breaks a rule (out of range, not allowed, an id
 * with control characters) is <em>invalid</em>, 422. A body of the wrong media type is 415.
 *
 * <p>Unchecked: an HTTP route throws it (or fails its request with it) and the router's one failure
 * handler answers; a verticle turns it into a bus failure with {@link Failure#of(InvalidInput)}.
 */
public final class InvalidInput extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The field naming a wrong media type. */
  public static final String CONTENT_TYPE = "Content-Type";

  private final String field;
  private final boolean malformed;

  /** A well-formed value that breaks a rule (422). */
  public InvalidInput(String field, String message) {
    this(field, message, false);
  }

  private InvalidInput(String field, String message, boolean malformed) {
    super(message, null, false, false);
    this.field = field;
    this.malformed = malformed;
  }

  /** Input that cannot be read: unparseable, missing, or not of its type (400). */
  public static InvalidInput malformed(String field, String message) {
    return new InvalidInput(field, message, true);
  }

  public String field() {
    return field;
  }

  public boolean malformed() {
    return malformed;
  }

  /** Its failure code ({@link Failure}), which decides the HTTP status. */
  public int failureCode() {
    if (CONTENT_TYPE.equals(field)) {
      return Failure.UNSUPPORTED_MEDIA_TYPE;
    }
    return malformed ? Failure.MALFORMED : Failure.INVALID;
  }
}
