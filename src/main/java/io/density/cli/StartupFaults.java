package io.density.cli;

import io.density.config.DensityConfig;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.redis.client.impl.types.ErrorType;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What went wrong at start, in a sentence that names the setting to fix, not a stack trace. A fault
 * is recognised by its type and, from PostgreSQL, its SQL state, never by the words of its message
 * (which change with the driver and the locale).
 */
public final class StartupFaults {
  private StartupFaults() {}

  /** How long a configured service is given to accept a connection, when one was refused. */
  private static final int PROBE_MS = 1_000;

  /** A service the server connects to: its name, the setting that places it, where it is. */
  private record Service(String name, String setting, String host, int port) {
    String address() {
      return host + ":" + port;
    }

    /** Whether it accepts a connection now. */
    boolean answers() {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(host, port), PROBE_MS);
        return true;
      } catch (IOException | IllegalArgumentException e) {
        return false;
      }
    }
  }

  /** The same, without the configuration (it could not be read). */
  public static String explain(Throwable failure) {
    return explain(failure, null);
  }

  /**
   * The sentence for a failure at start; {@code config} is the configuration in use (null when it
   * could not be read), which says where PostgreSQL and Redis are.
   */
  public static String explain(Throwable failure, DensityConfig config) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? root.toString() : root.getMessage();

    BindException bind = find(failure, BindException.class);
    if (bind != null) {
      return "the HTTP port is taken ("
          + bind.getMessage()
          + "): set DENSITY_HTTP_PORT to a free one";
    }
    String state = sqlState(failure);
    if (state != null && state.startsWith("08")) { // connection_exception
      Service postgres = postgres(config);
      return "nothing answers at "
          + (postgres == null ? "the configured address" : postgres.address())
          + ": check that PostgreSQL (DENSITY_PG_URL) runs there";
    }
    if ("28000".equals(state) || "28P01".equals(state)) { // invalid authorization or password
      return "PostgreSQL refused the login ("
          + sqlMessage(failure)
          + "): check the user and password in DENSITY_PG_URL";
    }
    if ("3D000".equals(state)) { // invalid_catalog_name
      return "PostgreSQL has no such database ("
          + sqlMessage(failure)
          + "): create it, or name another in DENSITY_PG_URL";
    }
    ErrorType redis = find(failure, ErrorType.class);
    if (redis != null && (redis.is("WRONGPASS") || redis.is("NOAUTH"))) {
      return "Redis refused the login ("
          + redis.getMessage()
          + "): check the user and password in DENSITY_REDIS_URL";
    }
    UnknownHostException unknown = find(failure, UnknownHostException.class);
    if (unknown != null) {
      return "a host name does not resolve ("
          + unknown.getMessage()
          + "): check the hosts in DENSITY_PG_URL and DENSITY_REDIS_URL";
    }
    if (find(failure, ConnectException.class) != null) {
      return refused(config);
    }
    return message;
  }

  /**
   * A connection was refused: the sentence names the services of the configuration that refuse one
   * now, or all of them when none can be told apart.
   */
  private static String refused(DensityConfig config) {
    List<Service> services = new ArrayList<>();
    List<Service> silent = new ArrayList<>();
    if (config != null) {
      services.add(postgres(config));
      services.add(redis(config));
      if (config.mqtt().enabled()) {
        services.add(
            new Service(
                "the MQTT broker", "DENSITY_MQTT_URL", config.mqtt().host(), config.mqtt().port()));
      }
      services.removeIf(s -> s == null);
      services.stream().filter(s -> !s.answers()).forEach(silent::add);
    }
    if (silent.isEmpty()) {
      return "nothing answers at the configured address: check that PostgreSQL (DENSITY_PG_URL)"
          + " and Redis (DENSITY_REDIS_URL) run there";
    }
    List<String> addresses = silent.stream().map(Service::address).toList();
    List<String> names = silent.stream().map(s -> s.name() + " (" + s.setting() + ")").toList();
    return "nothing answers at "
        + String.join(" and ", addresses)
        + ": check that "
        + String.join(" and ", names)
        + (silent.size() == 1 ? " runs" : " run")
        + " there";
  }

  private static Service postgres(DensityConfig config) {
    if (config == null) {
      return null;
    }
    PgConnectOptions options = PgConnectOptions.fromUri(config.postgres().url());
    return new Service("PostgreSQL", "DENSITY_PG_URL", options.getHost(), options.getPort());
  }

  private static Service redis(DensityConfig config) {
    URI uri = URI.create(config.redis().url());
    return new Service(
        "Redis", "DENSITY_REDIS_URL", uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort());
  }

  /** The SQL state of the first PostgreSQL error in the chain (JDBC's or the reactive client's). */
  private static String sqlState(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        return sql.getSQLState();
      }
      if (t instanceof PgException pg && pg.getSqlState() != null) {
        return pg.getSqlState();
      }
    }
    return null;
  }

  /** What PostgreSQL said, from the first PostgreSQL error in the chain. */
  private static String sqlMessage(Throwable failure) {
    SQLException sql = find(failure, SQLException.class);
    if (sql != null) {
      return sql.getMessage();
    }
    PgException pg = find(failure, PgException.class);
    return pg == null ? failure.getMessage() : pg.getErrorMessage();
  }

  /** The first exception of the type in the chain of causes, or null. */
  private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }
}
