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

  // ---------------------------------------------------------------- utilization

  /**
   * A space and, with $2, every space below it, in pre-order (a parent before its children,
   * siblings by id): id, parent_id, time_zone, capacity. At most $3 rows; none when $1 is unknown.
   */
  static final String SUBTREE =
      """
      WITH RECURSIVE tree AS (
        SELECT id, parent_id, time_zone, capacity, ARRAY[id] AS path FROM space WHERE id = $1
        UNION ALL
        SELECT s.id, s.parent_id, s.time_zone, s.capacity, t.path || s.id
          FROM space s JOIN tree t ON s.parent_id = t.id
         WHERE $2 AND NOT s.id = ANY (t.path)
      )
      SELECT id, parent_id, time_zone, capacity FROM tree ORDER BY path LIMIT $3
      """;

  /**
   * Per space and local day, the utilization figures (docs/counting.md, "Utilization"), computed
   * from the stored counts and resets without recounting anything.
   *
   * <p>$1 the space ids (text[]); $2 the day boundaries of every space, flattened: space i (from 1)
   * has $3 boundaries at [(i - 1) * $3 + 1, i * $3], so $3 - 1 days, day k being [b[k], b[k + 1]);
   * $4 now: days that start at or after it are left out, and the average runs over [b[k], least(
   * b[k + 1], $4)), the part of the day that is not in the future.
   *
   * <p>Per space, one pass over its changes in the range (effects from {@code space_count}, resets
   * from {@code space_reset}) in contract order, a reset before the effects at its instant: {@code
   * lead} gives each change the instant of the next, so the value after it (its stored count) holds
   * for that long; {@code width_bucket} puts each in its day. The value in force when the range
   * starts is the latest change before it; a later day starts from the last value of the latest day
   * before it that has changes, or from a reset at its very start.
   *
   * <p>Opening hours: the average is over the whole day (up to now). An average over opening hours
   * would integrate the same segments clipped to the open intervals of each day instead of [b[k],
   * least(b[k + 1], $4)).
   *
   * <p>Rows: space_index, day_index (from 1), peak, peak_at, average, entries, exits, count_at_end,
   * complete; by space, then day.
   */
  static final String UTILIZATION =
      """
      SELECT sp.i AS space_index, d.k AS day_index, d.peak, d.peak_at, d.average,
             d.entries, d.exits, d.count_at_end, d.complete
        FROM (SELECT u.id, u.i::int AS i,
                     ($2::timestamptz[])[(u.i::int - 1) * $3::int + 1 : u.i::int * $3::int] AS b
                FROM unnest($1::text[]) WITH ORDINALITY AS u(id, i)) sp
       CROSS JOIN LATERAL (
         SELECT coalesce((SELECT count FROM %s h), 0) AS before) o
       CROSS JOIN LATERAL (
         SELECT g.k,
                greatest(g.opening, g.day_max) AS peak,
                CASE WHEN g.day_max IS NULL OR g.opening >= g.day_max THEN sp.b[g.k]
                     ELSE g.day_max_at END AS peak_at,
                (g.opening * date_part('epoch',
                                       least(g.first_change, sp.b[g.k + 1], $4) - sp.b[g.k])
                 + coalesce(g.weighted, 0))
                / date_part('epoch', least(sp.b[g.k + 1], $4) - sp.b[g.k]) AS average,
                coalesce(g.entries, 0) AS entries,
                coalesce(g.exits, 0) AS exits,
                coalesce(g.closing_count, g.opening) AS count_at_end,
                sp.b[g.k + 1] <= $4 AS complete
           FROM (
             SELECT n.k, a.entries, a.exits, a.first_change, a.day_max, a.day_max_at,
                    a.closing_count, a.weighted,
                    coalesce(a.reset_at_start,
                             (max(CASE WHEN a.last_count IS NOT NULL
                                       THEN ARRAY[n.k, a.last_count] END)
                                OVER (ORDER BY n.k ROWS BETWEEN UNBOUNDED PRECEDING
                                                            AND 1 PRECEDING))[2],
                             o.before) AS opening
               FROM generate_series(1, $3::int - 1) n(k)
               LEFT JOIN (
                 SELECT c.k,
                        count(*) FILTER (WHERE NOT c.reset AND c.delta > 0) AS entries,
                        count(*) FILTER (WHERE NOT c.reset AND c.delta < 0) AS exits,
                        min(c.ts) AS first_change,
                        max(c.day_max) AS day_max,
                        min(c.ts) FILTER (WHERE c.count = c.day_max) AS day_max_at,
                        max(c.count) FILTER (WHERE c.reset AND c.ts = sp.b[c.k]) AS reset_at_start,
                        max(c.count) FILTER (WHERE c.next_ts IS NULL OR c.next_ts >= sp.b[c.k + 1])
                          AS last_count,
                        max(c.count) FILTER (
                          WHERE c.ts <= sp.b[c.k + 1] - interval '1 millisecond'
                            AND (c.next_ts IS NULL
                                 OR c.next_ts > sp.b[c.k + 1] - interval '1 millisecond'))
                          AS closing_count,
                        sum(c.count * date_part('epoch',
                                                least(c.next_ts, sp.b[c.k + 1], $4) - c.ts))
                          FILTER (WHERE c.ts < $4) AS weighted
                   FROM (
                     SELECT x.k, x.ts, x.reset, x.delta, x.count,
                            lead(x.ts) OVER (ORDER BY x.k, x.ts, x.reset DESC, x.delta DESC,
                                                      x.datapoint_id) AS next_ts,
                            max(x.count) OVER (PARTITION BY x.k) AS day_max
                       FROM (
                         SELECT width_bucket(e.ts, sp.b) AS k, e.ts, false AS reset, e.delta,
                                e.datapoint_id, e.count
                           FROM space_count e
                          WHERE e.space_id = sp.id AND e.ts >= sp.b[1] AND e.ts < sp.b[$3::int]
                         UNION ALL
                         SELECT width_bucket(r.ts, sp.b), r.ts, true, 0::int2, 0::int8, r.count
                           FROM space_reset r
                          WHERE r.space_id = sp.id AND r.ts > sp.b[1] AND r.ts < sp.b[$3::int]
                       ) x
                   ) c
                  GROUP BY c.k
               ) a ON a.k = n.k
           ) g
          WHERE sp.b[g.k] < $4
       ) d
       ORDER BY sp.i, d.k
      """
          .formatted(Sql.latestChange("sp.id", "AND ts < sp.b[1]", "AND ts <= sp.b[1]"));

  // ---------------------------------------------------------------- resets

  /** A space's resets in [start, end). $1 space_id, $2 start, $3 end. */
  static final String LIST_RESETS =
      """
      SELECT ts, count, kind FROM space_reset
       WHERE space_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts LIMIT 10001
      """;
}
