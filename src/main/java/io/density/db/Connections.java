package io.density.db;

import io.density.config.DensityConfig;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

/**
 * Builds the PostgreSQL pools and the Redis clients from their configuration slices. Each is named
 * by what uses it, the {@code pool_name} and {@code client_namespace} of its figures on {@code
 * /metrics}: unnamed, every pool's gauges shared one series, which Micrometer keeps for the first
 * only.
 */
public final class Connections {
  private Connections() {}

  public static Pool postgres(Vertx vertx, DensityConfig.Postgres config, String name) {
    return pool(vertx, config, name, PgConnectOptions.fromUri(config.url()));
  }

  /**
   * The writer's pool: it runs the same few ingest statements many times a second, so each
   * connection keeps its statements prepared (parsed once, and planned once PostgreSQL finds a
   * generic plan as good as its custom ones) instead of parsing and planning each execution.
   */
  public static Pool writer(Vertx vertx, DensityConfig.Postgres config) {
    return pool(
        vertx,
        config,
        "writer",
        PgConnectOptions.fromUri(config.url()).setCachePreparedStatements(true));
  }

  /**
   * A pool whose commits return without waiting for the WAL flush ({@code synchronous_commit =
   * off}, set for its sessions when they start): only for state derived from what another pool
   * committed durably before, which a crash recovery derives again (docs/counting.md,
   * "Durability"). A crash loses at most its last commits, never one committed before a later
   * durable commit. Its statements are kept prepared, as the writer's are.
   */
  public static Pool derivedState(Vertx vertx, DensityConfig.Postgres config) {
    PgConnectOptions connect = PgConnectOptions.fromUri(config.url());
    connect.addProperty("synchronous_commit", "off").setCachePreparedStatements(true);
    return pool(vertx, config, "derived-state", connect);
  }

  private static Pool pool(
      Vertx vertx, DensityConfig.Postgres config, String name, PgConnectOptions connect) {
    connect.setPipeliningLimit(16).setMetricsName(name);
    return PgBuilder.pool()
        .with(
            new PoolOptions()
                .setName(name)
                .setMaxSize(config.poolSize())
                .setMaxWaitQueueSize(10_000))
        .connectingTo(connect)
        .using(vertx)
        .build();
  }

  public static Redis redis(Vertx vertx, DensityConfig.Redis config, String name) {
    return Redis.createClient(
        vertx,
        new RedisOptions()
            .setMetricsName(name)
            .setConnectionString(config.url())
            .setMaxPoolSize(config.poolSize())
            .setMaxPoolWaiting(100_000)
            .setMaxWaitingHandlers(100_000));
  }
}
