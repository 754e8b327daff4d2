package io.density.history;

import io.density.db.Sql;

/**
 * The statements of buckets, event pages and resets, named by intent. What other rooms share with
 * them is in {@link Sql}.
 */
final class Statements {
  private Statements() {}

  // ---------------------------------------------------------------- history

  /**
   * Whether a space exists, and the count in force at $2 before any effect at $2 (resets at $2
   * applied): where a bucket series starts. $1 space_id, $2 instant.
   */
  static final String SPACE_COUNT_OPENING =
      "SELECT s.id, s.time_zone, (SELECT count FROM %s c) AS count FROM space s WHERE s.id = $1"
          .formatted(Sql.latestChange("s.id", "AND ts < $2", "AND ts <= $2"));

  /**
   * A space's changes in [$2, $3) in contract order (a reset before the effects at its instant), at
   * most $4 of them.
   */
  static final String SPACE_CHANGES =
      """
      SELECT ts, true AS reset, 0::int2 AS delta, 0::int8 AS datapoint_id, count
        FROM space_reset WHERE space_id = $1 AND ts >= $2 AND ts < $3
      UNION ALL
      SELECT ts, false, delta, datapoint_id, count
        FROM space_count WHERE space_id = $1 AND ts >= $2 AND ts < $3
      ORDER BY ts, reset DESC, delta DESC, datapoint_id
      LIMIT $4
      """;

  /**
   * A page of a space's effects in [$2, $3) with their datapoints, in contract order, after the
   * cursor ($4 ts, $5 delta, $6 datapoint_id; NULLs for the first page), at most $7; with $8 only
   * those whose count was reconciled after arrival.
   */
  static final String SPACE_EVENTS =
      """
      SELECT c.ts, c.delta, c.count, c.arrival_count, c.reconciled_at,
             d.id, d.dpu_id, d.direction, d.received_at
        FROM space_count c JOIN datapoint d ON d.id = c.datapoint_id AND d.ts = c.ts
       WHERE c.space_id = $1 AND c.ts >= $2 AND c.ts < $3
         AND ($4::timestamptz IS NULL OR c.ts > $4
              OR (c.ts = $4 AND (c.delta < $5 OR (c.delta = $5 AND c.datapoint_id > $6))))
         AND (NOT $8 OR c.reconciled_at IS NOT NULL)
       ORDER BY c.ts, c.delta DESC, c.datapoint_id
       LIMIT $7
      """;

  // ---------------------------------------------------------------- resets

  /** A space's resets in [start, end). $1 space_id, $2 start, $3 end. */
  static final String LIST_RESETS =
      """
      SELECT ts, count, kind FROM space_reset
       WHERE space_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts LIMIT 10001
      """;
}
