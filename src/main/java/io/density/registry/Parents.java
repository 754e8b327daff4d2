package io.density.registry;

import io.density.bus.Failure;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.HashMap;
import java.util.Map;

/**
 * The rule of parents: no space is its own ancestor, however long the loop. A write that sets
 * parents runs in a transaction that first takes {@link #lock}, writes, then calls {@link
 * #refuseCycles}: such writes run one at a time, each check sees every parent committed before it,
 * and a refused write is rolled back whole.
 */
final class Parents {
  private Parents() {}

  /** Waits for the other writes of parents to end; held until this transaction ends. */
  static Future<Void> lock(SqlConnection conn) {
    return conn.query(Statements.LOCK_PARENT_CHANGES).execute().mapEmpty();
  }

  /**
   * Fails (422, {@code parent_id}) when the parents of the spaces written lead back to one of them.
   * Reads the spaces and their ancestors once, then walks up from each space no further than where
   * an earlier walk passed: the cost is that of the spaces and their ancestors, once.
   */
  static Future<Void> refuseCycles(SqlConnection conn, String[] written) {
    return conn.preparedQuery(Statements.SPACES_AND_ANCESTORS)
        .execute(Tuple.of((Object) written))
        .compose(
            rows -> {
              Map<String, String> parentOf = new HashMap<>();
              rows.forEach(r -> parentOf.put(r.getString("id"), r.getString("parent_id")));
              String inCycle = spaceInACycle(parentOf, written);
              return inCycle == null
                  ? Future.succeededFuture()
                  : Future.failedFuture(
                      Failure.invalid(
                          "parent_id",
                          "the parents of space "
                              + inCycle
                              + " would make a cycle: nothing was written"));
            });
  }

  /** A space on a cycle reached from the starts, or null. */
  private static String spaceInACycle(Map<String, String> parentOf, String[] starts) {
    Map<String, Integer> walkOf = new HashMap<>();
    for (int walk = 0; walk < starts.length; walk++) {
      String s = starts[walk];
      while (s != null && !walkOf.containsKey(s)) {
        walkOf.put(s, walk);
        s = parentOf.get(s);
      }
      // Back on this walk's own path: a cycle. On an earlier walk's: that one ended, so will this.
      if (s != null && walkOf.get(s) == walk) {
        return s;
      }
    }
    return null;
  }
}
