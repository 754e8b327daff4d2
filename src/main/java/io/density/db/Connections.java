package io.density.db;

import io.density.config.DensityConfig;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

/** Builds the PostgreSQL pool and the Redis client from their configuration slices. */
public final class Connections {
  private Connections() {}

  public static Pool postgres(Vertx vertx, DensityConfig.Postgres config) {
    PgConnectOptions connect = PgConnectOptions.fromUri(config.url()).setPipeliningLimit(16);
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(config.poolSize()).setMaxWaitQueueSize(10_000))
        .connectingTo(connect)
        .using(vertx)
        .build();
  }

  public static Redis redis(Vertx vertx, DensityConfig.Redis config) {
    return Redis.createClient(
        vertx,
        new RedisOptions()
            .setConnectionString(config.url())
            .setMaxPoolSize(config.poolSize())
            .setMaxPoolWaiting(100_000)
            .setMaxWaitingHandlers(100_000));
  }
}
