package io.density.db;

/**
 * Every SQL statement of the server, named by intent. The schema itself lives in {@code sql/}.
 *
 * <p>Effects on a space are ordered as the counting contract orders them: by timestamp, +1 before
 * -1 at equal timestamps, then by datapoint id. {@link #EFFECT_ORDER} and its reverse are served by
 * the index {@code space_count_order}.
 */
public final class Sql {
  private Sql() {}

  static final String EFFECT_ORDER = "ts, delta DESC, datapoint_id";
  static final String EFFECT_ORDER_DESC = "ts DESC, delta ASC, datapoint_id DESC";

  // ---------------------------------------------------------------- ingest (persistence)

  /**
   * Group commit of one batch to the raw log. Opens an uncounted batch, inserts the datapoints that
   * are not repeats, and returns each new datapoint with every link valid at its timestamp (one row
   * per link, or one row with a NULL space when it has none). The first column carries the batch id
   * even when every datapoint was a repeat.
   *
   * <p>$1 dpu_id[], $2 ts[], $3 direction[], $4 dedupe_key[], $5 received_at[], $6 payload[].
   */
  public static final String INSERT_DATAPOINTS =
      """
      WITH batch AS (
        INSERT INTO uncounted_batch DEFAULT VALUES RETURNING id
      ), inserted AS (
        INSERT INTO datapoint (dpu_id, ts, direction, dedupe_key, received_at, payload, batch_id)
        SELECT u.*, (SELECT id FROM batch)
          FROM unnest($1::text[], $2::timestamptz[], $3::int2[], $4::text[],
                      $5::timestamptz[], $6::text[]) AS u
        ON CONFLICT (dpu_id, dedupe_key) DO NOTHING
        RETURNING id, dpu_id, ts, direction, dedupe_key, received_at
      )
      SELECT b.id AS batch_id, i.id, i.dpu_id, i.ts, i.direction, i.dedupe_key, i.received_at,
             l.space_id, l.sensor_placement, s.clamp
        FROM batch b
        LEFT JOIN (inserted i
          LEFT JOIN link l ON l.dpu_id = i.dpu_id AND l.valid_from <= i.ts
                          AND (l.valid_to IS NULL OR i.ts < l.valid_to)
          LEFT JOIN space s ON s.id = l.space_id) ON true
      """;

  /**
   * Stores the counts of a batch and closes it, atomically.
   *
   * <p>$1 batch id, $2 space_id[], $3 ts[], $4 delta[], $5 datapoint_id[], $6 count[].
   */
  public static final String INSERT_COUNTS =
      """
      WITH counted AS (
        INSERT INTO space_count (space_id, ts, delta, datapoint_id, arrival_count, count)
        SELECT s, t, d, id, c, c
          FROM unnest($2::text[], $3::timestamptz[], $4::int2[], $5::int8[], $6::int4[])
               AS u(s, t, d, id, c)
        ON CONFLICT DO NOTHING
      )
      DELETE FROM uncounted_batch WHERE id = $1
      """;

  // ---------------------------------------------------------------- recovery and rebuild

  /** Batches committed but not counted, at least $1 seconds old (double). */
  public static final String UNCOUNTED_BATCHES =
      "SELECT id FROM uncounted_batch WHERE created_at <= now() - make_interval(secs => $1)"
          + " ORDER BY id";

  /** The datapoints of one batch with their links, as {@link #INSERT_DATAPOINTS} returns them. */
  public static final String BATCH_DATAPOINTS =
      """
      SELECT d.batch_id, d.id, d.dpu_id, d.ts, d.direction, d.dedupe_key, d.received_at,
             l.space_id, l.sensor_placement, s.clamp
        FROM datapoint d
        LEFT JOIN link l ON l.dpu_id = d.dpu_id AND l.valid_from <= d.ts
                        AND (l.valid_to IS NULL OR d.ts < l.valid_to)
        LEFT JOIN space s ON s.id = l.space_id
       WHERE d.batch_id = $1
      """;

  /**
   * Stores the effects of one batch without trusting any count, for a recount to fill in. Returns
   * each space touched with its earliest effect. $1 batch id.
   */
  public static final String INSERT_UNCOUNTED_EFFECTS =
      """
      WITH effects AS (
        INSERT INTO space_count (space_id, ts, delta, datapoint_id, count)
        SELECT l.space_id, d.ts, d.direction * l.sensor_placement, d.id, 0
          FROM datapoint d
          JOIN link l ON l.dpu_id = d.dpu_id AND l.valid_from <= d.ts
                     AND (l.valid_to IS NULL OR d.ts < l.valid_to)
         WHERE d.batch_id = $1
        ON CONFLICT DO NOTHING
        RETURNING space_id, ts
      ), closed AS (
        DELETE FROM uncounted_batch WHERE id = $1
      )
      SELECT space_id, min(ts) AS since FROM effects GROUP BY space_id
      """;

  /**
   * Recomputes the counts of a space from an instant on, in contract order, from the count before
   * that instant. Clamping uses the closed form of a running sum floored at zero: {@code c_k = s_k
   * - least(0, min_{j<=k} s_j)} where {@code s} is the unclamped running sum started from the
   * (non-negative) count before. Only changed rows are written.
   *
   * <p>$1 space_id, $2 since (timestamptz).
   */
  public static final String RECOUNT_SPACE =
      """
      WITH space AS (
        SELECT clamp FROM space WHERE id = $1
      ), base AS (
        SELECT coalesce((SELECT count FROM space_count
                          WHERE space_id = $1 AND ts < $2
                          ORDER BY %s LIMIT 1), 0) AS c
      ), running AS (
        SELECT ts, delta, datapoint_id, count AS old,
               (SELECT c FROM base) + sum(delta) OVER w AS s
          FROM space_count
         WHERE space_id = $1 AND ts >= $2
        WINDOW w AS (ORDER BY %s ROWS UNBOUNDED PRECEDING)
      ), counted AS (
        SELECT ts, delta, datapoint_id, old,
               CASE WHEN coalesce((SELECT clamp FROM space), true)
                    THEN s - least(0, min(s) OVER w)
                    ELSE s END AS c
          FROM running
        WINDOW w AS (ORDER BY %s ROWS UNBOUNDED PRECEDING)
      )
      UPDATE space_count sc
         SET count = counted.c, reconciled_at = now()
        FROM counted
       WHERE sc.space_id = $1 AND sc.ts = counted.ts AND sc.delta = counted.delta
         AND sc.datapoint_id = counted.datapoint_id AND sc.count <> counted.c
      """
          .formatted(EFFECT_ORDER_DESC, EFFECT_ORDER, EFFECT_ORDER);

  /**
   * Spaces with their latest effect (if any): the realtime state to load into Redis. $1 the space
   * ids (text[]), or NULL for every space.
   */
  public static final String SPACE_HEADS =
      """
      SELECT s.id, h.ts, h.delta, h.datapoint_id, coalesce(h.count, 0) AS count
        FROM space s
        LEFT JOIN LATERAL (
          SELECT ts, delta, datapoint_id, count FROM space_count c
           WHERE c.space_id = s.id ORDER BY %s LIMIT 1) h ON true
       WHERE $1::text[] IS NULL OR s.id = ANY($1)
      """
          .formatted(EFFECT_ORDER_DESC);

  /** Per-DPU totals from the raw log: the realtime DPU state to load into Redis. */
  public static final String DPU_TOTALS =
      """
      SELECT dpu_id, max(ts) AS last_ts, max(received_at) AS last_received_at,
             count(*) FILTER (WHERE direction > 0) AS entries,
             count(*) FILTER (WHERE direction < 0) AS exits,
             count(*) AS total
        FROM datapoint GROUP BY dpu_id
      """;

  /**
   * Re-attribution of a DPU's datapoints from an instant on, after its links changed: removes the
   * effects no valid link produces any more. Returns each space touched with the earliest instant.
   * $1 dpu_id, $2 since.
   */
  public static final String REMOVE_STALE_EFFECTS =
      """
      WITH removed AS (
        DELETE FROM space_count sc
         USING datapoint d
         WHERE d.dpu_id = $1 AND d.ts >= $2 AND sc.datapoint_id = d.id AND sc.ts = d.ts
           AND sc.space_id IN (SELECT space_id FROM link WHERE dpu_id = $1)
           AND NOT EXISTS (
             SELECT 1 FROM link l
              WHERE l.dpu_id = d.dpu_id AND l.space_id = sc.space_id
                AND d.direction * l.sensor_placement = sc.delta
                AND l.valid_from <= d.ts AND (l.valid_to IS NULL OR d.ts < l.valid_to))
        RETURNING sc.space_id, sc.ts
      )
      SELECT space_id, min(ts) AS since FROM removed GROUP BY space_id
      """;

  /**
   * Re-attribution, second half: adds the effects the DPU's links now produce (counts to be
   * recounted). Returns each space touched with the earliest instant. $1 dpu_id, $2 since.
   */
  public static final String ADD_MISSING_EFFECTS =
      """
      WITH added AS (
        INSERT INTO space_count (space_id, ts, delta, datapoint_id, count)
        SELECT l.space_id, d.ts, d.direction * l.sensor_placement, d.id, 0
          FROM datapoint d
          JOIN link l ON l.dpu_id = d.dpu_id AND l.valid_from <= d.ts
                     AND (l.valid_to IS NULL OR d.ts < l.valid_to)
         WHERE d.dpu_id = $1 AND d.ts >= $2
        ON CONFLICT DO NOTHING
        RETURNING space_id, ts
      )
      SELECT space_id, min(ts) AS since FROM added GROUP BY space_id
      """;

  // ---------------------------------------------------------------- queries

  /** Whether a space exists, and its latest count (NULL without effects). $1 space_id. */
  public static final String SPACE_LATEST_COUNT =
      """
      SELECT s.id, (SELECT count FROM space_count c WHERE c.space_id = s.id
                     ORDER BY %s LIMIT 1) AS count
        FROM space s WHERE s.id = $1
      """
          .formatted(EFFECT_ORDER_DESC);

  /** Whether a space exists, and its count as of an instant (NULL before any effect). */
  public static final String SPACE_COUNT_AS_OF =
      """
      SELECT s.id, (SELECT count FROM space_count c WHERE c.space_id = s.id AND c.ts <= $2
                     ORDER BY %s LIMIT 1) AS count
        FROM space s WHERE s.id = $1
      """
          .formatted(EFFECT_ORDER_DESC);

  /**
   * The space's effect timestamp nearest to an instant (a tie goes to the earlier one) and the
   * count as of that timestamp. No row when the space has no effect. $1 space_id, $2 instant.
   */
  public static final String SPACE_COUNT_NEAREST =
      """
      WITH candidates AS (
        (SELECT ts FROM space_count WHERE space_id = $1 AND ts <= $2 ORDER BY ts DESC LIMIT 1)
        UNION ALL
        (SELECT ts FROM space_count WHERE space_id = $1 AND ts > $2 ORDER BY ts ASC LIMIT 1)
      ), nearest AS (
        SELECT ts FROM candidates
         ORDER BY greatest(ts - $2, $2 - ts), ts LIMIT 1
      )
      SELECT n.ts, (SELECT count FROM space_count c WHERE c.space_id = $1 AND c.ts <= n.ts
                     ORDER BY %s LIMIT 1) AS count
        FROM nearest n
      """
          .formatted(EFFECT_ORDER_DESC);

  /** Whether a space exists. $1 space_id. */
  public static final String SPACE_EXISTS = "SELECT 1 FROM space WHERE id = $1";

  /** A DPU's registration and its links valid now. $1 dpu_id. */
  public static final String DPU_CURRENT_LINKS =
      """
      SELECT d.id, d.name, l.doorway_id, l.space_id, l.sensor_placement, l.valid_from
        FROM dpu d
        LEFT JOIN link l ON l.dpu_id = d.id AND l.valid_from <= now()
                        AND (l.valid_to IS NULL OR now() < l.valid_to)
       WHERE d.id = $1
      """;

  // ---------------------------------------------------------------- registry

  public static final String UPSERT_SPACE =
      """
      INSERT INTO space (id, name, parent_id, time_zone, capacity, clamp, daily_reset)
      VALUES ($1, $2, $3, $4, $5, $6, $7)
      ON CONFLICT (id) DO UPDATE SET
        name = EXCLUDED.name, parent_id = EXCLUDED.parent_id, time_zone = EXCLUDED.time_zone,
        capacity = EXCLUDED.capacity, clamp = EXCLUDED.clamp, daily_reset = EXCLUDED.daily_reset,
        updated_at = now()
      RETURNING *, (xmax = 0) AS created
      """;

  /** Whether making $2 the parent of $1 would close a cycle. */
  public static final String SPACE_ANCESTORS_INCLUDE =
      """
      WITH RECURSIVE up(id, parent_id) AS (
        SELECT id, parent_id FROM space WHERE id = $2
        UNION
        SELECT s.id, s.parent_id FROM space s JOIN up ON s.id = up.parent_id
      )
      SELECT 1 FROM up WHERE id = $1
      """;

  public static final String SELECT_SPACE = "SELECT * FROM space WHERE id = $1";
  public static final String LIST_SPACES = "SELECT * FROM space ORDER BY id";

  public static final String UPSERT_DOORWAY =
      """
      INSERT INTO doorway (id, name) VALUES ($1, $2)
      ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, updated_at = now()
      RETURNING *, (xmax = 0) AS created
      """;

  public static final String SELECT_DOORWAY = "SELECT * FROM doorway WHERE id = $1";
  public static final String LIST_DOORWAYS = "SELECT * FROM doorway ORDER BY id";

  public static final String UPSERT_DPU =
      """
      INSERT INTO dpu (id, name) VALUES ($1, $2)
      ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, updated_at = now()
      RETURNING *, (xmax = 0) AS created
      """;

  public static final String SELECT_DPU = "SELECT * FROM dpu WHERE id = $1";
  public static final String LIST_DPUS = "SELECT * FROM dpu ORDER BY id";

  /**
   * A link equal to the one asked for: same DPU, doorway, space and placement, and the same
   * validity (or, when $5 is NULL, any link of that shape still open now).
   */
  public static final String FIND_SAME_LINK =
      """
      SELECT * FROM link
       WHERE dpu_id = $1 AND doorway_id = $2 AND space_id = $3 AND sensor_placement = $4
         AND ((valid_from = $5 AND valid_to IS NOT DISTINCT FROM $6)
           OR ($5 IS NULL AND $6::timestamptz IS NULL AND valid_to IS NULL AND valid_from <= now()))
       ORDER BY valid_from DESC LIMIT 1
      """;

  public static final String INSERT_LINK =
      """
      INSERT INTO link (dpu_id, doorway_id, space_id, sensor_placement, valid_from, valid_to)
      VALUES ($1, $2, $3, $4, coalesce($5, now()), $6)
      RETURNING *
      """;

  /** The DPU's links that start at or after an instant. $1 dpu_id, $2 instant. */
  public static final String LINKS_FROM =
      "SELECT * FROM link WHERE dpu_id = $1 AND valid_from >= $2 ORDER BY valid_from, space_id";

  /** Closes the DPU's links that are valid at an instant, at that instant. $1 dpu_id, $2 at. */
  public static final String CLOSE_LINKS_AT =
      """
      UPDATE link SET valid_to = $2
       WHERE dpu_id = $1 AND valid_from < $2 AND (valid_to IS NULL OR valid_to > $2)
      RETURNING *
      """;

  public static final String LIST_LINKS =
      """
      SELECT * FROM link
       WHERE ($1::text IS NULL OR dpu_id = $1) AND ($2::text IS NULL OR space_id = $2)
       ORDER BY dpu_id, valid_from, space_id
      """;
}
