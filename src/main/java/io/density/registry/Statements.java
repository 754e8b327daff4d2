package io.density.registry;

/** The statements of spaces, doorways, DPUs and links, one by one and in bulk, named by intent. */
final class Statements {
  private Statements() {}

  // ---------------------------------------------------------------- registry

  /**
   * Creates or replaces a space. {@code rules_changed} says whether what its counts depend on
   * (clamp, daily reset, time zone, idle reset) changed, or a new space has a daily or idle reset.
   */
  static final String UPSERT_SPACE =
      """
      WITH old AS (
        SELECT clamp, daily_reset, time_zone, idle_reset_minutes FROM space WHERE id = $1
      )
      INSERT INTO space (id, name, parent_id, time_zone, capacity, clamp, daily_reset,
                         idle_reset_minutes)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
      ON CONFLICT (id) DO UPDATE SET
        name = EXCLUDED.name, parent_id = EXCLUDED.parent_id, time_zone = EXCLUDED.time_zone,
        capacity = EXCLUDED.capacity, clamp = EXCLUDED.clamp, daily_reset = EXCLUDED.daily_reset,
        idle_reset_minutes = EXCLUDED.idle_reset_minutes, updated_at = now()
      RETURNING *, (xmax = 0) AS created,
        CASE WHEN EXISTS (SELECT 1 FROM old)
             THEN (SELECT row(o.clamp, o.daily_reset, o.time_zone, o.idle_reset_minutes) FROM old o)
                    IS DISTINCT FROM row(clamp, daily_reset, time_zone, idle_reset_minutes)
             ELSE daily_reset IS NOT NULL OR idle_reset_minutes IS NOT NULL END AS rules_changed
      """;

  /**
   * Serialises the writes that set parents: the transaction holds this advisory lock until it ends
   * ("dens" + 3, beside the leader's + 1 and the alerts' + 2), so each one's check of cycles sees
   * every parent committed before it.
   */
  static final String LOCK_PARENT_CHANGES = "SELECT pg_advisory_xact_lock(x'64656e73'::int8 + 3)";

  /**
   * The spaces $1 (text[]) and all their ancestors, each once with its parent: rows (id,
   * parent_id). UNION keeps each space once, so the walk ends even on a cycle and reads each
   * ancestor once however many of the spaces share it.
   */
  static final String SPACES_AND_ANCESTORS =
      """
      WITH RECURSIVE up(id, parent_id) AS (
        SELECT id, parent_id FROM space WHERE id = ANY($1)
        UNION
        SELECT s.id, s.parent_id FROM up JOIN space s ON s.id = up.parent_id
      )
      SELECT id, parent_id FROM up
      """;

  /**
   * Creates or replaces many spaces at once; a space whose parent is neither registered nor in the
   * same request is left out. Returns each space written, whether it was created and whether what
   * its counts depend on changed (as {@link #UPSERT_SPACE}).
   *
   * <p>$1 id[], $2 name[], $3 parent_id[], $4 time_zone[], $5 capacity[], $6 clamp[], $7
   * daily_reset[], $8 idle_reset_minutes[].
   */
  static final String BULK_UPSERT_SPACES =
      """
      WITH input AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[],
                             $6::bool[], $7::time[], $8::int4[])
               AS u(id, name, parent_id, time_zone, capacity, clamp, daily_reset,
                    idle_reset_minutes)
      ), old AS (
        SELECT s.id, s.clamp, s.daily_reset, s.time_zone, s.idle_reset_minutes
          FROM space s JOIN input i ON i.id = s.id
      )
      INSERT INTO space AS s (id, name, parent_id, time_zone, capacity, clamp, daily_reset,
                              idle_reset_minutes)
      SELECT i.* FROM input i
       WHERE i.parent_id IS NULL
          OR EXISTS (SELECT 1 FROM space p WHERE p.id = i.parent_id)
          OR EXISTS (SELECT 1 FROM input p WHERE p.id = i.parent_id)
      ON CONFLICT (id) DO UPDATE SET
        name = EXCLUDED.name, parent_id = EXCLUDED.parent_id, time_zone = EXCLUDED.time_zone,
        capacity = EXCLUDED.capacity, clamp = EXCLUDED.clamp, daily_reset = EXCLUDED.daily_reset,
        idle_reset_minutes = EXCLUDED.idle_reset_minutes, updated_at = now()
      RETURNING s.id, (xmax = 0) AS created,
        CASE WHEN EXISTS (SELECT 1 FROM old o WHERE o.id = s.id)
             THEN (SELECT row(o.clamp, o.daily_reset, o.time_zone, o.idle_reset_minutes)
                     FROM old o WHERE o.id = s.id)
                    IS DISTINCT FROM row(s.clamp, s.daily_reset, s.time_zone, s.idle_reset_minutes)
             ELSE s.daily_reset IS NOT NULL OR s.idle_reset_minutes IS NOT NULL
        END AS rules_changed
      """;

  /** Creates or renames many doorways or DPUs (the table given). $1 id[], $2 name[]. */
  private static String bulkUpsertNamed(String table) {
    return """
        INSERT INTO %s AS t (id, name) SELECT * FROM unnest($1::text[], $2::text[])
        ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, updated_at = now()
        RETURNING t.id, (xmax = 0) AS created
        """
        .formatted(table);
  }

  static final String BULK_UPSERT_DOORWAYS = bulkUpsertNamed("doorway");
  static final String BULK_UPSERT_DPUS = bulkUpsertNamed("dpu");

  /**
   * Creates many links at once, as {@link #INSERT_LINK} one by one: a link equal to an existing one
   * is not created again, and one naming an unregistered DPU, doorway or space is left out. Returns
   * one row per item (n, from 1): what it names that is registered, the link created or the same
   * one found.
   *
   * <p>$1 dpu_id[], $2 doorway_id[], $3 space_id[], $4 sensor_placement[], $5 valid_from[] (NULL:
   * now), $6 valid_to[].
   */
  static final String BULK_INSERT_LINKS =
      """
      WITH input AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int2[], $5::timestamptz[],
                             $6::timestamptz[])
               WITH ORDINALITY AS u(dpu_id, doorway_id, space_id, sensor_placement, valid_from,
                                    valid_to, n)
      ), resolved AS (
        SELECT i.*,
               EXISTS (SELECT 1 FROM dpu WHERE id = i.dpu_id) AS dpu_known,
               EXISTS (SELECT 1 FROM doorway WHERE id = i.doorway_id) AS doorway_known,
               EXISTS (SELECT 1 FROM space WHERE id = i.space_id) AS space_known,
               (SELECT l.id FROM link l
                 WHERE l.dpu_id = i.dpu_id AND l.doorway_id = i.doorway_id
                   AND l.space_id = i.space_id AND l.sensor_placement = i.sensor_placement
                   AND ((l.valid_from = i.valid_from AND l.valid_to IS NOT DISTINCT FROM i.valid_to)
                     OR (i.valid_from IS NULL AND i.valid_to IS NULL AND l.valid_to IS NULL
                         AND l.valid_from <= now()))
                 ORDER BY l.valid_from DESC LIMIT 1) AS same_id
          FROM input i
      ), inserted AS (
        INSERT INTO link (dpu_id, doorway_id, space_id, sensor_placement, valid_from, valid_to)
        SELECT dpu_id, doorway_id, space_id, sensor_placement, coalesce(valid_from, now()),
               valid_to
          FROM resolved
         WHERE dpu_known AND doorway_known AND space_known AND same_id IS NULL
        RETURNING id, dpu_id, space_id, valid_from
      )
      SELECT r.n, r.dpu_known, r.doorway_known, r.space_known, r.same_id, i.id AS created_id,
             i.dpu_id, i.valid_from
        FROM resolved r
        LEFT JOIN inserted i ON i.dpu_id = r.dpu_id AND i.space_id = r.space_id
                            AND i.valid_from = coalesce(r.valid_from, i.valid_from)
       ORDER BY r.n
      """;

  /**
   * Of the DPUs given with an instant each ($1 dpu_id[], $2 since[]), those that sent datapoints
   * since then: their datapoints must be attributed again.
   */
  static final String DPUS_WITH_DATAPOINTS_SINCE =
      """
      SELECT u.dpu_id, min(u.since) AS since
        FROM unnest($1::text[], $2::timestamptz[]) AS u(dpu_id, since)
       WHERE EXISTS (SELECT 1 FROM datapoint d WHERE d.dpu_id = u.dpu_id AND d.ts >= u.since)
       GROUP BY u.dpu_id
      """;

  static final String SELECT_SPACE = "SELECT * FROM space WHERE id = $1";
  static final String LIST_SPACES = "SELECT * FROM space ORDER BY id";

  static final String UPSERT_DOORWAY =
      """
      INSERT INTO doorway (id, name) VALUES ($1, $2)
      ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, updated_at = now()
      RETURNING *, (xmax = 0) AS created
      """;

  static final String SELECT_DOORWAY = "SELECT * FROM doorway WHERE id = $1";
  static final String LIST_DOORWAYS = "SELECT * FROM doorway ORDER BY id";

  static final String UPSERT_DPU =
      """
      INSERT INTO dpu (id, name) VALUES ($1, $2)
      ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, updated_at = now()
      RETURNING *, (xmax = 0) AS created
      """;

  static final String LIST_DPUS = "SELECT * FROM dpu ORDER BY id";

  /**
   * A link equal to the one asked for: same DPU, doorway, space and placement, and the same
   * validity (or, when $5 is NULL, any link of that shape still open now).
   */
  static final String FIND_SAME_LINK =
      """
      SELECT * FROM link
       WHERE dpu_id = $1 AND doorway_id = $2 AND space_id = $3 AND sensor_placement = $4
         AND ((valid_from = $5 AND valid_to IS NOT DISTINCT FROM $6)
           OR ($5 IS NULL AND $6::timestamptz IS NULL AND valid_to IS NULL AND valid_from <= now()))
       ORDER BY valid_from DESC LIMIT 1
      """;

  static final String INSERT_LINK =
      """
      INSERT INTO link (dpu_id, doorway_id, space_id, sensor_placement, valid_from, valid_to)
      VALUES ($1, $2, $3, $4, coalesce($5, now()), $6)
      RETURNING *
      """;

  /** The DPU's links that start at or after an instant. $1 dpu_id, $2 instant. */
  static final String LINKS_FROM =
      "SELECT * FROM link WHERE dpu_id = $1 AND valid_from >= $2 ORDER BY valid_from, space_id";

  /** Closes the DPU's links that are valid at an instant, at that instant. $1 dpu_id, $2 at. */
  static final String CLOSE_LINKS_AT =
      """
      UPDATE link SET valid_to = $2
       WHERE dpu_id = $1 AND valid_from < $2 AND (valid_to IS NULL OR valid_to > $2)
      RETURNING *
      """;

  static final String LIST_LINKS =
      """
      SELECT * FROM link
       WHERE ($1::text IS NULL OR dpu_id = $1) AND ($2::text IS NULL OR space_id = $2)
       ORDER BY dpu_id, valid_from, space_id
      """;
}
