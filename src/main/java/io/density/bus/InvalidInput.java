package io.density.bus;

/** A value that breaks the ingest rules; names the offending field. */
public final class InvalidInput extends Exception {
  private static final long serialVersionUID = 1L;
  private final String field;

  public InvalidInput(String field, String message) {
    super(message, null, false, false);
    this.field = field;
  }

  public String field() {
    return field;
  }
}
