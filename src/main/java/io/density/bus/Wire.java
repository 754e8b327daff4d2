package io.density.bus;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/** Strings in the binary form of the event-bus codecs: a length, then UTF-8 bytes. */
public final class Wire {
  private Wire() {}

  public static void writeString(Buffer buffer, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    buffer.appendInt(bytes.length).appendBytes(bytes);
  }

  /** Reads the string at {@code at[0]} and moves {@code at[0]} past it. */
  public static String readString(Buffer buffer, int[] at) {
    int length = buffer.getInt(at[0]);
    String s = buffer.getString(at[0] + 4, at[0] + 4 + length, "UTF-8");
    at[0] += 4 + length;
    return s;
  }
}
