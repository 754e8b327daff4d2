package io.density.support;

import io.density.dev.EmbeddedServices;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL of a test's own, with production durability (fsync, synchronous commit and full page
 * writes on, unlike the embedded one the suite may run on), which the test may crash and restart on
 * the same data directory and port. A crash is an immediate shutdown (SIGQUIT to the postmaster):
 * nothing is written back, and the next start recovers from the WAL, as after a power cut for
 * everything that was flushed.
 */
public final class DurablePostgres implements AutoCloseable {
  private final Path data;
  private final int port;
  private EmbeddedPostgres postgres;

  public DurablePostgres() {
    try {
      data = Files.createTempDirectory("density-durable-pg");
      port = EmbeddedServices.freePort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    start();
  }

  /** The admin URL, as TestServices gives it. */
  public String adminUrl() {
    return "postgresql://postgres@localhost:" + port + "/postgres";
  }

  private void start() {
    try {
      postgres =
          EmbeddedPostgres.builder()
              .setDataDirectory(data)
              .setCleanDataDirectory(false)
              .setPort(port)
              .setRegisterShutdownHook(false)
              .setServerConfig("fsync", "on")
              .setServerConfig("synchronous_commit", "on")
              .setServerConfig("full_page_writes", "on")
              // Durable commits flush the log; the WAL writer, which flushes the others too, waits
              // 10 s rather than 200 ms, so a crash erases as many of those as it can.
              .setServerConfig("wal_writer_delay", "10000")
              .setServerConfig("max_connections", "100")
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the durable PostgreSQL", e);
    }
  }

  /** Immediate shutdown: the postmaster and its backends quit at once, writing nothing back. */
  public void crash() throws IOException, InterruptedException {
    long pid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
    ProcessHandle postmaster =
        ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("no postmaster " + pid));
    Process kill = new ProcessBuilder("kill", "-QUIT", String.valueOf(pid)).start();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("kill -QUIT " + pid + " failed");
    }
    postmaster.onExit().orTimeout(30, TimeUnit.SECONDS).join();
    try {
      postgres.close(); // lets go of its lock on the data directory; the server is gone already
    } catch (IOException alreadyDown) {
      // pg_ctl stop finds no server: expected.
    }
  }

  /** Starts again on the same data directory and port: crash recovery replays the WAL. */
  public void restart() {
    start();
  }

  @Override
  public void close() throws IOException {
    postgres.close();
    try (Stream<Path> files = Files.walk(data)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
