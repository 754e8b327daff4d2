package io.density.dev;

import io.density.telemetry.LogLines;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;
import redis.embedded.RedisServer;

/**
 * Real PostgreSQL and Redis servers started from binaries shipped in Maven artifacts, for a first
 * run (and a test run) on a machine that has nothing installed but a JDK. Never used by the
 * production path.
 */
public final class EmbeddedServices implements AutoCloseable {
  /**
   * What logs the embedded PostgreSQL's start (the library, and initdb's and the server's own
   * output, which it logs) and the schema migrations applied to it: to its log file, not the
   * console. Held here: the logging framework keeps loggers only weakly.
   */
  private static final List<Logger> POSTGRES_LOGGERS =
      List.of(Logger.getLogger("io.zonky.test.db.postgres"), Logger.getLogger("org.flywaydb"));

  private EmbeddedPostgres postgres;
  private RedisServer redis;
  private Path directory;
  private Handler postgresLog;

  /**
   * The directory of this run's embedded PostgreSQL: its data (removed when it stops) and its log
   * file, {@code postgres.log}, which stays.
   */
  public Path directory() {
    if (directory == null) {
      try {
        directory = Files.createTempDirectory("density-dev-");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot make a directory for the embedded PostgreSQL", e);
      }
    }
    return directory;
  }

  /** Where the embedded PostgreSQL's start-up lines and messages go. */
  public Path postgresLog() {
    return directory().resolve("postgres.log");
  }

  /**
   * Starts PostgreSQL with fsync off (nothing here is meant to survive the process); what it and
   * the schema migrations log goes to {@link #postgresLog()}.
   */
  public String startPostgres() {
    try {
      logTo(postgresLog());
      postgres =
          EmbeddedPostgres.builder()
              .setDataDirectory(directory().resolve("data"))
              // Stopped by close(), which the caller's own hook calls once the server is down:
              // a hook of its own would stop it under a server still draining.
              .setRegisterShutdownHook(false)
              .setServerConfig("fsync", "off")
              .setServerConfig("synchronous_commit", "off")
              .setServerConfig("full_page_writes", "off")
              .setServerConfig("max_connections", "200")
              .start();
      return "postgresql://postgres@localhost:" + postgres.getPort() + "/postgres";
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded PostgreSQL", e);
    }
  }

  /** Starts Redis on a free loopback port, without snapshots. */
  public String startRedis() {
    try {
      int port = freePort();
      redis =
          RedisServer.newRedisServer()
              .bind("127.0.0.1")
              .port(port)
              .setting("save \"\"")
              .setting("appendonly no")
              .build();
      redis.start();
      return "redis://127.0.0.1:" + port;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the embedded Redis", e);
    }
  }

  @Override
  public void close() {
    try {
      if (redis != null) {
        redis.stop();
      }
      if (postgres != null) {
        postgres.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (postgresLog != null) {
        for (Logger logger : POSTGRES_LOGGERS) {
          logger.removeHandler(postgresLog);
          logger.setUseParentHandlers(true);
        }
        postgresLog.close();
      }
    }
  }

  /** The PostgreSQL loggers write to the file only, each line as soon as it is logged. */
  private void logTo(Path file) throws IOException {
    postgresLog =
        new StreamHandler(
            Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND),
            new LogLines.Text()) {
          @Override
          public synchronized void publish(LogRecord record) {
            super.publish(record);
            flush();
          }
        };
    for (Logger logger : POSTGRES_LOGGERS) {
      logger.addHandler(postgresLog);
      logger.setUseParentHandlers(false);
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
