package io.density.persistence.counting;

import static io.density.persistence.store.Statements.OUTBOX_TAIL;

/**
 * The statements of counting: a batch's parts' counts stored, with the rows their tails derived
 * again, the egress outbox's rows of their changes and the batch's close. The schema itself lives
 * in {@code sql/}; what other rooms share is in {@code db/Sql}.
 */
final class Statements {
  private Statements() {}

  /**
   * Stores the counts of (a shard's part of) a batch.
   *
   * <p>$1 space_id[], $2 ts[], $3 delta[], $4 datapoint_id[], $5 count[].
   */
  static final String INSERT_COUNTS =
      """
      INSERT INTO space_count (space_id, ts, delta, datapoint_id, arrival_count, count)
      SELECT s, t, d, id, c, c
        FROM unnest($1::text[], $2::timestamptz[], $3::int2[], $4::int8[], $5::int4[])
             AS u(s, t, d, id, c)
      ON CONFLICT DO NOTHING
      """;

  /**
   * Stores the effects of (a shard's part of) a batch without trusting any count, for a recount in
   * the same transaction to fill in: the part's answer in Redis was not its own.
   *
   * <p>$1 space_id[], $2 ts[], $3 delta[], $4 datapoint_id[].
   */
  static final String INSERT_EFFECTS_TO_RECOUNT =
      """
      INSERT INTO space_count (space_id, ts, delta, datapoint_id, count)
      SELECT s, t, d, id, 0
        FROM unnest($1::text[], $2::timestamptz[], $3::int2[], $4::int8[]) AS u(s, t, d, id)
      ON CONFLICT DO NOTHING
      """;

  /**
   * Corrects rows of earlier parts whose counts a tail derived again: their count changes, their
   * arrival count stays, reconciled_at says when. The five arrays (space, ts, delta, datapoint,
   * count) are the parameters from {@code $first} on.
   */
  private static String fix(int first) {
    return """
        UPDATE space_count c SET count = f.c, reconciled_at = now()
          FROM unnest($%d::text[], $%d::timestamptz[], $%d::int2[], $%d::int8[], $%d::int4[])
               AS f(s, t, d, id, c)
         WHERE c.space_id = f.s AND c.ts = f.t AND c.delta = f.d AND c.datapoint_id = f.id
           AND c.count IS DISTINCT FROM f.c
        """
        .formatted(first, first + 1, first + 2, first + 3, first + 4);
  }

  /** Corrections held past their delay, written on their own: $1 to $5 (see {@link #fix}). */
  static final String UPDATE_FIXES = fix(1);

  /** The corrections as a CTE of a part's statement: $6 to $10. */
  private static final String FIXED = "fixed AS (\n" + fix(6) + ")\n";

  /**
   * {@link #INSERT_COUNTS}, and in the same statement rows of earlier parts whose counts a tail
   * derived again (an effect placed before them within the out-of-order window), held until now
   * ({@link PendingFixes}): their count changes, their arrival count stays, and reconciled_at says
   * when. $6 space[], $7 ts[], $8 delta[], $9 datapoint[], $10 count[].
   */
  static final String INSERT_COUNTS_FIXED = "WITH " + FIXED + INSERT_COUNTS;

  /** The part's effects, numbered in their order: $1 to $5 of {@link #INSERT_COUNTS}. */
  private static final String INPUT_COUNTS =
      """
      input AS (
        SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::int2[], $4::int8[], $5::int4[])
                      WITH ORDINALITY AS u(s, t, d, id, c, n)
      ), counted AS (
        INSERT INTO space_count (space_id, ts, delta, datapoint_id, arrival_count, count)
        SELECT s, t, d, id, c, c FROM input
        ON CONFLICT DO NOTHING
      ), changes AS (
        SELECT s, c, t, 'datapoint'::text AS cause, n FROM input WHERE NOT (s = ANY(%s::text[]))
      )
      """;

  /**
   * {@link #INSERT_COUNTS} with egress on: in the same statement, one outbox row per effect applied
   * in order (those of the spaces $6, text[], are left out: they get a reconciliation instead).
   */
  static final String INSERT_COUNTS_OUTBOX = "WITH " + INPUT_COUNTS.formatted("$6") + OUTBOX_TAIL;

  /** {@link #INSERT_COUNTS_FIXED} with egress on, as {@link #INSERT_COUNTS_OUTBOX}; $11 text[]. */
  static final String INSERT_COUNTS_FIXED_OUTBOX =
      "WITH " + FIXED + ", " + INPUT_COUNTS.formatted("$11") + OUTBOX_TAIL;

  /** Closes a batch whose every part is counted. $1 batch id. */
  static final String CLOSE_BATCH = "DELETE FROM uncounted_batch WHERE id = $1";

  /**
   * A statement that stores counts ({@link #INSERT_COUNTS} or a variant) and, in the same
   * statement, closes the batch whose id is its parameter {@code $param} (its last).
   */
  static String closing(String statement, int param) {
    String close = "closed AS (DELETE FROM uncounted_batch WHERE id = $" + param + ")";
    return statement.startsWith("WITH ")
        ? "WITH " + close + ",\n" + statement.substring("WITH ".length())
        : "WITH " + close + "\n" + statement;
  }
}
