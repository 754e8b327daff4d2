package io.density.egress;

/**
 * The statements of the egress publisher: reading the outbox in commit order, making sure what was
 * read is flushed, and each sink's progress. The outbox is written by the counting statements
 * (persistence) and the alerts, in the transactions of their changes; its schema is in {@code
 * sql/V10__egress.sql}.
 */
final class Statements {
  private Statements() {}

  /**
   * Up to $3 outbox rows after the position ($1 xid8 as text, $2 id), in the order (xid, id), of
   * transactions that are over only (xid below the oldest one still running, so no row can still
   * come before them); those created before now minus $4 seconds are marked expired. The first
   * columns, on every row (one row with NULLs when there is none), are that horizon, the WAL's
   * insert position after the snapshot (past the commit of every row read) and when the server
   * started.
   */
  static final String READ =
      """
      WITH h AS (
        SELECT pg_snapshot_xmin(pg_current_snapshot()) AS horizon,
               pg_current_wal_insert_lsn()::text AS inserted,
               pg_postmaster_start_time()::text AS started
      )
      SELECT h.horizon::text AS horizon, h.inserted, h.started,
             o.id, o.xid::text AS xid, o.kind, o.key, o.seq, o.count, o.ts, o.cause, o.body,
             o.created_at, o.created_at < now() - make_interval(secs => $4) AS expired
        FROM h LEFT JOIN LATERAL (
          SELECT * FROM egress_outbox o
           WHERE (o.xid, o.id) > ($1::xid8, $2::int8) AND o.xid < h.horizon
           ORDER BY o.xid, o.id LIMIT $3
        ) o ON true
       ORDER BY o.xid, o.id
      """;

  /** How far the WAL is flushed, and when the server started. */
  static final String FLUSHED =
      "SELECT pg_current_wal_flush_lsn()::text AS flushed,"
          + " pg_postmaster_start_time()::text AS started";

  /**
   * A durable commit that writes almost nothing: once it returns, everything committed before it is
   * flushed too. Run on a pool that commits synchronously; returns when the server started.
   */
  static final String FLUSH =
      "SELECT pg_logical_emit_message(true, 'density', 'egress') IS NOT NULL AS flushed,"
          + " pg_postmaster_start_time()::text AS started";

  /** A sink's position: xid (text), id. $1 sink. */
  static final String PROGRESS = "SELECT xid::text AS xid, id FROM egress_progress WHERE sink = $1";

  /** Saves a sink's position. $1 sink, $2 xid (text), $3 id. */
  static final String SAVE_PROGRESS =
      """
      INSERT INTO egress_progress (sink, xid, id) VALUES ($1, $2::xid8, $3)
      ON CONFLICT (sink) DO UPDATE SET xid = EXCLUDED.xid, id = EXCLUDED.id, updated_at = now()
      """;

  /**
   * How many rows wait after a position ($1 xid, $2 id), counted up to $3 (a backlog of a long
   * outage is not counted row by row every few seconds), and the age in seconds of the first of
   * them in commit order (0: none). Both read the (xid, id) index from the position on.
   */
  static final String BACKLOG =
      """
      SELECT (SELECT count(*) FROM (
                SELECT 1 FROM egress_outbox WHERE (xid, id) > ($1::xid8, $2::int8) LIMIT $3
              ) w) AS rows,
             coalesce((SELECT extract(epoch FROM now() - created_at)
                         FROM egress_outbox WHERE (xid, id) > ($1::xid8, $2::int8)
                        ORDER BY xid, id LIMIT 1), 0)::float8 AS age
      """;

  /** Drops the rows every sink has taken: at or before ($1 xid, $2 id). */
  static final String DELETE_TAKEN =
      "DELETE FROM egress_outbox WHERE (xid, id) <= ($1::xid8, $2::int8)";
}
