package io.density.support;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The records a logger and its children log at or above a level, from {@link #of} until {@link
 * #close}: what a test asserts of the log lines a user would read.
 */
public final class LogCapture implements AutoCloseable {
  /** Held so that the logger, and the handler added to it, outlive the test's use of it. */
  private final Logger logger;

  private final List<LogRecord> records = new CopyOnWriteArrayList<>();
  private final Handler handler;

  private LogCapture(Logger logger, Level level) {
    this.logger = logger;
    this.handler =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= level.intValue()) {
              records.add(record);
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    logger.addHandler(handler);
  }

  /** Captures what the named logger ("" for every one) logs at {@code level} or above. */
  public static LogCapture of(String logger, Level level) {
    return new LogCapture(Logger.getLogger(logger), level);
  }

  /** The records so far, in the order they were logged. */
  public List<LogRecord> records() {
    return List.copyOf(records);
  }

  /** Their messages (unformatted). */
  public List<String> messages() {
    return records.stream().map(LogRecord::getMessage).toList();
  }

  @Override
  public void close() {
    logger.removeHandler(handler);
  }
}
