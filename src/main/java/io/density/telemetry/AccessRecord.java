package io.density.telemetry;

import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * The access line of one HTTP request: {@code GET /v1/spaces/A 200 4ms 312B}, with the parts kept
 * apart for the JSON lines. It carries its request id itself, since it may be written when the
 * connection closes, outside the request's context.
 */
public final class AccessRecord extends LogRecord {
  private final String requestId;
  private final String method;
  private final String path;
  private final int status;
  private final long durationMs;
  private final long bytes;

  public AccessRecord(
      String logger,
      String requestId,
      String method,
      String path,
      int status,
      long durationMs,
      long bytes,
      boolean completed) {
    super(Level.INFO, null);
    this.requestId = requestId;
    this.method = method;
    this.path = path;
    this.status = completed ? status : 0;
    this.durationMs = durationMs;
    this.bytes = bytes;
    setLoggerName(logger);
    StringBuilder line = new StringBuilder(64 + path.length());
    line.append(method).append(' ').append(path).append(' ');
    if (completed) {
      line.append(status);
    } else {
      line.append("closed-before-answer");
    }
    line.append(' ').append(durationMs).append("ms ").append(bytes).append('B');
    setMessage(line.toString());
  }

  public String requestId() {
    return requestId;
  }

  public String method() {
    return method;
  }

  public String path() {
    return path;
  }

  /** The status answered; 0 when the connection closed before the answer was complete. */
  public int status() {
    return status;
  }

  public long durationMs() {
    return durationMs;
  }

  public long bytes() {
    return bytes;
  }
}
