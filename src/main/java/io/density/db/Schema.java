package io.density.db;

import io.density.config.DensityConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.logging.Logger;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Brings the database's schema up to the migrations of {@code sql/} (packaged on the classpath,
 * named {@code V<n>__<what>.sql}) with Flyway, which records each one it applies in {@value
 * #HISTORY} and never applies it again. A release that changes the schema adds a new script.
 *
 * <p>A database made before migrations were recorded (by the scripts V1 to V{@value #BASELINE} run
 * at every start, so it has the table {@code space} but no history) is baselined at version {@value
 * #BASELINE}: those scripts are not run again, later ones are.
 *
 * <p>Nodes starting together, and {@code schema migrate} beside them, are serialised by a session
 * advisory lock of our own (the key the scripts were applied under before Flyway, so a node of an
 * older release waits too), held around the whole step including the decision to baseline; Flyway
 * takes its own advisory lock inside it as well.
 *
 * <p>Flyway is blocking JDBC: {@link #apply} runs it on a worker thread, {@link #migrate} on the
 * caller's.
 */
public final class Schema {
  private static final Logger LOG = Logger.getLogger(Schema.class.getName());

  /** Flyway's table of the migrations applied (in the connection's schema, public). */
  public static final String HISTORY = "flyway_schema_history";

  /** The last script applied, unrecorded, at every start before migrations were recorded. */
  public static final String BASELINE = "6";

  private static final long LOCK_KEY = 0x64656e73L; // "dens"

  private Schema() {}

  /** What a migration did. */
  public record Outcome(String baselined, int applied, String version) {
    @Override
    public String toString() {
      return (baselined == null
              ? ""
              : "an existing schema without migration history was baselined at version "
                  + baselined
                  + "; ")
          + (applied == 0 ? "no migration to apply" : applied + " migration(s) applied")
          + "; the schema is at version "
          + version;
    }
  }

  /** {@link #migrate} on a worker thread (never on an event loop). */
  public static Future<Void> apply(Vertx vertx, DensityConfig.Postgres config) {
    return vertx.executeBlocking(() -> migrate(config), false).mapEmpty();
  }

  /** Blocking: applies the migrations not yet applied; warns if TimescaleDB cannot be used. */
  public static Outcome migrate(DensityConfig.Postgres config) throws SQLException {
    Jdbc jdbc = Jdbc.of(config.url());
    try (Connection lock = DriverManager.getConnection(jdbc.url(), jdbc.properties());
        Statement statement = lock.createStatement()) {
      statement.execute("SELECT pg_advisory_lock(" + LOCK_KEY + ")");
      try {
        boolean unrecorded =
            exists(statement, "SELECT to_regclass('space') IS NOT NULL")
                && !exists(statement, "SELECT to_regclass('" + HISTORY + "') IS NOT NULL");
        MigrateResult result =
            Flyway.configure(Schema.class.getClassLoader())
                .dataSource(jdbc.url(), jdbc.user(), jdbc.password())
                .locations("classpath:sql")
                .table(HISTORY)
                .placeholderReplacement(false)
                .validateMigrationNaming(true)
                // Only a schema of today's tables without history is baselined at BASELINE; any
                // other non-empty schema (say, objects of an extension) gets every migration.
                .baselineOnMigrate(true)
                .baselineVersion(unrecorded ? BASELINE : "0")
                .baselineDescription(
                    unrecorded ? "scripts V1 to V" + BASELINE + " applied before Flyway" : "empty")
                .load()
                .migrate();
        if (exists(statement, Statements.TIMESCALE_NOT_PRELOADED)) {
          LOG.warning(
              "TimescaleDB is installed but not in shared_preload_libraries, so plain"
                  + " monthly partitions are used; to use TimescaleDB, add timescaledb"
                  + " to shared_preload_libraries, restart PostgreSQL and start from a"
                  + " new database");
        }
        return new Outcome(
            unrecorded ? BASELINE : null,
            result.migrationsExecuted,
            result.targetSchemaVersion != null
                ? result.targetSchemaVersion
                : result.initialSchemaVersion);
      } finally {
        statement.execute("SELECT pg_advisory_unlock(" + LOCK_KEY + ")");
      }
    }
  }

  private static boolean exists(Statement statement, String query) throws SQLException {
    try (ResultSet rows = statement.executeQuery(query)) {
      return rows.next() && rows.getBoolean(1);
    }
  }

  /**
   * The configured {@code postgresql://user:pass@host:port/db?params} as JDBC wants it: {@code
   * jdbc:postgresql://host:port/db?params}, the credentials as properties.
   */
  record Jdbc(String url, String user, String password) {
    static Jdbc of(String configured) {
      PgConnectOptions options = PgConnectOptions.fromUri(configured);
      String host = options.getHost();
      if (host.contains(":") && !host.startsWith("[")) {
        host = "[" + host + "]";
      }
      int query = configured.indexOf('?');
      return new Jdbc(
          "jdbc:postgresql://"
              + host
              + ":"
              + options.getPort()
              + "/"
              + options.getDatabase()
              + (query < 0 ? "" : configured.substring(query)),
          options.getUser(),
          options.getPassword());
    }

    Properties properties() {
      Properties p = new Properties();
      if (user != null) {
        p.setProperty("user", user);
      }
      if (password != null) {
        p.setProperty("password", password);
      }
      return p;
    }
  }
}
