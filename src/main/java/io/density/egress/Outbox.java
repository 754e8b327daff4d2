package io.density.egress;

import io.density.time.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the egress outbox for one sink: the changes after its position, in the order their
 * transactions finished, only once their commits are flushed to the WAL (the counting path commits
 * its rows without waiting for the flush; docs/counting.md, "Durability"), so no broker hears of a
 * change a crash could erase.
 */
final class Outbox {
  /**
   * What one read gave: the changes (expired ones left out and counted), the position after them,
   * and the creation time of the oldest change given (null: none).
   */
  record Page(
      List<Change> changes,
      int expired,
      Position pastExpired,
      Position next,
      OffsetDateTime oldest) {}

  private final Pool pool;

  /** The pool must commit synchronously: its commit is what flushes the WAL when needed. */
  Outbox(Pool pool) {
    this.pool = pool;
  }

  /**
   * Up to {@code limit} changes after {@code from}, flushed; those at the head of the page older
   * than {@code maxAgeSeconds} are skipped (counted as expired, {@code pastExpired} is the position
   * after them). Fails if PostgreSQL started again meanwhile: what was read may be gone, and
   * reading again from the same position gives what survived.
   */
  Future<Page> read(Position from, int limit, long maxAgeSeconds) {
    return pool.preparedQuery(Statements.READ)
        .execute(Tuple.of(from.xid(), from.id(), limit, maxAgeSeconds))
        .compose(
            rows -> {
              Page page = page(rows, from, limit);
              Row first = rows.iterator().next();
              if (page.changes().isEmpty()) {
                return Future.succeededFuture(page);
              }
              return flushed(first.getString("inserted"), first.getString("started")).map(page);
            });
  }

  private static Page page(RowSet<Row> rows, Position from, int limit) {
    List<Change> changes = new ArrayList<>();
    int expired = 0;
    int read = 0;
    Position last = from;
    Position pastExpired = from;
    String horizon = null;
    OffsetDateTime oldest = null;
    for (Row r : rows) {
      horizon = r.getString("horizon");
      if (r.getLong("id") == null) {
        continue;
      }
      read++;
      last = new Position(r.getString("xid"), r.getLong("id"));
      // Only a head of expired rows is dropped: a change after one still due keeps its order.
      if (changes.isEmpty() && Boolean.TRUE.equals(r.getBoolean("expired"))) {
        expired++;
        pastExpired = last;
        continue;
      }
      if (oldest == null || r.getOffsetDateTime("created_at").isBefore(oldest)) {
        oldest = r.getOffsetDateTime("created_at");
      }
      changes.add(change(r));
    }
    // A page short of the limit read every row below the horizon: the next read starts there.
    Position next = read < limit && horizon != null ? max(last, new Position(horizon, 0)) : last;
    return new Page(
        inSeqOrder(changes), expired, changes.isEmpty() ? next : pastExpired, next, oldest);
  }

  /**
   * The changes with those of each key in seq order. Rows come in the order their transactions got
   * their ids, which is the order of their seqs for the changes of one writer (a space's counts
   * come from its shard's lane or the gate's work, one at a time), but a space's alert and a count
   * change committed at the same moment may have got their transaction ids in the other order than
   * their seqs (the seq is taken under the key's row lock, later in the transaction). Within a page
   * they are put back in seq order; the order between keys does not matter.
   */
  static List<Change> inSeqOrder(List<Change> changes) {
    Map<String, List<Change>> byKey = new LinkedHashMap<>();
    for (Change c : changes) {
      byKey.computeIfAbsent(c.orderKey(), k -> new ArrayList<>()).add(c);
    }
    List<Change> ordered = new ArrayList<>(changes.size());
    for (List<Change> ofKey : byKey.values()) {
      ofKey.sort(Comparator.comparingLong(Change::seq));
      ordered.addAll(ofKey);
    }
    return ordered;
  }

  private static Position max(Position a, Position b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  /** The change a row holds, its body as consumers get it. */
  static Change change(Row r) {
    Change.Kind kind = Change.Kind.of(r.getString("kind"));
    String key = r.getString("key");
    long seq = r.getLong("seq");
    JsonObject body;
    if (kind == Change.Kind.COUNT) {
      OffsetDateTime ts = r.getOffsetDateTime("ts");
      body =
          new JsonObject()
              .put("space_id", key)
              .put("count", r.getInteger("count"))
              .put("timestamp", ts == null ? null : Timestamps.format(ts))
              .put("seq", seq)
              .put("cause", r.getString("cause"));
    } else {
      body = ((JsonObject) r.getJson("body")).copy().put("seq", seq);
    }
    return new Change(kind, key, seq, body);
  }

  /**
   * Completes once the WAL is flushed past {@code inserted} on the server that started at {@code
   * started}: at once if it already is, else after a durable commit of its own.
   */
  private Future<Void> flushed(String inserted, String started) {
    return pool.query(Statements.FLUSHED)
        .execute()
        .compose(
            rows -> {
              Row r = rows.iterator().next();
              checkSameStart(started, r.getString("started"));
              if (lsn(r.getString("flushed")) >= lsn(inserted)) {
                return Future.succeededFuture();
              }
              return pool.query(Statements.FLUSH)
                  .execute()
                  .map(
                      flushed -> {
                        checkSameStart(started, flushed.iterator().next().getString("started"));
                        return null;
                      });
            });
  }

  private static void checkSameStart(String before, String now) {
    if (!before.equals(now)) {
      throw new IllegalStateException(
          "PostgreSQL started again while changes were read; reading them again");
    }
  }

  /** A {@code pg_lsn} as text ({@code 16/B374D848}) → its position. */
  static long lsn(String text) {
    int slash = text.indexOf('/');
    return (Long.parseLong(text.substring(0, slash), 16) << 32)
        | Long.parseLong(text.substring(slash + 1), 16);
  }

  /** The sink's saved position (the start when it has none). */
  Future<Position> position(String sink) {
    return pool.preparedQuery(Statements.PROGRESS)
        .execute(Tuple.of(sink))
        .map(
            rows ->
                rows.size() == 0
                    ? Position.START
                    : new Position(
                        rows.iterator().next().getString("xid"),
                        rows.iterator().next().getLong("id")));
  }

  Future<Void> save(String sink, Position at) {
    return pool.preparedQuery(Statements.SAVE_PROGRESS)
        .execute(Tuple.of(sink, at.xid(), at.id()))
        .mapEmpty();
  }

  /** Backlogs are counted up to this many changes: a longer one reads as this many. */
  static final int BACKLOG_COUNTED_UP_TO = 100_000;

  /**
   * How many changes wait after a position (up to {@link #BACKLOG_COUNTED_UP_TO}), and the age in
   * seconds of the first of them.
   */
  Future<double[]> backlog(Position after) {
    return pool.preparedQuery(Statements.BACKLOG)
        .execute(Tuple.of(after.xid(), after.id(), BACKLOG_COUNTED_UP_TO))
        .map(
            rows -> {
              Row r = rows.iterator().next();
              return new double[] {r.getLong("rows"), r.getDouble("age")};
            });
  }

  /** Drops the rows at or before a position (every sink took them). */
  Future<Void> dropTaken(Position upTo) {
    return pool.preparedQuery(Statements.DELETE_TAKEN)
        .execute(Tuple.of(upTo.xid(), upTo.id()))
        .mapEmpty();
  }
}
