package io.density.db;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarFile;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Applies the numbered, idempotent scripts of {@code sql/} (packaged on the classpath) in order,
 * under an advisory lock so that nodes starting together do not race.
 */
public final class Schema {
  private static final Logger LOG = Logger.getLogger(Schema.class.getName());

  private Schema() {}

  private static final long LOCK_KEY = 0x64656e73L; // "dens"

  public static Future<Void> apply(Pool pool) {
    List<String> scripts = scripts().stream().map(Schema::read).toList();
    return pool.withConnection(
        conn -> {
          Future<Void> chain =
              conn.query("SET client_min_messages = warning")
                  .execute()
                  .compose(v -> conn.query("SELECT pg_advisory_lock(" + LOCK_KEY + ")").execute())
                  .mapEmpty();
          for (String script : scripts) {
            chain = chain.compose(v -> conn.query(script).execute().mapEmpty());
          }
          return chain
              .compose(v -> conn.query(Statements.TIMESCALE_NOT_PRELOADED).execute())
              .<Void>map(
                  rows -> {
                    if (rows.iterator().next().getBoolean("not_preloaded")) {
                      LOG.warning(
                          "TimescaleDB is installed but not in shared_preload_libraries, so plain"
                              + " monthly partitions are used; to use TimescaleDB, add timescaledb"
                              + " to shared_preload_libraries, restart PostgreSQL and start from a"
                              + " new database");
                    }
                    return null;
                  })
              .eventually(
                  () -> conn.query("SELECT pg_advisory_unlock(" + LOCK_KEY + ")").execute());
        });
  }

  /** The script names under sql/ on the classpath, in order. */
  static List<String> scripts() {
    URL dir = Schema.class.getClassLoader().getResource("sql");
    if (dir == null) {
      throw new IllegalStateException("sql/ is not on the classpath");
    }
    List<String> names = new ArrayList<>();
    try {
      if ("jar".equals(dir.getProtocol())) {
        JarURLConnection connection = (JarURLConnection) dir.openConnection();
        connection.setUseCaches(false); // closing a cached JarFile would break class loading
        try (JarFile jar = connection.getJarFile()) {
          jar.stream()
              .map(e -> e.getName())
              .filter(n -> n.startsWith("sql/") && n.endsWith(".sql"))
              .forEach(names::add);
        }
      } else {
        try (Stream<Path> files = Files.list(Path.of(dir.toURI()))) {
          files
              .map(p -> "sql/" + p.getFileName())
              .filter(n -> n.endsWith(".sql"))
              .forEach(names::add);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    Collections.sort(names);
    return names;
  }

  private static String read(String resource) {
    try (InputStream in = Schema.class.getClassLoader().getResourceAsStream(resource)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
