package io.density.persistence.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What a persistence verticle holds in the deployment, as advisory locks in the session of a
 * connection of its own (statements in {@link Statements}, "claims"): membership of the writers,
 * the counting shards it owns, and its passes through the gate. PostgreSQL is the arbiter; when the
 * process dies, or only this connection, every claim goes with the session.
 *
 * <p>The gate keeps work that re-derives counts apart from the ingest pipeline across the whole
 * deployment: each batch passes it (shared) from before its insert until all its parts are counted;
 * drained work closes it (exclusive) and runs once everyone inside has left. A verticle holds the
 * gate once for all its batches inside, and a moment longer for the next, so a batch rarely waits
 * for a pass; each insert also tries the intent of drained work ({@code
 * intake/Statements.INSERT_DATAPOINTS}, {@code gate_open}), and once it is taken no batch joins the
 * hold. Every call is a try, never a wait, so the claims connection is never stuck behind a lock.
 */
public final class Claims {
  private static final Logger LOG = Logger.getLogger(Claims.class.getName());

  /** One member of the writers: its session and how many shards it holds. */
  public record Member(int pid, int shards) {}

  /** How long the gate stays held after this verticle's last batch left it, for the next one. */
  static final long HOLD_IDLE_MS = 50;

  /**
   * The session's one shared hold of the gate, and how many batches are inside on it: what {@link
   * #enter} gives a batch, and {@link #leave} takes back.
   */
  public static final class Hold {
    private final PgConnection connection;
    private int inside = 1;
    private long timer = -1;

    Hold(PgConnection connection) {
      this.connection = connection;
    }

    private void stopTimer(Vertx vertx) {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
    }
  }

  private final Vertx vertx;
  private final String postgresUrl;
  private final Runnable lost;
  private PgConnection connection;
  private Future<Void> connecting;
  private int pid;
  private boolean closed;
  private Hold hold;

  /** Drained work waits for the gate: no batch joins the hold (until a pass is taken anew). */
  private boolean closing;

  /**
   * @param lost called when the connection (and so every claim) is lost while it was meant to stay
   */
  public Claims(Vertx vertx, String postgresUrl, Runnable lost) {
    this.vertx = vertx;
    this.postgresUrl = postgresUrl;
    this.lost = lost;
  }

  /** The claims' own connection, named {@code claims} in Vert.x's figures. */
  private PgConnectOptions options() {
    PgConnectOptions options = PgConnectOptions.fromUri(postgresUrl);
    options.setMetricsName("claims");
    return options;
  }

  /** Connects and joins the writers, unless already done. */
  public Future<Void> connect() {
    if (connection != null) {
      return Future.succeededFuture();
    }
    if (connecting == null) {
      connecting =
          PgConnection.connect(vertx, options())
              .compose(
                  conn ->
                      conn.query(Statements.CLAIM_MEMBERSHIP)
                          .execute()
                          .map(
                              rows -> {
                                pid = rows.iterator().next().getInteger("pid");
                                connection = conn;
                                conn.closeHandler(v -> closedUnderfoot(conn));
                                return (Void) null;
                              })
                          .onFailure(err -> conn.close()))
              .eventually(
                  () -> {
                    connecting = null;
                    return Future.succeededFuture();
                  });
    }
    return connecting;
  }

  public boolean connected() {
    return connection != null;
  }

  /** This member's session, to find itself among {@link #members}. */
  public int pid() {
    return pid;
  }

  /** Every member of the writers. */
  public Future<List<Member>> members() {
    return held()
        .compose(conn -> conn.query(Statements.CLAIM_MEMBERS).execute())
        .map(
            rows -> {
              List<Member> members = new ArrayList<>();
              for (Row r : rows) {
                members.add(new Member(r.getInteger("pid"), r.getInteger("shards")));
              }
              return members;
            });
  }

  /**
   * Leaves the writers, or joins them again: a member cut off from the cluster is not counted in
   * the others' fair shares, so they take its shards.
   */
  public Future<Void> member(boolean member) {
    String statement =
        member ? Statements.CLAIM_MEMBERSHIP_JOIN : Statements.CLAIM_MEMBERSHIP_LEAVE;
    return held().compose(conn -> conn.query(statement).execute()).mapEmpty();
  }

  /** Takes a shard if no one holds it. */
  public Future<Boolean> tryShard(int shard) {
    return held()
        .compose(conn -> conn.preparedQuery(Statements.CLAIM_SHARD_TRY).execute(Tuple.of(shard)))
        .map(rows -> rows.iterator().next().getBoolean("held"));
  }

  public Future<Void> releaseShard(int shard) {
    return held()
        .compose(
            conn -> conn.preparedQuery(Statements.CLAIM_SHARD_RELEASE).execute(Tuple.of(shard)))
        .mapEmpty();
  }

  /**
   * Passes a batch into the gate unless drained work waits for it or runs: its pass, or null when
   * refused. While batches of this verticle are inside, or were until {@link #HOLD_IDLE_MS} ago,
   * the session's one shared hold of the gate covers the next batch too, without a round trip,
   * unless drained work was seen waiting ({@link #closing}): then the hold is let go once the
   * batches inside have left, and the next batch passes anew, once the drained work is done.
   */
  public Future<Hold> enter() {
    Hold h = hold;
    if (h != null && h.connection != connection) {
      hold = null; // its session is gone, and the hold with it
      h = null;
    }
    if (h != null) {
      if (closing) {
        return Future.succeededFuture(null);
      }
      h.inside++;
      h.stopTimer(vertx);
      return Future.succeededFuture(h);
    }
    return held()
        .compose(
            conn ->
                conn.query(Statements.GATE_ENTER)
                    .execute()
                    .map(
                        rows -> {
                          if (!rows.iterator().next().getBoolean("entered")) {
                            return null;
                          }
                          closing = false;
                          if (hold != null && hold.connection == conn) {
                            // Not expected (one pass is taken at a time): the batch joins the
                            // hold there is, and the session keeps one shared lock.
                            hold.inside++;
                            hold.stopTimer(vertx);
                            conn.query(Statements.GATE_LEAVE).execute();
                            return hold;
                          }
                          hold = new Hold(conn);
                          return hold;
                        }));
  }

  /** The batch with this pass (from {@link #enter}) has left the gate. */
  public void leave(Hold h) {
    h.inside--;
    if (h != hold || h.inside > 0) {
      return;
    }
    if (closing) {
      release();
    } else {
      h.timer =
          vertx.setTimer(
              HOLD_IDLE_MS,
              id -> {
                h.timer = -1;
                if (hold == h && h.inside == 0) {
                  release();
                }
              });
    }
  }

  /**
   * Drained work waits to close the gate (an insert found its intent taken, or this verticle is
   * about to close it): no batch joins the hold any more, which is let go once the batches inside
   * have left.
   */
  public void closing() {
    closing = true;
    if (hold != null && hold.inside == 0) {
      release();
    }
  }

  private void release() {
    Hold h = hold;
    hold = null;
    h.stopTimer(vertx);
    if (h.connection == connection) {
      h.connection
          .query(Statements.GATE_LEAVE)
          .execute()
          .onFailure(err -> LOG.log(Level.FINE, "leaving the gate", err));
    }
  }

  /**
   * Runs a task with the gate closed, on a connection of the pool held for the purpose: it waits
   * until every batch in the deployment has left the gate, and no batch enters until the task has
   * finished.
   */
  public static <T> Future<T> withGateClosed(Pool pool, Supplier<Future<T>> task) {
    return pool.getConnection()
        .compose(
            conn ->
                conn.query(Statements.GATE_CLOSE)
                    .execute()
                    .compose(
                        closed -> {
                          Future<T> result = task.get();
                          return result
                              .transform(done -> conn.query(Statements.GATE_OPEN).execute())
                              .transform(opened -> result);
                        })
                    .eventually(conn::close));
  }

  /** Lets every claim go. */
  public Future<Void> close() {
    closed = true;
    PgConnection held = connection;
    connection = null;
    hold = null;
    return held == null ? Future.succeededFuture() : held.close();
  }

  private Future<PgConnection> held() {
    return connection == null
        ? Future.failedFuture("no claims connection to PostgreSQL")
        : Future.succeededFuture(connection);
  }

  private void closedUnderfoot(PgConnection conn) {
    if (closed || connection != conn) {
      return;
    }
    LOG.warning("the claims connection to PostgreSQL closed: every shard and pass is lost");
    connection = null;
    hold = null;
    lost.run();
  }
}
