package io.density.persistence.rederive;

import io.density.db.Sql;

/**
 * The statements that re-derive counts from the raw log: recounts, re-attribution after moved
 * links, the rebuild of the realtime state, resets (explicit, daily, idle) and retention. The
 * schema itself lives in {@code sql/}; what other rooms share is in {@code db/Sql}.
 */
final class Statements {
  private Statements() {}

  /**
   * Stores the effects of one batch without trusting any count, for a recount to fill in. Returns
   * each space touched with its earliest and latest effect. $1 batch id.
   */
  static final String INSERT_UNCOUNTED_EFFECTS =
      """
      WITH effects AS (
        INSERT INTO space_count (space_id, ts, delta, datapoint_id, count)
        SELECT l.space_id, d.ts, d.direction * l.sensor_placement, d.id, 0
          FROM datapoint d
          JOIN link l ON %1$s
         WHERE d.batch_id = $1
        ON CONFLICT DO NOTHING
        RETURNING space_id, ts
      ), closed AS (
        DELETE FROM uncounted_batch WHERE id = $1
      )
      SELECT space_id, min(ts) AS since, max(ts) AS through FROM effects GROUP BY space_id
      """
          .formatted(Sql.linkValidAt("d"));

  /**
   * Recomputes the counts of a space from an instant on, in contract order, from the count in force
   * before that instant. Resets split the effects into segments, each starting from its reset's
   * value. Clamping uses the closed form of a running sum floored at zero: {@code c_k = s_k -
   * least(0, min_{j<=k} s_j)} where {@code s} is the unclamped running sum of the segment, started
   * from its (non-negative) initial count. Only changed rows are written.
   *
   * <p>Nothing before a reset reaches past it, so the recount stops at the first reset after {@code
   * through}, the latest instant whose effects or resets changed (NULL: the recount goes to the end
   * of the history).
   *
   * <p>$1 space_id, $2 since (timestamptz), $3 through (timestamptz or NULL).
   */
  static final String RECOUNT_SPACE =
      """
      WITH space AS (
        SELECT clamp FROM space WHERE id = $1
      ), stop AS (
        SELECT min(ts) AS ts FROM space_reset WHERE space_id = $1 AND ts > $3::timestamptz
      ), base AS (
        SELECT coalesce((SELECT count FROM %1$s b), 0) AS c
      ), segmented AS (
        SELECT e.ts, e.delta, e.datapoint_id, e.count AS old,
               (SELECT r.ts FROM space_reset r
                 WHERE r.space_id = $1 AND r.ts >= $2 AND r.ts <= e.ts
                 ORDER BY r.ts DESC LIMIT 1) AS segment
          FROM space_count e
         WHERE e.space_id = $1 AND e.ts >= $2
           AND (e.ts < (SELECT ts FROM stop) OR (SELECT ts FROM stop) IS NULL)
      ), running AS (
        SELECT ts, delta, datapoint_id, old, segment,
               coalesce((SELECT count FROM space_reset r WHERE r.space_id = $1 AND r.ts = segment),
                        (SELECT c FROM base))
                 + sum(delta) OVER w AS s
          FROM segmented
        WINDOW w AS (PARTITION BY segment ORDER BY %2$s ROWS UNBOUNDED PRECEDING)
      ), counted AS (
        SELECT ts, delta, datapoint_id, old,
               CASE WHEN coalesce((SELECT clamp FROM space), true)
                    THEN s - least(0, min(s) OVER w)
                    ELSE s END AS c
          FROM running
        WINDOW w AS (PARTITION BY segment ORDER BY %2$s ROWS UNBOUNDED PRECEDING)
      )
      UPDATE space_count sc
         SET count = counted.c, reconciled_at = now()
        FROM counted
       WHERE sc.space_id = $1 AND sc.ts >= $2 AND sc.ts = counted.ts AND sc.delta = counted.delta
         AND sc.datapoint_id = counted.datapoint_id AND sc.count <> counted.c
      """
          .formatted(Sql.latestChange("$1", "AND ts < $2"), Sql.EFFECT_ORDER);

  /**
   * Per-DPU totals from the raw log, and registered DPUs without a datapoint (NULL times, zero
   * totals): the realtime DPU state to load into Redis.
   */
  static final String DPU_TOTALS =
      """
      SELECT dpu_id, max(ts) AS last_ts, max(received_at) AS last_received_at,
             count(*) FILTER (WHERE direction > 0) AS entries,
             count(*) FILTER (WHERE direction < 0) AS exits,
             count(*) AS total
        FROM datapoint GROUP BY dpu_id
      UNION ALL
      SELECT d.id, NULL, NULL, 0, 0, 0
        FROM dpu d
       WHERE NOT EXISTS (SELECT 1 FROM datapoint p WHERE p.dpu_id = d.id)
      """;

  /**
   * Attribution again, first half: removes the effects that no valid link produces any more, for
   * the datapoints of one DPU ($1, or every DPU when NULL) with $2 <= ts < $3 ($3 NULL: no end).
   * Returns each space touched with the earliest and latest instant.
   */
  static final String REMOVE_STALE_EFFECTS =
      """
      WITH removed AS (
        DELETE FROM space_count sc
         USING datapoint d
         WHERE ($1::text IS NULL OR d.dpu_id = $1) AND d.ts >= $2
           AND ($3::timestamptz IS NULL OR d.ts < $3)
           AND sc.datapoint_id = d.id AND sc.ts = d.ts
           AND ($1::text IS NULL OR sc.space_id IN (SELECT space_id FROM link WHERE dpu_id = $1))
           AND NOT EXISTS (
             SELECT 1 FROM link l
              WHERE %1$s
                AND l.space_id = sc.space_id AND d.direction * l.sensor_placement = sc.delta)
        RETURNING sc.space_id, sc.ts
      )
      SELECT space_id, min(ts) AS since, max(ts) AS through FROM removed GROUP BY space_id
      """
          .formatted(Sql.linkValidAt("d"));

  /**
   * Attribution again, second half: adds the effects the links now produce (counts to be
   * recounted), for the same datapoints as {@link #REMOVE_STALE_EFFECTS}. Returns each space
   * touched with the earliest and latest instant.
   */
  static final String ADD_MISSING_EFFECTS =
      """
      WITH added AS (
        INSERT INTO space_count (space_id, ts, delta, datapoint_id, count)
        SELECT l.space_id, d.ts, d.direction * l.sensor_placement, d.id, 0
          FROM datapoint d
          JOIN link l ON %1$s
         WHERE ($1::text IS NULL OR d.dpu_id = $1) AND d.ts >= $2
           AND ($3::timestamptz IS NULL OR d.ts < $3)
           -- a batch not counted yet gets its effects when it is counted, by current links
           AND NOT EXISTS (SELECT 1 FROM uncounted_batch b WHERE b.id = d.batch_id)
        ON CONFLICT DO NOTHING
        RETURNING space_id, ts
      )
      SELECT space_id, min(ts) AS since, max(ts) AS through FROM added GROUP BY space_id
      """
          .formatted(Sql.linkValidAt("d"));

  /**
   * Every space with effects at or after $1, to recount from its first such effect to the end in a
   * replay.
   */
  static final String SPACES_WITH_EFFECTS_SINCE =
      """
      SELECT space_id, since, NULL::timestamptz AS through FROM (
        SELECT s.id AS space_id,
               (SELECT min(c.ts) FROM space_count c WHERE c.space_id = s.id AND c.ts >= $1) AS since
          FROM space s
      ) first WHERE since IS NOT NULL
      """;

  /** Whether the DPU sent datapoints at or after an instant. $1 dpu_id, $2 instant. */
  static final String DPU_HAS_DATAPOINTS_SINCE =
      "SELECT 1 FROM datapoint WHERE dpu_id = $1 AND ts >= $2 LIMIT 1";

  /** An explicit reset; replaces any reset at the same instant. $1 space, $2 ts, $3 count. */
  static final String UPSERT_EXPLICIT_RESET =
      """
      INSERT INTO space_reset (space_id, ts, count, kind) VALUES ($1, $2, $3, 'explicit')
      ON CONFLICT (space_id, ts) DO UPDATE SET count = EXCLUDED.count, kind = 'explicit',
                                               created_at = now()
      RETURNING space_id, ts, count, kind
      """;

  /**
   * What daily resets of a space depend on, and where its history starts: its creation, first
   * effect or first reset other than a daily one, whichever is earliest. $1 space_id.
   */
  static final String SPACE_RESET_RULES =
      """
      SELECT id, time_zone, daily_reset,
             least(created_at,
                   (SELECT min(ts) FROM space_count WHERE space_id = $1),
                   (SELECT min(ts) FROM space_reset WHERE space_id = $1 AND kind <> 'daily'))
               AS history_from
        FROM space WHERE id = $1
      """;

  /** Drops the daily resets of a space (its rule changed), and where they started. $1 space_id. */
  static final String DELETE_DAILY_RESETS =
      """
      WITH cleared AS (UPDATE space SET daily_resets_from = NULL WHERE id = $1)
      DELETE FROM space_reset WHERE space_id = $1 AND kind = 'daily'
      """;

  /**
   * Writes daily resets to 0 (an explicit reset at the same instant stays; an idle one becomes
   * daily, so that it stays when late data moves the idle reset away) and moves each space's {@code
   * daily_resets_from} back to the earliest written. $1 space_id[], $2 ts[].
   */
  static final String WRITE_DAILY_RESETS =
      """
      WITH input AS (
        SELECT * FROM unnest($1::text[], $2::timestamptz[]) AS u(space_id, ts)
      ), written AS (
        INSERT INTO space_reset (space_id, ts, count, kind)
        SELECT space_id, ts, 0, 'daily' FROM input
        ON CONFLICT (space_id, ts) DO UPDATE SET kind = 'daily', created_at = now()
         WHERE space_reset.kind = 'idle'
      )
      UPDATE space s SET daily_resets_from = f.ts
        FROM (SELECT space_id, min(ts) AS ts FROM input GROUP BY space_id) f
       WHERE s.id = f.space_id AND f.ts < coalesce(s.daily_resets_from, 'infinity')
      """;

  /**
   * Of the spaces about to be recounted from an instant ($1 space_id[], $2 since[]), those with a
   * daily reset whose written resets start after that instant, with their rule.
   */
  static final String DAILY_RESETS_SHORT_OF =
      """
      SELECT s.id, s.time_zone, s.daily_reset, s.daily_resets_from, u.since
        FROM unnest($1::text[], $2::timestamptz[]) AS u(id, since)
        JOIN space s ON s.id = u.id
       WHERE s.daily_reset IS NOT NULL AND u.since < s.daily_resets_from
      """;

  /**
   * Idle resets found by the counting script before effects applied in order (an explicit, daily or
   * carry reset at the same instant stays). $1 space_id[], $2 ts[].
   */
  static final String WRITE_IDLE_RESETS =
      """
      INSERT INTO space_reset (space_id, ts, count, kind)
      SELECT space_id, ts, 0, 'idle' FROM unnest($1::text[], $2::timestamptz[]) AS u(space_id, ts)
      ON CONFLICT (space_id, ts) DO NOTHING
      """;

  /**
   * The idle resets that came due with no effect after: of the spaces $1 (text[]), each with an
   * idle rule whose latest effect is at least its period old gets a reset at that effect + the
   * period. Returns the spaces whose reset was written.
   */
  static final String WRITE_DUE_IDLE_RESETS =
      """
      WITH due AS (
        SELECT s.id AS space_id,
               (SELECT max(c.ts) FROM space_count c WHERE c.space_id = s.id)
                 + s.idle_reset_minutes * interval '1 minute' AS ts
          FROM space s
         WHERE s.id = ANY($1) AND s.idle_reset_minutes IS NOT NULL
      )
      INSERT INTO space_reset (space_id, ts, count, kind)
      SELECT space_id, ts, 0, 'idle' FROM due WHERE ts <= now()
      ON CONFLICT (space_id, ts) DO NOTHING
      RETURNING space_id
      """;

  /**
   * Derives the idle resets of spaces about to be recounted again from their effects, where those
   * changed: each space's stretch [since, through] (through NULL: to the end) is widened to the
   * effect before it (lo) and the effect after it (hi), and the idle resets in (lo, hi] become
   * exactly those its effects imply there: one at t + m after each effect at t whose next effect
   * comes at t + m or later, and after the last effect (when hi is none) once t + m has come. Only
   * spaces with an idle rule (a rule removed drops them all, {@link #DELETE_IDLE_RESETS}). Another
   * reset at the same instant stays. Returns each space whose idle resets changed with the earliest
   * and latest one changed, for the recount to cover.
   *
   * <p>$1 space_id[], $2 since[], $3 through[].
   */
  static final String REDERIVE_IDLE_RESETS =
      """
      WITH input AS (
        SELECT u.space_id, u.since, u.through, s.idle_reset_minutes * interval '1 minute' AS m
          FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS u(space_id, since, through)
          JOIN space s ON s.id = u.space_id
         WHERE s.idle_reset_minutes IS NOT NULL
      ), bounds AS (
        SELECT i.*,
               coalesce((SELECT max(c.ts) FROM space_count c
                          WHERE c.space_id = i.space_id AND c.ts < i.since),
                        '-infinity') AS lo,
               CASE WHEN i.through IS NOT NULL
                    THEN (SELECT min(c.ts) FROM space_count c
                           WHERE c.space_id = i.space_id AND c.ts > i.through) END AS hi
          FROM input i
      ), implied AS (
        SELECT b.space_id, g.ts + b.m AS ts
          FROM bounds b
          CROSS JOIN LATERAL (
            SELECT d.ts, lead(d.ts) OVER (ORDER BY d.ts) AS next
              FROM (SELECT DISTINCT c.ts FROM space_count c
                     WHERE c.space_id = b.space_id AND c.ts >= b.lo
                       AND (b.hi IS NULL OR c.ts <= b.hi)) d
          ) g
         WHERE CASE WHEN g.next IS NOT NULL THEN g.next >= g.ts + b.m
                    ELSE b.hi IS NULL AND g.ts + b.m <= now() END
      ), removed AS (
        DELETE FROM space_reset r USING bounds b
         WHERE r.space_id = b.space_id AND r.kind = 'idle' AND r.ts > b.lo
           AND (b.hi IS NULL OR r.ts <= b.hi)
           AND NOT EXISTS (SELECT 1 FROM implied i WHERE i.space_id = r.space_id AND i.ts = r.ts)
        RETURNING r.space_id, r.ts
      ), added AS (
        INSERT INTO space_reset (space_id, ts, count, kind)
        SELECT space_id, ts, 0, 'idle' FROM implied
        ON CONFLICT (space_id, ts) DO NOTHING
        RETURNING space_id, ts
      )
      SELECT space_id, min(ts) AS since, max(ts) AS through
        FROM (SELECT * FROM removed UNION ALL SELECT * FROM added) changed
       GROUP BY space_id
      """;

  /** Drops the idle resets of a space (its rule changed; the recount derives them again). */
  static final String DELETE_IDLE_RESETS =
      "DELETE FROM space_reset WHERE space_id = $1 AND kind = 'idle'";

  /** When the space's next daily reset is due (NULL: none). $1 space_id, $2 instant. */
  static final String SET_NEXT_DAILY_RESET = "UPDATE space SET next_daily_reset = $2 WHERE id = $1";

  /** Whether any space's next daily reset has come. */
  static final String ANY_DAILY_RESET_DUE =
      "SELECT 1 FROM space WHERE next_daily_reset <= now() LIMIT 1";

  /** Spaces whose next daily reset has come. */
  static final String DUE_DAILY_RESETS =
      """
      SELECT id, time_zone, daily_reset, next_daily_reset FROM space
       WHERE next_daily_reset <= now() ORDER BY next_daily_reset LIMIT 1000
      """;

  /** Whether anything older than $1 is stored. */
  static final String ANY_DATAPOINT_BEFORE = "SELECT 1 FROM datapoint WHERE ts < $1 LIMIT 1";

  /**
   * Before history older than $1 goes: each space whose count changed before $1 gets a 'carry'
   * reset at $1 holding the count in force there, so every answer from $1 on stays the same.
   */
  static final String CARRY_COUNTS =
      """
      INSERT INTO space_reset (space_id, ts, count, kind)
      SELECT s.id, $1, c.count, 'carry'
        FROM space s CROSS JOIN LATERAL %s c
      ON CONFLICT (space_id, ts) DO NOTHING
      """
          .formatted(Sql.latestChange("s.id", "AND ts < $1"));

  static final String DELETE_RESETS_BEFORE = "DELETE FROM space_reset WHERE ts < $1";

  /**
   * The utilization summaries of days that start before $1: their history goes (the function waits
   * for a report marking days pending; sql/V11__utilization_days.sql).
   */
  static final String FORGET_UTILIZATION_DAYS_BEFORE =
      "SELECT density_utilization_forget_before($1)";

  static final String DELETE_ID_KEYS_BEFORE = "DELETE FROM datapoint_id_key WHERE ts < $1";

  /** Drops the partitions or chunks that end at or before $1; returns how many. */
  static final String DROP_BEFORE = "SELECT density_drop_before($1) AS dropped";

  /** Where retained history starts: the latest carry reset (NULL if nothing was dropped). */
  static final String RETENTION_BOUNDARY =
      "SELECT max(ts) AS boundary FROM space_reset WHERE kind = 'carry'";
}
