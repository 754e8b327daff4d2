package io.density.persistence.intake;

import static io.density.persistence.store.Statements.CLAIMS;
import static io.density.persistence.store.Statements.CLAIM_INTENT;

import io.density.db.Sql;

/**
 * The statements of taking datapoints in: a batch inserted into the raw log, and a stored batch
 * read again to be counted. The schema itself lives in {@code sql/}; what other rooms share is in
 * {@code db/Sql}.
 */
final class Statements {
  private Statements() {}

  /**
   * Group commit of one batch to the raw log. Opens an uncounted batch, inserts the datapoints that
   * are not repeats, and returns each new datapoint with every link valid at its timestamp (one row
   * per link, or one row with a NULL space when it has none). The first column carries the batch id
   * even when every datapoint was a repeat. Rows are inserted in the order of the unique keys, so
   * that concurrent inserts of the same datapoints wait for each other rather than deadlock. The
   * conflict target names the dedupe index's columns, so that only that index is checked for a
   * repeat before each row goes in (without a target every unique index is, the primary key too).
   * {@code gate_open} is false when drained work has taken the gate's intent (tried for the
   * insert's transaction only): the inserter then lets its hold of the gate go ({@code
   * store/Claims}).
   *
   * <p>$1 dpu_id[], $2 ts[], $3 direction[], $4 dedupe_key[], $5 received_at[], $6 payload[].
   */
  static final String INSERT_DATAPOINTS =
      """
      WITH batch AS (
        INSERT INTO uncounted_batch DEFAULT VALUES RETURNING id
      ), input AS (
        SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::int2[], $4::text[],
                             $5::timestamptz[], $6::text[])
               AS u(dpu_id, ts, direction, dedupe_key, received_at, payload)
      ), claimed AS (
        INSERT INTO datapoint_id_key (dpu_id, dedupe_key, ts)
        SELECT dpu_id, dedupe_key, ts FROM input WHERE dedupe_key LIKE 'id:%%'
         ORDER BY dpu_id, dedupe_key
        ON CONFLICT DO NOTHING
        RETURNING dpu_id, dedupe_key
      ), inserted AS (
        INSERT INTO datapoint (dpu_id, ts, direction, dedupe_key, received_at, payload, batch_id)
        SELECT i.*, (SELECT id FROM batch) FROM input i
         WHERE i.dedupe_key NOT LIKE 'id:%%'
            OR EXISTS (SELECT 1 FROM claimed c
                        WHERE c.dpu_id = i.dpu_id AND c.dedupe_key = i.dedupe_key)
         ORDER BY i.dpu_id, i.ts, i.dedupe_key
        ON CONFLICT (dpu_id, ts, dedupe_key) DO NOTHING
        RETURNING id, dpu_id, ts, direction, dedupe_key, received_at
      )
      SELECT b.id AS batch_id, i.id, i.dpu_id, i.ts, i.direction, i.dedupe_key, i.received_at,
             l.space_id, l.sensor_placement, s.clamp,
             (SELECT pg_try_advisory_xact_lock_shared(%2$s, %3$d)) AS gate_open
        FROM batch b
        LEFT JOIN (inserted i
          LEFT JOIN link l ON %1$s
          LEFT JOIN space s ON s.id = l.space_id) ON true
      """
          .formatted(Sql.linkValidAt("i"), CLAIMS, CLAIM_INTENT);

  /** The datapoints of one batch with their links, as {@link #INSERT_DATAPOINTS} returns them. */
  static final String BATCH_DATAPOINTS =
      """
      SELECT d.batch_id, d.id, d.dpu_id, d.ts, d.direction, d.dedupe_key, d.received_at,
             l.space_id, l.sensor_placement, s.clamp
        FROM datapoint d
        LEFT JOIN link l ON %1$s
        LEFT JOIN space s ON s.id = l.space_id
       WHERE d.batch_id = $1
      """
          .formatted(Sql.linkValidAt("d"));
}
