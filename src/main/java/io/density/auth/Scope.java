package io.density.auth;

import java.util.Locale;

/**
 * What a token may do. {@code ingest}: send datapoints; {@code read}: every GET; {@code admin}:
 * everything, tokens included.
 */
public enum Scope {
  INGEST,
  READ,
  ADMIN;

  /** The scope named (lower case, as the API writes it), or null. */
  public static Scope named(String name) {
    for (Scope s : values()) {
      if (s.label().equals(name)) {
        return s;
      }
    }
    return null;
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether a token of this scope may do what needs {@code needed}. */
  public boolean grants(Scope needed) {
    return this == ADMIN || this == needed;
  }
}
