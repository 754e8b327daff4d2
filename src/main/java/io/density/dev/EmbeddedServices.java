package io.density.dev;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import redis.embedded.RedisServer;

/**
 * Real PostgreSQL and Redis servers started from binaries shipped in Maven artifacts, for a first
 * run (and a test run) on a machine that has nothing installed but a JDK. Never used by the
 * production path.
 */
public final class EmbeddedServices implements AutoCloseable {
  private EmbeddedPostgres postgres;
  private RedisServer redis;

  /** Starts PostgreSQL with fsync off (nothing here is meant to survive the process). */
  public String startPostgres() {
    try {
      postgres =
          EmbeddedPostgres.builder()
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
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
