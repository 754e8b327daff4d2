package io.density.telemetry;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import io.density.config.DensityConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * How log lines look: every handler of the root logger gets the configured formatter, {@link Text}
 * or {@link Json}. Both name the request a line was written for when there is one.
 *
 * <p>The request id and the thread are read when the line is formatted, which the root's handlers
 * (console) do on the thread that logs.
 */
public final class LogLines {
  private LogLines() {}

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT)
          .withZone(ZoneOffset.UTC);

  /** Sets the format of every line the root logger's handlers write, once at start. */
  public static void install(DensityConfig.Logging logging) {
    Logger root = Logger.getLogger("");
    Formatter formatter = logging.json() ? new Json() : new Text();
    Handler[] handlers = root.getHandlers();
    if (handlers.length == 0) {
      ConsoleHandler console = new ConsoleHandler();
      root.addHandler(console);
      handlers = new Handler[] {console};
    }
    for (Handler handler : handlers) {
      handler.setFormatter(formatter);
    }
  }

  /** The id of the request a record was written for, or null. */
  public static String requestId(LogRecord record) {
    return record instanceof AccessRecord access ? access.requestId() : RequestIds.current();
  }

  static String time(LogRecord record) {
    return TIME.format(record.getInstant());
  }

  static String stackTrace(Throwable thrown) {
    StringWriter out = new StringWriter(1024);
    try (PrintWriter printer = new PrintWriter(out)) {
      thrown.printStackTrace(printer);
    }
    return out.toString();
  }

  /**
   * {@code 2026-01-15T10:17:03.123Z INFO io.density.http.access [3f2a9c0d1e4b5a67] GET /v1/x 200
   * 4ms 312B}, then the stack trace of an exception, if any, on the lines after.
   *
   * <p>What a line carries can come from outside (a request's path, a message that quotes input, an
   * exception's message), so every control character in it (C0, DEL, C1, and the Unicode line and
   * paragraph separators) is written visibly, as {@code \n}, {@code \r}, {@code \t} or a backslash,
   * {@code u} and four hex digits (ESC is <code>&#92;u001b</code>): no text can end a line early,
   * forge another, or drive a terminal. The stack trace keeps its own line breaks and the tabs that
   * indent its frames; control characters inside each of its lines (an exception's message) are
   * escaped the same way.
   */
  public static final class Text extends Formatter {
    @Override
    public String format(LogRecord record) {
      String message = formatMessage(record);
      StringBuilder line = new StringBuilder(80 + (message == null ? 4 : message.length()));
      line.append(time(record)).append(' ');
      escape(record.getLevel().getName(), line).append(' ');
      escape(record.getLoggerName(), line);
      String id = requestId(record);
      if (id != null) {
        escape(id, line.append(" [")).append(']');
      }
      escape(message, line.append(": ")).append(System.lineSeparator());
      Throwable thrown = record.getThrown();
      if (thrown != null) {
        try (PrintWriter printer = new EscapingPrinter(line)) {
          thrown.printStackTrace(printer);
        }
      }
      return line.toString();
    }
  }

  /** Whether a character is written escaped in a text line. */
  static boolean control(char c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
  }

  /** Appends the text ({@code null} for none), each control character in it escaped. */
  static StringBuilder escape(String text, StringBuilder out) {
    if (text == null) {
      return out.append("null");
    }
    for (int i = 0; i < text.length(); i++) {
      escape(text.charAt(i), out);
    }
    return out;
  }

  private static void escape(char c, StringBuilder out) {
    if (!control(c)) {
      out.append(c);
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '\r') {
      out.append("\\r");
    } else if (c == '\t') {
      out.append("\\t");
    } else {
      out.append("\\u")
          .append(HEX[(c >> 12) & 0xf])
          .append(HEX[(c >> 8) & 0xf])
          .append(HEX[(c >> 4) & 0xf])
          .append(HEX[c & 0xf]);
    }
  }

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /**
   * Where a stack trace is printed for a text line: the line breaks of {@code println} (one after
   * each line a throwable prints: its header, a frame, {@code Caused by: ...}) and the tabs that
   * begin a line are kept; every other control character written is escaped.
   */
  private static final class EscapingPrinter extends PrintWriter {
    private final StringBuilder out;
    private boolean lineStart = true;

    EscapingPrinter(StringBuilder out) {
      super(Writer.nullWriter());
      this.out = out;
    }

    @Override
    public void write(int c) {
      put((char) c);
    }

    @Override
    public void write(char[] chars, int offset, int length) {
      for (int i = offset; i < offset + length; i++) {
        put(chars[i]);
      }
    }

    @Override
    public void write(String text, int offset, int length) {
      for (int i = offset; i < offset + length; i++) {
        put(text.charAt(i));
      }
    }

    @Override
    public void println() {
      out.append(System.lineSeparator());
      lineStart = true;
    }

    private void put(char c) {
      if (c == '\t' && lineStart) {
        out.append(c);
        return;
      }
      lineStart = false;
      escape(c, out);
    }
  }

  /**
   * One JSON object a line: {@code time} (ISO-8601, UTC), {@code level}, {@code logger}, {@code
   * message}, {@code thread}, {@code request_id} when known, {@code exception} ({@code class},
   * {@code message}, {@code stack}) when there is one, and for access lines {@code method}, {@code
   * path}, {@code status}, {@code duration_ms}, {@code bytes}.
   *
   * <p>Every control character of a string is escaped, as in text lines: JSON itself requires it of
   * C0 only, and DEL, C1 and the Unicode line separators are escaped too.
   */
  public static final class Json extends Formatter {
    private static final JsonFactory FACTORY = new JsonFactory().setCharacterEscapes(new Escapes());

    /** JSON's own escapes, and <code>&#92;uXXXX</code> for DEL, C1 and the line separators. */
    private static final class Escapes extends CharacterEscapes {
      private final int[] ascii = standardAsciiEscapesForJSON();

      Escapes() {
        ascii[0x7f] = ESCAPE_STANDARD;
      }

      @Override
      public int[] getEscapeCodesForAscii() {
        return ascii;
      }

      @Override
      public SerializableString getEscapeSequence(int c) {
        return c <= 0xffff && control((char) c)
            ? new SerializedString(String.format(Locale.ROOT, "\\u%04X", c))
            : null;
      }
    }

    @Override
    public String format(LogRecord record) {
      StringWriter out = new StringWriter(256);
      try (JsonGenerator json = FACTORY.createGenerator(out)) {
        json.writeStartObject();
        json.writeStringField("time", time(record));
        json.writeStringField("level", record.getLevel().getName());
        json.writeStringField("logger", record.getLoggerName());
        json.writeStringField("message", formatMessage(record));
        json.writeStringField("thread", Thread.currentThread().getName());
        String id = requestId(record);
        if (id != null) {
          json.writeStringField("request_id", id);
        }
        if (record instanceof AccessRecord access) {
          json.writeStringField("method", access.method());
          json.writeStringField("path", access.path());
          json.writeNumberField("status", access.status());
          json.writeNumberField("duration_ms", access.durationMs());
          json.writeNumberField("bytes", access.bytes());
        }
        Throwable thrown = record.getThrown();
        if (thrown != null) {
          json.writeObjectFieldStart("exception");
          json.writeStringField("class", thrown.getClass().getName());
          json.writeStringField("message", thrown.getMessage());
          json.writeStringField("stack", stackTrace(thrown));
          json.writeEndObject();
        }
        json.writeEndObject();
      } catch (IOException e) {
        // A StringWriter does not fail; should it, the line says so rather than vanish.
        return "{\"level\":\"SEVERE\",\"message\":\"a log line could not be encoded\"}"
            + System.lineSeparator();
      }
      return out.append(System.lineSeparator()).toString();
    }
  }
}
