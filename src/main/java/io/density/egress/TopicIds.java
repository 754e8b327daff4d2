package io.density.egress;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The one encoding of space and DPU ids inside MQTT topics and NATS subjects. Letters, digits,
 * {@code -}, {@code _} and {@code ~} stand for themselves; every other byte of the id's UTF-8 form
 * becomes {@code %} and two upper-case hex digits. So {@code /}, {@code +}, {@code #} (MQTT),
 * {@code .}, {@code *}, {@code >} (NATS), spaces and {@code %} itself never reach a topic or
 * subject as they are, and {@link #decode} gives the id back. Messages carry the id itself too.
 */
public final class TopicIds {
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private TopicIds() {}

  /** The id as one topic level or subject token. */
  public static String encode(String id) {
    if (allPlain(id)) {
      return id; // most ids: nothing to encode, and no copy
    }
    StringBuilder out = new StringBuilder(id.length());
    for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c < 0x80 && plain((char) c)) {
        out.append((char) c);
      } else {
        out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
      }
    }
    return out.toString();
  }

  /** The id that {@link #encode} turned into {@code token}. */
  public static String decode(String token) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(token.length());
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c == '%') {
        if (i + 2 >= token.length()) {
          throw new IllegalArgumentException("a % without two hex digits in " + token);
        }
        bytes.write(Integer.parseInt(token.substring(i + 1, i + 3), 16));
        i += 2;
      } else if (plain(c)) {
        bytes.write(c);
      } else {
        throw new IllegalArgumentException("'" + c + "' is not part of an encoded id: " + token);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static boolean allPlain(String id) {
    for (int i = 0; i < id.length(); i++) {
      if (!plain(id.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean plain(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '-'
        || c == '_'
        || c == '~';
  }
}
