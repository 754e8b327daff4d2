package io.density.support;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * Generators of hostile input for the property tests of the HTTP API: random bytes and text,
 * malformed and deeply nested JSON, huge numbers, wrong types, NUL and control characters, lone
 * surrogates, overlong ids, odd timestamps, odd limits, unknown and repeated query parameters,
 * repeated keys. Everything comes from the {@link Random} given, so a seed replays a run.
 */
public final class Hostile {
  private final Random r;

  public Hostile(Random r) {
    this.r = r;
  }

  public boolean chance(double p) {
    return r.nextDouble() < p;
  }

  public int between(int min, int max) {
    return min + r.nextInt(max - min + 1);
  }

  @SafeVarargs
  public final <T> T oneOf(T... choices) {
    return choices[r.nextInt(choices.length)];
  }

  public <T> T oneOf(List<T> choices) {
    return choices.get(r.nextInt(choices.size()));
  }

  // ------------------------------------------------------------------ text

  private static final String[] ODD =
      new String[] {
        "\u0000",
        "\u0001",
        "\u001f",
        "\u007f",
        "\u0085",
        "\u009f",
        "\t",
        "\n",
        "\r",
        "\u2028",
        "\ufeff",
        "\u202e",
        "\ud800",
        "\udfff",
        "\ud83d\ude00",
        "\ud83d",
        "\uffff",
        "\ufffd",
        "é",
        "ß",
        "中",
        "'",
        "\"",
        "\\",
        "/",
        "%",
        "%00",
        "&",
        "=",
        "?",
        "#",
        ";",
        "+",
        " ",
        "<",
        ">",
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "..",
        "../"
      };

  /** A hostile string: control characters, lone surrogates, odd punctuation, overlong. */
  public String string() {
    return switch (r.nextInt(9)) {
      case 0 -> "";
      case 1 -> oneOf(" ", "  ", "\t", "\u3000", "\n");
      case 2 -> "x".repeat(between(65, 300));
      case 3 -> oneOf("null", "true", "0", "-1", "1e999", "NaN", "[]", "{}", "A", "283", "B");
      case 4 -> oneOf(ODD);
      case 5 -> {
        StringBuilder s = new StringBuilder();
        int n = between(1, 20);
        for (int i = 0; i < n; i++) {
          s.append(chance(0.5) ? oneOf(ODD) : String.valueOf((char) between('a', 'z')));
        }
        yield s.toString();
      }
      case 6 -> {
        StringBuilder s = new StringBuilder();
        int n = between(1, 40);
        for (int i = 0; i < n; i++) {
          s.append((char) r.nextInt(0x10000)); // any UTF-16 unit, lone surrogates included
        }
        yield s.toString();
      }
      case 7 -> "a" + oneOf(ODD) + "b";
      default -> {
        StringBuilder s = new StringBuilder();
        int n = between(1, 64);
        for (int i = 0; i < n; i++) {
          s.append((char) between(0x20, 0x7e));
        }
        yield s.toString();
      }
    };
  }

  /**
   * A string that breaks the id rule whatever else holds: too long, blank, or with a control
   * character (NUL included) or a lone surrogate.
   */
  public String badId() {
    return switch (r.nextInt(5)) {
      case 0 -> "d".repeat(between(65, 200));
      case 1 -> oneOf("", " ", "   ", "\t");
      case 2 -> "a" + (char) between(0, 0x1f) + "b";
      case 3 -> "a" + oneOf("\u007f", "\u0085", "\u0000") + "b";
      default -> "a" + oneOf("\ud800", "\udc00", "\udbff") + "b";
    };
  }

  /** A timestamp text that is odd: far years, odd offsets and fractions, impossible dates. */
  public String timestamp() {
    return oneOf(
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "1969-12-31T23:59:59.999999Z",
        "1999-12-31T23:59:59.999999999Z",
        "9999-12-31T23:59:59.999999999Z",
        "9999-12-31T23:59:59-18:00",
        "0000-01-01T00:00:00+18:00",
        "2018-02-24T08:45:21.893+99:99",
        "2018-02-24T08:45:21.8930000000Z",
        "2018-02-24T08:45:21.Z",
        "2018-02-30T00:00:00Z",
        "2018-13-01T00:00:00Z",
        "2018-02-24T24:00:00Z",
        "2016-12-31T23:59:60Z",
        "2018-02-24T08:45:21",
        "2018-02-24",
        "2018-02-24 08:45:21 01",
        "2018-02-24T08:45:21+01",
        "2018-02-24t08:45:21z",
        "+10000-01-01T00:00:00Z",
        "+1000000000-12-31T23:59:59Z",
        "-0001-01-01T00:00:00Z",
        "2999-01-01T00:00:00Z",
        "１２３４-01-01T00:00:00Z",
        "1519462721893",
        "",
        "noon",
        string());
  }

  /** A number that is odd: huge, tiny, negative, fractional, or not JSON at all. */
  public String number() {
    return oneOf(
        "0",
        "-0",
        "-1",
        "1.5",
        "2147483648",
        "-2147483649",
        "9223372036854775808",
        "1" + "0".repeat(between(20, 1200)),
        "1e999",
        "-1e-999",
        "1E+2",
        "0.0000000000000000000001",
        "NaN",
        "Infinity",
        "-Infinity",
        "0x10",
        "01",
        "+1",
        ".5",
        "1.");
  }

  // ------------------------------------------------------------------ JSON

  /** The string as a JSON literal, with lone surrogates and control characters as escapes. */
  public static String quote(String s) {
    StringBuilder out = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || Character.isSurrogate(c) || c == 0x7f) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append('"').toString();
  }

  /** Any JSON value (text), of any type: the wrong type for most fields. */
  public String value(int depth) {
    int kind = r.nextInt(depth <= 0 ? 5 : 7);
    return switch (kind) {
      case 0 -> oneOf("null", "true", "false");
      case 1 -> number();
      case 2, 3 -> quote(string());
      case 4 -> quote(timestamp());
      case 5 -> {
        List<String> items = new ArrayList<>();
        int n = between(0, 3);
        for (int i = 0; i < n; i++) {
          items.add(value(depth - 1));
        }
        yield "[" + String.join(",", items) + "]";
      }
      default -> {
        StringBuilder o = new StringBuilder("{");
        int n = between(0, 3);
        for (int i = 0; i < n; i++) {
          o.append(i == 0 ? "" : ",").append(quote(string())).append(':').append(value(depth - 1));
        }
        yield o.append('}').toString();
      }
    };
  }

  /** Arrays or objects nested deeper than any parser should follow, sometimes unbalanced. */
  public String deep() {
    int n = oneOf(500, 1001, 2000, 20_000);
    boolean arrays = chance(0.5);
    String open = arrays ? "[" : "{\"a\":";
    String close = arrays ? "]" : "}";
    return open.repeat(n) + (arrays ? "1" : "1") + close.repeat(chance(0.8) ? n : n / 2);
  }

  /** JSON text with a mistake: cut short, a character dropped or added, a bad literal. */
  public String malformed(String valid) {
    if (valid.isEmpty()) {
      return "{";
    }
    int at = r.nextInt(valid.length());
    return switch (r.nextInt(5)) {
      case 0 -> valid.substring(0, at);
      case 1 -> valid.substring(0, at) + valid.substring(at + 1);
      case 2 ->
          valid.substring(0, at)
              + oneOf("{", "}", "[", "]", ",", ":", "\"", "\\")
              + valid.substring(at);
      case 3 -> valid + oneOf(",", "}", "]", " x", "{}", "\u0000");
      default -> oneOf("{'a': 1}", "{a: 1}", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "\"\\x\"", "tru");
    };
  }

  /**
   * An object of the given fields: each left out, given a hostile value of any type, or given its
   * plausible value (so that the others get validated); some unknown keys and repeated keys too.
   */
  public String object(Map<String, Function<Hostile, String>> plausible) {
    List<String> members = new ArrayList<>();
    plausible.forEach(
        (field, value) -> {
          double p = r.nextDouble();
          if (p < 0.2) {
            return;
          }
          members.add(quote(field) + ":" + (p < 0.55 ? value(2) : value.apply(this)));
        });
    if (chance(0.2)) {
      members.add(quote(string()) + ":" + value(2));
    }
    if (chance(0.1) && !members.isEmpty()) {
      members.add(oneOf(members)); // the same key twice
    }
    java.util.Collections.shuffle(members, r);
    return "{" + String.join(",", members) + "}";
  }

  /** The members of an object with one more member, naming a field, put at a random place. */
  public String with(String object, String field, String valueJson) {
    String member = quote(field) + ":" + valueJson;
    String inner = object.substring(1, object.length() - 1);
    if (inner.isBlank()) {
      return "{" + member + "}";
    }
    // the field may be there already: a repeated key, which is refused too
    return chance(0.5) ? "{" + member + "," + inner + "}" : "{" + inner + "," + member + "}";
  }

  /** Random bytes, often not UTF-8. */
  public byte[] bytes() {
    byte[] b = new byte[between(0, 600)];
    r.nextBytes(b);
    return b;
  }

  // ------------------------------------------------------------------ URLs

  /** The text as a percent-encoded URL component: every byte of its UTF-8 (or raw bytes). */
  public static String encode(byte[] bytes) {
    StringBuilder out = new StringBuilder();
    for (byte b : bytes) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-') {
        out.append((char) c);
      } else {
        out.append('%').append(String.format("%02X", c));
      }
    }
    return out.toString();
  }

  public static String encode(String s) {
    return encode(s.getBytes(StandardCharsets.UTF_8));
  }

  /** A hostile value for a query string or a path segment, percent-encoded. */
  public String urlValue() {
    return switch (r.nextInt(6)) {
      case 0 -> encode(timestamp());
      case 1 -> encode(number());
      case 2 -> {
        byte[] b = new byte[between(1, 12)];
        r.nextBytes(b);
        yield encode(b); // not UTF-8: lone continuation bytes, encoded surrogates
      }
      case 3 -> oneOf("%ED%A0%80", "%C0%80", "%FF", "%00", "%F4%90%80%80", "+", "%2B", "%26%3D");
      default -> encode(string());
    };
  }

  /**
   * A query string of the given parameters and unknown ones, each maybe repeated, with hostile
   * values; or something that is barely a query string.
   */
  public String query(String... params) {
    if (chance(0.05)) {
      return oneOf("?", "?&&&", "?=", "?=x", "?a", "?;", "?%25%25", "?%25");
    }
    List<String> pairs = new ArrayList<>();
    int n = between(0, 5);
    for (int i = 0; i < n; i++) {
      String name =
          params.length > 0 && chance(0.8) ? oneOf(params) : encode(oneOf("x", "", string()));
      pairs.add(chance(0.1) ? name : name + "=" + urlValue());
    }
    return pairs.isEmpty() ? "" : "?" + String.join("&", pairs);
  }

  /** A path segment: hostile, or an id that is registered, or one that is not. */
  public String segment() {
    return chance(0.3) ? oneOf("A", "B", "283", "423", "nope") : nonEmpty(urlValue());
  }

  /** A path segment that breaks the id rule (and is not empty, so the route still matches). */
  public String badSegment() {
    String id = badId();
    while (id.chars().anyMatch(c -> Character.isSurrogate((char) c))) {
      id = badId(); // a URL carries UTF-8, which has no lone surrogate
    }
    return nonEmpty(encode(id));
  }

  private static String nonEmpty(String segment) {
    return segment.isEmpty() ? "%20" : segment;
  }
}
