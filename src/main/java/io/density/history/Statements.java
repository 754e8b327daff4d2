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
   * b[k + 1], $4)), the part of the day that is not in the future; [$5, $6) the range of every
   * space's days together (the least first and the greatest last boundary).
   *
   * <p>One pass over the changes of the spaces in the range (effects from {@code space_count},
   * resets from {@code space_reset}, read together) in contract order per space, a reset before the
   * effects at its instant (it reads as delta 2): {@code lead} gives each change the instant of the
   * next, so the value after it (its stored count) holds for that long, and {@code width_bucket}
   * puts it in its day, where the figures are aggregated without another sort. The peak and its
   * first instant are one maximum over a key made of the value (high bits; counts within ±2^25) and
   * the time left in the day (low 37 bits: µs, a day is under 2^37 µs). The value in force at the
   * start of the range is the space's latest change before it; a later day starts from the last
   * value of the latest earlier day that has changes, or from a reset at its very start.
   *
   * <p>Opening hours: the average is over the whole day (up to now). An average over opening hours
   * integrates the same segments clipped to each day's open intervals instead of [b[k], least(b[k +
   * 1], $4)).
   *
   * <p>Rows: space_index, day_index (both from 1), peak, peak_at, average, entries, exits,
   * count_at_end, complete; by space, then day.
   */
  static final String UTILIZATION =
      """
      WITH sp AS MATERIALIZED (
        SELECT u.id, u.i::int AS i,
               ($2::timestamptz[])[(u.i::int - 1) * $3::int + 1 : u.i::int * $3::int] AS b
          FROM unnest($1::text[]) WITH ORDINALITY AS u(id, i)
      ), changes AS (
        SELECT x.i, x.k, x.d0, x.d1, x.ts, x.delta, x.count,
               lead(x.ts) OVER (PARTITION BY x.i ORDER BY x.k, x.ts, x.delta DESC, x.datapoint_id)
                 AS next_ts
          FROM (SELECT sp.i, y.k, sp.b[y.k] AS d0, sp.b[y.k + 1] AS d1,
                       c.ts, c.delta, c.datapoint_id, c.count
                  FROM (SELECT e.space_id, e.ts, e.delta, e.datapoint_id, e.count
                          FROM space_count e
                         WHERE e.space_id = ANY ($1::text[]) AND e.ts >= $5 AND e.ts < $6
                        UNION ALL
                        SELECT r.space_id, r.ts, 2::int2, 0::int8, r.count FROM space_reset r
                         WHERE r.space_id = ANY ($1::text[]) AND r.ts >= $5 AND r.ts < $6) c
                  JOIN sp ON sp.id = c.space_id
                 CROSS JOIN LATERAL (SELECT width_bucket(c.ts, sp.b) AS k) y
                 WHERE c.ts >= sp.b[1] AND c.ts < sp.b[$3::int]
                OFFSET 0) x -- computed before the sort: only the narrow row is sorted
      ), days AS (
        SELECT c.i, c.k,
               count(*) FILTER (WHERE c.delta = 1) AS entries,
               count(*) FILTER (WHERE c.delta = -1) AS exits,
               min(c.ts) AS first_change,
               max((c.count::int8 + 33554432) * 137438953472
                   + (137438953471 - round(date_part('epoch', c.ts - c.d0) * 1000000)::int8))
                 AS peak_key,
               max(c.count) FILTER (WHERE c.delta = 2 AND c.ts = c.d0) AS reset_at_start,
               max(c.count) FILTER (WHERE c.next_ts IS NULL OR c.next_ts >= c.d1) AS last_count,
               max(c.count) FILTER (
                 WHERE c.ts <= c.d1 - interval '1 millisecond'
                   AND (c.next_ts IS NULL OR c.next_ts > c.d1 - interval '1 millisecond'))
                 AS closing_count,
               sum(c.count * date_part('epoch', least(c.next_ts, c.d1, $4) - c.ts))
                 FILTER (WHERE c.ts < $4) AS weighted
          FROM changes c
         GROUP BY c.i, c.k
      ), grid AS (
        SELECT sp.i, sp.b, n.k, d.entries, d.exits, d.first_change, d.closing_count, d.weighted,
               (d.peak_key >> 37) - 33554432 AS day_max,
               137438953471 - (d.peak_key & 137438953471) AS day_max_us,
               coalesce(d.reset_at_start,
                        (max(CASE WHEN d.last_count IS NOT NULL THEN ARRAY[n.k, d.last_count] END)
                           OVER (PARTITION BY sp.i ORDER BY n.k
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))[2],
                        o.before) AS opening
          FROM sp
         CROSS JOIN LATERAL (SELECT coalesce((SELECT count FROM %s h), 0) AS before) o
         CROSS JOIN generate_series(1, $3::int - 1) n(k)
          LEFT JOIN days d ON d.i = sp.i AND d.k = n.k
      )
      SELECT g.i AS space_index, g.k AS day_index,
             greatest(g.opening, g.day_max) AS peak,
             CASE WHEN g.day_max IS NULL OR g.opening >= g.day_max THEN g.b[g.k]
                  ELSE g.b[g.k] + g.day_max_us * interval '1 microsecond' END AS peak_at,
             (g.opening * date_part('epoch', least(g.first_change, g.b[g.k + 1], $4) - g.b[g.k])
              + coalesce(g.weighted, 0))
             / date_part('epoch', least(g.b[g.k + 1], $4) - g.b[g.k]) AS average,
             coalesce(g.entries, 0) AS entries,
             coalesce(g.exits, 0) AS exits,
             coalesce(g.closing_count, g.opening) AS count_at_end,
             g.b[g.k + 1] <= $4 AS complete
        FROM grid g
       WHERE g.b[g.k] < $4
       ORDER BY g.i, g.k
      """
          .formatted(Sql.latestChange("sp.id", "AND ts < sp.b[1]", "AND ts <= sp.b[1]"));

  // ---------------------------------------------------------------- utilization summaries

  /**
   * Whether the triggers that keep summaries exact are in place (not with a TimescaleDB before
   * 2.18, sql/V11__utilization_days.sql): without them every day is computed from the changes.
   */
  static final String SUMMARIES_KEPT =
      """
      SELECT EXISTS (SELECT 1 FROM pg_trigger
                      WHERE tgrelid = 'space_count'::regclass
                        AND tgname = 'space_count_utilization_insert') AS kept
      """;

  /**
   * The stored summaries of the spaces $1 (text[]) for the local days [$2, $3): space_id,
   * time_zone, day, peak, peak_at, average, entries, exits, count_at_end (the caller keeps those of
   * the zone it asks for). Rows a report is still computing (token set) are not summaries yet. No
   * join: a join to the ids was planned as a nested loop over a scan of the table when its
   * statistics were not yet gathered (2 s for 31,000 rows).
   */
  static final String STORED_DAYS =
      """
      SELECT space_id, time_zone, day, peak, peak_at, average, entries, exits, count_at_end
        FROM utilization_day
       WHERE space_id = ANY ($1::text[]) AND day >= $2 AND day < $3 AND token IS NULL
      """;

  /**
   * Marks days pending under the report's token $6: $1 space ids, $2 zones, $3 local days, $4 and
   * $5 their first and next-day instants (arrays of one length). Rows that exist already (pending
   * under another token) take this one unless a transaction holds them: a writer deleting them, or
   * another report; those are skipped, never waited for (only rows that do not exist are inserted,
   * so the insert waits at most for another report inserting the same day). From the commit on, a
   * writer that changes a space before a day's end deletes the day's row.
   */
  static final String MARK_DAYS_PENDING =
      """
      WITH v AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::timestamptz[],
                             $5::timestamptz[]) AS v(space_id, time_zone, day, d0, d1)
      ), taken AS (
        SELECT u.space_id, u.time_zone, u.day
          FROM utilization_day u JOIN v USING (space_id, time_zone, day)
           FOR UPDATE OF u SKIP LOCKED
      ), retaken AS (
        UPDATE utilization_day u SET token = $6::int8, d0 = v.d0, d1 = v.d1
          FROM v JOIN taken USING (space_id, time_zone, day)
         WHERE u.space_id = v.space_id AND u.time_zone = v.time_zone AND u.day = v.day
      )
      INSERT INTO utilization_day (space_id, time_zone, day, d0, d1, token)
      SELECT v.*, $6::int8 FROM v
       WHERE NOT EXISTS (SELECT 1 FROM utilization_day u
                          WHERE u.space_id = v.space_id AND u.time_zone = v.time_zone
                            AND u.day = v.day)
      ON CONFLICT (space_id, time_zone, day) DO NOTHING
      """;

  /**
   * Taken exclusively, in a transaction of its own, right after the pending rows are committed:
   * every trigger of sql/V11__utilization_days.sql holds it shared from before it looks for
   * summaries until its transaction ends, so once this is granted every writer that missed the
   * pending rows has committed, and the report's snapshot, taken next, holds its rows. Waits at
   * most a second (new writers queue behind it meanwhile); a report that does not get it stores
   * nothing.
   */
  static final String LOCK_OUT_WRITERS = "SELECT pg_advisory_xact_lock(x'64656e73'::int8 + 4)";

  /** How long this transaction waits for a lock at most (before {@link #LOCK_OUT_WRITERS}). */
  static final String WAIT_FOR_LOCKS_AT_MOST_1S = "SET LOCAL lock_timeout = '1s'";

  /**
   * Stores the figures of the days still pending under the token $1: $2 space ids, $3 zones, $4
   * days, $5 peak, $6 peak_at, $7 average, $8 entries, $9 exits, $10 count_at_end (arrays of one
   * length). A row a writer deleted since it was marked stays deleted; one a transaction holds (a
   * writer deleting it) is skipped, so the report never waits for a writer.
   */
  static final String STORE_DAYS =
      """
      WITH v AS (
        SELECT * FROM unnest($2::text[], $3::text[], $4::date[], $5::int[], $6::timestamptz[],
                             $7::float8[], $8::int8[], $9::int8[], $10::int[])
             AS v(space_id, time_zone, day, peak, peak_at, average, entries, exits, count_at_end)
      ), mine AS (
        SELECT u.space_id, u.time_zone, u.day
          FROM utilization_day u JOIN v USING (space_id, time_zone, day)
         WHERE u.token = $1
           FOR UPDATE OF u SKIP LOCKED
      )
      UPDATE utilization_day u
         SET token = NULL, peak = v.peak, peak_at = v.peak_at, average = v.average,
             entries = v.entries, exits = v.exits, count_at_end = v.count_at_end
        FROM v JOIN mine USING (space_id, time_zone, day)
       WHERE u.space_id = v.space_id AND u.time_zone = v.time_zone AND u.day = v.day
         AND u.token = $1
      """;

  /** The spaces after id $1 in id order, $2 at most, with their zones: the summary job's pages. */
  static final String SPACES_AFTER =
      "SELECT id, time_zone FROM space WHERE id > $1 ORDER BY id LIMIT $2";

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
   * datapoint_dpu_ts_key (dpu_id, ts, dedupe_key). {@code %1$s} is the condition that picks the
   * links.
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
