package io.density.ingest;

import io.density.bus.InvalidInput;

/**
 * The one rule for every id the API takes — DPUs, spaces, doorways, datapoint ids, ids in paths and
 * query strings: 1 to 64 characters once trimmed, no control character (NUL included), and valid
 * Unicode (no lone surrogate, which could not be stored as it was sent).
 */
public final class Ids {
  private Ids() {}

  public static final int MAX_LENGTH = 64;

  /** The id, trimmed; else the reason it is refused, naming the field. */
  public static String check(String value, String field) throws InvalidInput {
    String id = value == null ? "" : value.trim();
    if (id.isEmpty() || id.length() > MAX_LENGTH) {
      throw new InvalidInput(field, field + " must be 1 to " + MAX_LENGTH + " characters");
    }
    if (id.chars().anyMatch(Character::isISOControl)) {
      throw new InvalidInput(field, field + " must not contain control characters");
    }
    return storable(id, field);
  }

  /** Free text (names, labels) as PostgreSQL can store it: no NUL character, no lone surrogate. */
  public static String storable(String text, String field) throws InvalidInput {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == 0) {
        throw new InvalidInput(field, field + " must not contain the NUL character");
      }
      if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new InvalidInput(field, field + " is not valid Unicode (a lone surrogate)");
      }
    }
    return text;
  }
}
