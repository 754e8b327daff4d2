package io.density.persistence;

import io.density.db.Sql;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;

/**
 * After a DPU's links changed from an instant on (a move, a back-dated link), its datapoints since
 * then are attributed again: effects no link produces any more go, missing ones come, and every
 * space involved is recounted. Runs in the persistence lane.
 */
final class Reattribution {
  private final Vertx vertx;
  private final Pool pool;

  Reattribution(Vertx vertx, Pool pool) {
    this.vertx = vertx;
    this.pool = pool;
  }

  /** Returns how many spaces were recounted. */
  Future<Integer> run(String dpuId, OffsetDateTime since) {
    Tuple params = Tuple.of(dpuId, since);
    Recounts recounts = new Recounts();
    return pool.withTransaction(
            conn ->
                conn.preparedQuery(Sql.REMOVE_STALE_EFFECTS)
                    .execute(params)
                    .map(recounts::addAll)
                    .compose(r -> conn.preparedQuery(Sql.ADD_MISSING_EFFECTS).execute(params))
                    .map(recounts::addAll)
                    .compose(r -> recounts.run(conn)))
        .compose(heads -> Recounts.publish(vertx, heads).map(heads.size()));
  }
}
