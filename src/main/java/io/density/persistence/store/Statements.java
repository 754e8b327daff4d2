package io.density.persistence.store;

/**
 * The statements every writer of counts shares: the deployment's claims and gate (advisory locks),
 * the WAL's positions, the month partitions, the egress outbox's numbering, and the batches left
 * uncounted. The schema itself lives in {@code sql/}; what other rooms share is in {@code db/Sql}.
 */
public final class Statements {
  private Statements() {}

  /** Makes the partitions for the months ($1, date[]) that datapoints are about to need. */
  static final String ENSURE_PARTITIONS = "SELECT density_ensure_partitions($1::date[])";

  /**
   * The end of a statement that writes count changes to the egress outbox, given a CTE {@code
   * changes(s, c, t, cause, n)} (space, count, instant, cause, order): each space's last seq grows
   * by its number of changes, and each change gets the next seq in its order. Spaces are locked in
   * the order of their ids.
   */
  public static final String OUTBOX_TAIL =
      """
      , numbered AS (
        SELECT s, c, t, cause, row_number() OVER (PARTITION BY s ORDER BY n) AS k,
               count(*) OVER (PARTITION BY s) AS m
          FROM changes
      ), seqs AS (
        INSERT INTO egress_key AS e (kind, key, seq)
        SELECT 'space', s, count(*) FROM changes GROUP BY s ORDER BY s
        ON CONFLICT (kind, key) DO UPDATE SET seq = e.seq + EXCLUDED.seq
        RETURNING key, seq
      )
      INSERT INTO egress_outbox (kind, key, seq, count, ts, cause)
      SELECT 'count', n.s, q.seq - n.m + n.k, n.c, n.t, n.cause
        FROM numbered n JOIN seqs q ON q.key = n.s
      """;

  /**
   * Count changes to the egress outbox, in the order given: $1 space[], $2 count[], $3 ts[] (null:
   * the space has no history), $4 cause[].
   */
  static final String OUTBOX_COUNTS =
      """
      WITH changes AS (
        SELECT * FROM unnest($1::text[], $2::int4[], $3::timestamptz[], $4::text[])
                      WITH ORDINALITY AS u(s, c, t, cause, n)
      )
      """
          + OUTBOX_TAIL;

  /**
   * Where the write-ahead log is written to (inserted) and flushed to, as pg_lsn text, and when the
   * server started (a change: it started again, and positions read before may have been erased).
   */
  static final String WAL_POSITIONS =
      "SELECT pg_current_wal_insert_lsn()::text AS inserted,"
          + " pg_current_wal_flush_lsn()::text AS flushed,"
          + " pg_postmaster_start_time()::text AS started";

  /**
   * A durable commit that writes almost nothing (a transactional logical message, ignored unless
   * logical decoding reads it): committing it flushes the log up to it, with everything before.
   */
  static final String FLUSH_WAL = "SELECT pg_logical_emit_message(true, 'density', 'flush')";

  /*
   * The persistence verticles of a deployment coordinate through advisory locks of the two-key
   * form: the first key is the namespace "dens", the second names the claim. Locks live in the
   * session of each verticle's claims connection; when a process dies its claims go with it.
   */

  /** Claim keys: a member of the writers, the gate's intent and the gate, shard k at SHARD + k. */
  private static final int CLAIM_MEMBER = 10;

  public static final int CLAIM_INTENT = 11;

  private static final int CLAIM_GATE = 12;

  private static final int CLAIM_SHARD = 1000;

  public static final String CLAIMS = "x'64656e73'::int";

  /** Joins the writers (held for the session). */
  static final String CLAIM_MEMBERSHIP =
      "SELECT pg_advisory_lock_shared("
          + CLAIMS
          + ", "
          + CLAIM_MEMBER
          + "), pg_backend_pid() AS pid";

  /** Leaves the writers (cut off from the cluster), keeping the session. */
  static final String CLAIM_MEMBERSHIP_LEAVE =
      "SELECT pg_advisory_unlock_shared(" + CLAIMS + ", " + CLAIM_MEMBER + ")";

  /** Joins the writers again. */
  static final String CLAIM_MEMBERSHIP_JOIN =
      "SELECT pg_advisory_lock_shared(" + CLAIMS + ", " + CLAIM_MEMBER + ")";

  /** Every member's session and how many shards it holds: rows (pid, shards). */
  static final String CLAIM_MEMBERS =
      """
      SELECT pid, count(*) FILTER (WHERE objid >= %2$d) AS shards
        FROM pg_locks
       WHERE locktype = 'advisory' AND classid = %1$s::oid AND objsubid = 2 AND granted
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
       GROUP BY pid
      HAVING bool_or(objid = %3$d)
      """
          .formatted(CLAIMS, CLAIM_SHARD, CLAIM_MEMBER);

  /** Takes shard $1 if no one holds it: {@code held}. */
  static final String CLAIM_SHARD_TRY =
      "SELECT pg_try_advisory_lock(" + CLAIMS + ", " + CLAIM_SHARD + " + $1) AS held";

  /** Gives shard $1 up. */
  static final String CLAIM_SHARD_RELEASE =
      "SELECT pg_advisory_unlock(" + CLAIMS + ", " + CLAIM_SHARD + " + $1)";

  /**
   * Enters the gate (shared) unless drained work waits for it or runs: {@code entered}. The intent
   * is tried and let go at once, so a session that already holds the gate cannot slip past a
   * waiting intent (a shared lock already held is granted again without looking at waiters).
   */
  static final String GATE_ENTER =
      """
      SELECT CASE WHEN pg_try_advisory_lock_shared(%1$s, %2$d)
                  THEN pg_advisory_unlock_shared(%1$s, %2$d)
                       AND pg_try_advisory_lock_shared(%1$s, %3$d)
                  ELSE false END AS entered
      """
          .formatted(CLAIMS, CLAIM_INTENT, CLAIM_GATE);

  /** Leaves the gate (one shared hold). */
  static final String GATE_LEAVE =
      "SELECT pg_advisory_unlock_shared(" + CLAIMS + ", " + CLAIM_GATE + ")";

  /** Closes the gate: waits for the intent, then for everyone inside to leave. */
  static final String GATE_CLOSE =
      "SELECT pg_advisory_lock(%1$s, %2$d), pg_advisory_lock(%1$s, %3$d)"
          .formatted(CLAIMS, CLAIM_INTENT, CLAIM_GATE);

  /** Opens the gate again. */
  static final String GATE_OPEN =
      "SELECT pg_advisory_unlock(%1$s, %3$d), pg_advisory_unlock(%1$s, %2$d)"
          .formatted(CLAIMS, CLAIM_INTENT, CLAIM_GATE);

  /** This database's identity, which the realtime state in Redis records. */
  public static final String INSTANCE_ID = "SELECT id::text AS id FROM instance";

  /** Batches committed but not counted, at least $1 seconds old (double): id, age (seconds). */
  public static final String UNCOUNTED_BATCHES =
      """
      SELECT id, extract(epoch FROM now() - created_at)::float8 AS age FROM uncounted_batch
       WHERE created_at <= now() - make_interval(secs => $1)
       ORDER BY id
      """;

  /** The oldest batch committed but not counted (no row: none): id, age (seconds). */
  public static final String OLDEST_UNCOUNTED_BATCH =
      """
      SELECT id, extract(epoch FROM now() - created_at)::float8 AS age FROM uncounted_batch
       ORDER BY created_at, id LIMIT 1
      """;
}
