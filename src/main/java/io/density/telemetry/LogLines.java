package io.density.telemetry;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.density.config.DensityConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
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
   */
  public static final class Text extends Formatter {
    @Override
    public String format(LogRecord record) {
      String message = formatMessage(record);
      StringBuilder line = new StringBuilder(80 + (message == null ? 4 : message.length()));
      line.append(time(record))
          .append(' ')
          .append(record.getLevel().getName())
          .append(' ')
          .append(record.getLoggerName());
      String id = requestId(record);
      if (id != null) {
        line.append(" [").append(id).append(']');
      }
      line.append(": ").append(message).append(System.lineSeparator());
      if (record.getThrown() != null) {
        line.append(stackTrace(record.getThrown()));
      }
      return line.toString();
    }
  }

  /**
   * One JSON object a line: {@code time} (ISO-8601, UTC), {@code level}, {@code logger}, {@code
   * message}, {@code thread}, {@code request_id} when known, {@code exception} ({@code class},
   * {@code message}, {@code stack}) when there is one, and for access lines {@code method}, {@code
   * path}, {@code status}, {@code duration_ms}, {@code bytes}.
   */
  public static final class Json extends Formatter {
    private static final JsonFactory FACTORY = new JsonFactory();

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
