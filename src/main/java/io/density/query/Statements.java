package io.density.query;

import io.density.db.Sql;

/**
 * The statements of count questions (realtime from PostgreSQL, as-of, nearest, a DPU's links),
 * named by intent. What other rooms share with them is in {@link Sql}.
 */
final class Statements {
  private Statements() {}

  // ---------------------------------------------------------------- queries

  /** Whether a space exists, and its latest count (NULL before any change). $1 space_id. */
  static final String SPACE_LATEST_COUNT =
      "SELECT s.id, (SELECT count FROM %s c) AS count FROM space s WHERE s.id = $1"
          .formatted(Sql.latestChange("s.id", ""));

  /** Whether a space exists, and its count as of an instant (NULL before any change). */
  static final String SPACE_COUNT_AS_OF =
      "SELECT s.id, (SELECT count FROM %s c) AS count FROM space s WHERE s.id = $1"
          .formatted(Sql.latestChange("s.id", "AND ts <= $2"));

  /**
   * The space's effect timestamp nearest to an instant (a tie goes to the earlier one) and the
   * count as of that timestamp. No row when the space has no effect. $1 space_id, $2 instant.
   */
  static final String SPACE_COUNT_NEAREST =
      """
      WITH candidates AS (
        (SELECT ts FROM space_count WHERE space_id = $1 AND ts <= $2 ORDER BY ts DESC LIMIT 1)
        UNION ALL
        (SELECT ts FROM space_count WHERE space_id = $1 AND ts > $2 ORDER BY ts ASC LIMIT 1)
      ), nearest AS (
        SELECT ts FROM candidates
         ORDER BY greatest(ts - $2, $2 - ts), ts LIMIT 1
      )
      SELECT n.ts, (SELECT count FROM %s c) AS count FROM nearest n
      """
          .formatted(Sql.latestChange("$1", "AND ts <= n.ts"));

  /** How many DPUs are registered. */
  static final String DPU_COUNT = "SELECT count(*) AS count FROM dpu";

  /** The registered ones of some DPUs, with their names. $1 text[] of ids. */
  static final String DPU_NAMES = "SELECT id, name FROM dpu WHERE id = ANY($1)";

  /** A DPU's registration and its links valid now. $1 dpu_id. */
  static final String DPU_CURRENT_LINKS =
      """
      SELECT d.id, d.name, l.doorway_id, l.space_id, l.sensor_placement, l.valid_from
        FROM dpu d
        LEFT JOIN link l ON l.dpu_id = d.id AND l.valid_from <= now()
                        AND (l.valid_to IS NULL OR now() < l.valid_to)
       WHERE d.id = $1
      """;
}
