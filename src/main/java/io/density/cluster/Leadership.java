package io.density.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Which one of several verticles (on any nodes) does a job that must have a single doer: the one
 * holding a PostgreSQL advisory lock on a connection of its own. The others try again every second;
 * when the holder's process dies its session ends, the lock goes with it and another takes over.
 * PostgreSQL is the arbiter, not Hazelcast (whose community edition has no consensus).
 */
public final class Leadership {
  private static final Logger LOG = Logger.getLogger(Leadership.class.getName());

  private final Vertx vertx;
  private final String postgresUrl;
  private final long lock;
  private final String job;
  private final Supplier<Future<Void>> lead;
  private final Runnable stepDown;
  private PgConnection connection;
  private long retryTimer = -1;
  private boolean stopped;

  /**
   * @param lock the advisory lock's key, one per job
   * @param lead starts the job; its future completes when the job is ready
   * @param stepDown stops the job at once (the lock was lost)
   */
  public Leadership(
      Vertx vertx,
      String postgresUrl,
      long lock,
      String job,
      Supplier<Future<Void>> lead,
      Runnable stepDown) {
    this.vertx = vertx;
    this.postgresUrl = postgresUrl;
    this.lock = lock;
    this.job = job;
    this.lead = lead;
    this.stepDown = stepDown;
  }

  /** Tries once now; completes when this one leads and its job is ready, or stands by. */
  public Future<Void> start() {
    return PgConnection.connect(vertx, PgConnectOptions.fromUri(postgresUrl))
        .compose(
            conn ->
                conn.query("SELECT pg_try_advisory_lock(" + lock + ") AS held")
                    .execute()
                    .compose(
                        rows -> {
                          if (!rows.iterator().next().getBoolean("held")) {
                            conn.close();
                            return standBy();
                          }
                          connection = conn;
                          conn.closeHandler(v -> lost());
                          LOG.info("leading: " + job);
                          return lead.get();
                        }))
        .recover(
            err -> {
              LOG.log(
                  Level.WARNING, "cannot reach PostgreSQL to lead " + job + "; standing by", err);
              return standBy();
            });
  }

  public boolean leading() {
    return connection != null;
  }

  /** Gives the lead up (closing the lock's connection); call once the job has stopped. */
  public Future<Void> stop() {
    stopped = true;
    vertx.cancelTimer(retryTimer);
    PgConnection held = connection;
    connection = null;
    return held == null ? Future.succeededFuture() : held.close();
  }

  private Future<Void> standBy() {
    if (!stopped) {
      retryTimer = vertx.setTimer(1_000, id -> start());
    }
    return Future.succeededFuture();
  }

  private void lost() {
    if (stopped || connection == null) {
      return;
    }
    LOG.warning("lost the lead of " + job + " (its PostgreSQL connection closed); standing by");
    connection = null;
    stepDown.run();
    standBy();
  }
}
