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

  // ---------------------------------------------------------------- doorway traffic

  /**
   * A doorway's links that are in force at some instant of [$2, $3), the link {@code l} and the
   * datapoints {@code d} of its DPU while it is in force, within [$2, $3): the effects that pass
   * through the doorway. Both bounds on {@code d.ts} are given outright too, so that partitions and
   * chunks outside the range are pruned; each link reads its DPU's datapoints by the index
   * datapoint_by_dpu_ts. {@code %1$s} is the condition that picks the links.
   */
  private static String linkedDatapoints(String links) {
    return """
        SELECT l.doorway_id, l.space_id, d.id AS datapoint_id, d.ts,
               d.direction * l.sensor_placement AS delta
          FROM link l
          JOIN datapoint d
            ON d.dpu_id = l.dpu_id
           AND d.ts >= l.valid_from AND d.ts >= $2
           AND (l.valid_to IS NULL OR d.ts < l.valid_to) AND d.ts < $3
         WHERE %1$s AND l.valid_from < $3 AND (l.valid_to IS NULL OR l.valid_to > $2)
        """
        .formatted(links);
  }

  /**
   * Whether a doorway exists, and the spaces it is linked to at some instant of [$2, $3) (text[],
   * sorted; NULL for none). $1 doorway_id.
   */
  static final String DOORWAY_SPACES =
      """
      SELECT w.id,
             (SELECT array_agg(DISTINCT l.space_id ORDER BY l.space_id) FROM link l
               WHERE l.doorway_id = w.id AND l.valid_from < $3
                 AND (l.valid_to IS NULL OR l.valid_to > $2)) AS space_ids
        FROM doorway w WHERE w.id = $1
      """;

  /**
   * A doorway's traffic in buckets: $1 doorway_id, [$2, $3) the range, $4 the bucket boundaries
   * (timestamptz[], $2 first and $3 last), $5 at most that many effects are read. One row per
   * bucket and space with traffic ({@code bucket} is 1 for the first bucket): the entries and exits
   * of the space as sensed for it; and one row per bucket with traffic where {@code total} is true:
   * the crossings, each datapoint once whatever spaces it changed. The entries and exits of the
   * spaces' rows add up to the effects read, so a sum above the limit says the range is too wide.
   */
  static final String DOORWAY_TRAFFIC =
      """
      WITH e AS (%s LIMIT $5)
      SELECT width_bucket(ts, $4::timestamptz[]) AS bucket, space_id,
             grouping(space_id) = 1 AS total,
             count(*) FILTER (WHERE delta > 0) AS entries,
             count(*) FILTER (WHERE delta < 0) AS exits,
             count(DISTINCT datapoint_id) AS crossings
        FROM e
       GROUP BY GROUPING SETS ((1, 2), (1))
      """
          .formatted(linkedDatapoints("l.doorway_id = $1"));

  /** The doorways a space is linked through at some instant of [$2, $3), sorted. $1 space_id. */
  static final String SPACE_DOORWAYS =
      """
      SELECT DISTINCT doorway_id FROM link
       WHERE space_id = $1 AND valid_from < $3 AND (valid_to IS NULL OR valid_to > $2)
       ORDER BY doorway_id
      """;

  /**
   * A space's entries and exits in buckets, by doorway: $1 space_id, [$2, $3), $4 the boundaries,
   * $5 at most that many effects are read. One row per bucket and doorway with traffic.
   */
  static final String SPACE_TRAFFIC_BY_DOORWAY =
      """
      WITH e AS (%s LIMIT $5)
      SELECT width_bucket(ts, $4::timestamptz[]) AS bucket, doorway_id,
             count(*) FILTER (WHERE delta > 0) AS entries,
             count(*) FILTER (WHERE delta < 0) AS exits
        FROM e
       GROUP BY 1, 2
      """
          .formatted(linkedDatapoints("l.space_id = $1"));
}
