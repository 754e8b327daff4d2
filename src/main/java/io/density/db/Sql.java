package io.density.db;

/**
 * Only what several rooms share of their SQL: the order of effects, the latest change of a space's
 * count, and the statements run by more than one room. A statement that one room alone runs lives
 * beside it, in that package's {@code Statements}; the schema itself lives in {@code sql/}.
 *
 * <p>Effects on a space are ordered as the counting contract orders them: by timestamp, +1 before
 * -1 at equal timestamps, then by datapoint id. {@link #EFFECT_ORDER} and its reverse are served by
 * the index {@code space_count_order}.
 */
public final class Sql {
  private Sql() {}

  public static final String EFFECT_ORDER = "ts, delta DESC, datapoint_id";
  private static final String EFFECT_ORDER_DESC = "ts DESC, delta ASC, datapoint_id DESC";

  /**
   * The latest change of a space's count — effect or reset — that meets a condition on ts: a
   * subquery of one row (ts, delta, datapoint_id, count), none before any change. A reset sorts
   * before the effects at its instant (they apply on top of it); it reads as delta 2, datapoint 0,
   * which is also how Redis orders it.
   */
  public static String latestChange(String space, String tsCondition) {
    return latestChange(space, tsCondition, tsCondition);
  }

  public static String latestChange(String space, String effectCondition, String resetCondition) {
    return """
        (SELECT ts, delta, datapoint_id, count FROM (
           (SELECT ts, delta, datapoint_id, count FROM space_count
             WHERE space_id = %1$s %2$s ORDER BY %4$s LIMIT 1)
           UNION ALL
           (SELECT ts, 2::int2, 0::int8, count FROM space_reset
             WHERE space_id = %1$s %3$s ORDER BY ts DESC LIMIT 1)
         ) changes ORDER BY ts DESC, delta ASC LIMIT 1)"""
        .formatted(space, effectCondition, resetCondition, EFFECT_ORDER_DESC);
  }

  // ---------------------------------------------------------------- run by more than one room

  /**
   * Spaces with their latest change (effect or reset), the realtime state to load into Redis; for a
   * space with an idle reset rule also its minutes and its latest effect (effect_ts), from which
   * the next idle reset is due. $1 the space ids (text[]), or NULL for every space.
   */
  public static final String SPACE_HEADS =
      """
      SELECT s.id, h.ts, h.delta, h.datapoint_id, coalesce(h.count, 0) AS count,
             s.idle_reset_minutes,
             CASE WHEN s.idle_reset_minutes IS NOT NULL
                  THEN (SELECT max(c.ts) FROM space_count c WHERE c.space_id = s.id) END
               AS effect_ts
        FROM space s
        LEFT JOIN LATERAL %s h ON true
       WHERE $1::text[] IS NULL OR s.id = ANY($1)
      """
          .formatted(latestChange("s.id", ""));

  /** Whether a space exists. $1 space_id. */
  public static final String SPACE_EXISTS = "SELECT 1 FROM space WHERE id = $1";

  /**
   * The links {@code l} valid at the timestamp of datapoint {@code d} (the alias given): from
   * valid_from (included) until valid_to (excluded, NULL: still installed).
   */
  public static String linkValidAt(String d) {
    return "l.dpu_id = %1$s.dpu_id AND l.valid_from <= %1$s.ts AND (l.valid_to IS NULL OR %1$s.ts < l.valid_to)"
        .formatted(d);
  }
}
