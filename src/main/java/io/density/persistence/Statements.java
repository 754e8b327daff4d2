package io.density.persistence;

import io.density.db.Sql;

/**
 * The statements the persistence verticles run, named by intent: group commit, claims, counting,
 * recovery and rebuild, re-attribution, resets and retention. What other rooms share with them is
 * in {@link Sql}; the schema itself lives in {@code sql/}.
 */
final class Statements {
  private Statements() {}

  /**
   * The links {@code l} valid at the timestamp of datapoint {@code d} (the alias given): from
   * valid_from (included) until valid_to (excluded, NULL: still installed).
   */
  private static String linkValidAt(String d) {
    return "l.dpu_id = %1$s.dpu_id AND l.valid_from <= %1$s.ts AND (l.valid_to IS NULL OR %1$s.ts < l.valid_to)"
        .formatted(d);
  }

  // ---------------------------------------------------------------- ingest (persistence)

  /**
   * Group commit of one batch to the raw log. Opens an uncounted batch, inserts the datapoints that
   * are not repeats, and returns each new datapoint with every link valid at its timestamp (one row
   * per link, or one row with a NULL space when it has none). The first column carries the batch id
   * even when every datapoint was a repeat. Rows are inserted in the order of the unique keys, so
   * that concurrent inserts of the same datapoints wait for each other rather than deadlock. The
   * conflict target names the dedupe index's columns, so that only that index is checked for a
   * repeat before each row goes in (without a target every unique index is, the primary key too).
   * {@code gate_open} is false when drained work has taken the gate's intent (tried for the
   * insert's transaction only): the inserter then lets its hold of the gate go ({@link Claims}).
   *
   * <p>$1 dpu_id[], $2 ts[], $3 direction[], $4 dedupe_key[], $5 received_at[], $6 payload[].
   */
  static final String INSERT_DATAPOINTS =
      """
      WITH batch AS (
        INSERT INTO uncounted_batch DEFAULT VALUES RETURNING id
      ), input AS (
        SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::int2[], $4::text[],
                             $5::timestamptz[], $6::text[])
               AS u(dpu_id, ts, direction, dedupe_key, received_at, payload)
      ), claimed AS (
        INSERT INTO datapoint_id_key (dpu_id, dedupe_key, ts)
        SELECT dpu_id, dedupe_key, ts FROM input WHERE dedupe_key LIKE 'id:%%'
         ORDER BY dpu_id, dedupe_key
        ON CONFLICT DO NOTHING
        RETURNING dpu_id, dedupe_key
      ), inserted AS (
        INSERT INTO datapoint (dpu_id, ts, direction, dedupe_key, received_at, payload, batch_id)
        SELECT i.*, (SELECT id FROM batch) FROM input i
         WHERE i.dedupe_key NOT LIKE 'id:%%'
            OR EXISTS (SELECT 1 FROM claimed c
                        WHERE c.dpu_id = i.dpu_id AND c.dedupe_key = i.dedupe_key)
         ORDER BY i.dpu_id, i.ts, i.dedupe_key
        ON CONFLICT (dpu_id, ts, dedupe_key) DO NOTHING
        RETURNING id, dpu_id, ts, direction, dedupe_key, received_at
      )
      SELECT b.id AS batch_id, i.id, i.dpu_id, i.ts, i.direction, i.dedupe_key, i.received_at,
             l.space_id, l.sensor_placement, s.clamp,
             (SELECT pg_try_advisory_xact_lock_shared(%2$s, %3$d)) AS gate_open
        FROM batch b
        LEFT JOIN (inserted i
          LEFT JOIN link l ON %1$s
          LEFT JOIN space s ON s.id = l.space_id) ON true
      """
          .formatted(linkValidAt("i"), Statements.CLAIMS, Statements.CLAIM_INTENT);

  /** Makes the partitions for the months ($1, date[]) that datapoints are about to need. */
  static final String ENSURE_PARTITIONS = "SELECT density_ensure_partitions($1::date[])";

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

  /** The rows of earlier parts whose counts a tail derived again: $6 to $10, as a CTE. */
  private static final String FIXED =
      """
      fixed AS (
        UPDATE space_count c SET count = f.c, reconciled_at = now()
          FROM unnest($6::text[], $7::timestamptz[], $8::int2[], $9::int8[], $10::int4[])
               AS f(s, t, d, id, c)
         WHERE c.space_id = f.s AND c.ts = f.t AND c.delta = f.d AND c.datapoint_id = f.id
           AND c.count IS DISTINCT FROM f.c
      )
      """;

  /**
   * {@link #INSERT_COUNTS}, and in the same statement the rows of earlier parts whose counts a tail
   * derived again (an effect placed before them within the out-of-order window): their count
   * changes, their arrival count stays, and reconciled_at says when. $6 space[], $7 ts[], $8
   * delta[], $9 datapoint[], $10 count[].
   */
  static final String INSERT_COUNTS_FIXED = "WITH " + FIXED + INSERT_COUNTS;

  // ---------------------------------------------------------------- egress outbox

  /**
   * The end of a statement that writes count changes to the egress outbox, given a CTE {@code
   * changes(s, c, t, cause, n)} (space, count, instant, cause, order): each space's last seq grows
   * by its number of changes, and each change gets the next seq in its order. Spaces are locked in
   * the order of their ids.
   */
  private static final String OUTBOX_TAIL =
      """
      , numbered AS (
        SELECT s, c, t, cause, row_number() OVER (PARTITION BY s ORDER BY n) AS k,
               count(*) OVER (PARTITION BY s) AS m
          FROM changes
      ), seqs AS (
        INSERT INTO egress_key AS e (kind, key, seq)
        SELECT 'space', s, count(*) FROM changes GROUP BY s ORDER BY s
        ON CONFLICT (kind, key) DO UPDATE SET seq = e.seq + EXCLUDED.seq
        RETURNING key, seq
      )
      INSERT INTO egress_outbox (kind, key, seq, count, ts, cause)
      SELECT 'count', n.s, q.seq - n.m + n.k, n.c, n.t, n.cause
        FROM numbered n JOIN seqs q ON q.key = n.s
      """;

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

  /**
   * Count changes to the egress outbox, in the order given: $1 space[], $2 count[], $3 ts[] (null:
   * the space has no history), $4 cause[].
   */
  static final String OUTBOX_COUNTS =
      """
      WITH changes AS (
        SELECT * FROM unnest($1::text[], $2::int4[], $3::timestamptz[], $4::text[])
                      WITH ORDINALITY AS u(s, c, t, cause, n)
      )
      """
          + OUTBOX_TAIL;

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

  // ---------------------------------------------------------------- durability (WalFlush)

  /**
   * Where the write-ahead log is written to (inserted) and flushed to, as pg_lsn text, and when the
   * server started (a change: it started again, and positions read before may have been erased).
   */
  static final String WAL_POSITIONS =
      "SELECT pg_current_wal_insert_lsn()::text AS inserted,"
          + " pg_current_wal_flush_lsn()::text AS flushed,"
          + " pg_postmaster_start_time()::text AS started";

  /**
   * A durable commit that writes almost nothing (a transactional logical message, ignored unless
   * logical decoding reads it): committing it flushes the log up to it, with everything before.
   */
  static final String FLUSH_WAL = "SELECT pg_logical_emit_message(true, 'density', 'flush')";

  // ---------------------------------------------------------------- claims (advisory locks)

  /*
   * The persistence verticles of a deployment coordinate through advisory locks of the two-key
   * form: the first key is the namespace "dens", the second names the claim. Locks live in the
   * session of each verticle's claims connection; when a process dies its claims go with it.
   */

  /** Claim keys: a member of the writers, the gate's intent and the gate, shard k at SHARD + k. */
  private static final int CLAIM_MEMBER = 10;

  private static final int CLAIM_INTENT = 11;
  private static final int CLAIM_GATE = 12;
  private static final int CLAIM_SHARD = 1000;
  private static final String CLAIMS = "x'64656e73'::int";

  /** Joins the writers (held for the session). */
  static final String CLAIM_MEMBERSHIP =
      "SELECT pg_advisory_lock_shared("
          + CLAIMS
          + ", "
          + CLAIM_MEMBER
          + "), pg_backend_pid() AS pid";

  /** Leaves the writers (cut off from the cluster), keeping the session. */
  static final String CLAIM_MEMBERSHIP_LEAVE =
      "SELECT pg_advisory_unlock_shared(" + CLAIMS + ", " + CLAIM_MEMBER + ")";

  /** Joins the writers again. */
  static final String CLAIM_MEMBERSHIP_JOIN =
      "SELECT pg_advisory_lock_shared(" + CLAIMS + ", " + CLAIM_MEMBER + ")";

  /** Every member's session and how many shards it holds: rows (pid, shards). */
  static final String CLAIM_MEMBERS =
      """
      SELECT pid, count(*) FILTER (WHERE objid >= %2$d) AS shards
        FROM pg_locks
       WHERE locktype = 'advisory' AND classid = %1$s::oid AND objsubid = 2 AND granted
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
       GROUP BY pid
      HAVING bool_or(objid = %3$d)
      """
          .formatted(CLAIMS, CLAIM_SHARD, CLAIM_MEMBER);

  /** Takes shard $1 if no one holds it: {@code held}. */
  static final String CLAIM_SHARD_TRY =
      "SELECT pg_try_advisory_lock(" + CLAIMS + ", " + CLAIM_SHARD + " + $1) AS held";

  /** Gives shard $1 up. */
  static final String CLAIM_SHARD_RELEASE =
      "SELECT pg_advisory_unlock(" + CLAIMS + ", " + CLAIM_SHARD + " + $1)";

  /**
   * Enters the gate (shared) unless drained work waits for it or runs: {@code entered}. The intent
   * is tried and let go at once, so a session that already holds the gate cannot slip past a
   * waiting intent (a shared lock already held is granted again without looking at waiters).
   */
  static final String GATE_ENTER =
      """
      SELECT CASE WHEN pg_try_advisory_lock_shared(%1$s, %2$d)
                  THEN pg_advisory_unlock_shared(%1$s, %2$d)
                       AND pg_try_advisory_lock_shared(%1$s, %3$d)
                  ELSE false END AS entered
      """
          .formatted(CLAIMS, CLAIM_INTENT, CLAIM_GATE);

  /** Leaves the gate (one shared hold). */
  static final String GATE_LEAVE =
      "SELECT pg_advisory_unlock_shared(" + CLAIMS + ", " + CLAIM_GATE + ")";

  /** Closes the gate: waits for the intent, then for everyone inside to leave. */
  static final String GATE_CLOSE =
      "SELECT pg_advisory_lock(%1$s, %2$d), pg_advisory_lock(%1$s, %3$d)"
          .formatted(CLAIMS, CLAIM_INTENT, CLAIM_GATE);

  /** Opens the gate again. */
  static final String GATE_OPEN =
      "SELECT pg_advisory_unlock(%1$s, %3$d), pg_advisory_unlock(%1$s, %2$d)"
          .formatted(CLAIMS, CLAIM_INTENT, CLAIM_GATE);

  // ---------------------------------------------------------------- recovery and rebuild

  /** This database's identity, which the realtime state in Redis records. */
  static final String INSTANCE_ID = "SELECT id::text AS id FROM instance";

  /** Batches committed but not counted, at least $1 seconds old (double): id, age (seconds). */
  static final String UNCOUNTED_BATCHES =
      """
      SELECT id, extract(epoch FROM now() - created_at)::float8 AS age FROM uncounted_batch
       WHERE created_at <= now() - make_interval(secs => $1)
       ORDER BY id
      """;

  /** The oldest batch committed but not counted (no row: none): id, age (seconds). */
  static final String OLDEST_UNCOUNTED_BATCH =
      """
      SELECT id, extract(epoch FROM now() - created_at)::float8 AS age FROM uncounted_batch
       ORDER BY created_at, id LIMIT 1
      """;

  /** The datapoints of one batch with their links, as {@link #INSERT_DATAPOINTS} returns them. */
  static final String BATCH_DATAPOINTS =
      """
      SELECT d.batch_id, d.id, d.dpu_id, d.ts, d.direction, d.dedupe_key, d.received_at,
             l.space_id, l.sensor_placement, s.clamp
        FROM datapoint d
        LEFT JOIN link l ON %1$s
        LEFT JOIN space s ON s.id = l.space_id
       WHERE d.batch_id = $1
      """
          .formatted(linkValidAt("d"));

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
          .formatted(linkValidAt("d"));

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
          .formatted(linkValidAt("d"));

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
          .formatted(linkValidAt("d"));

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

  // ---------------------------------------------------------------- resets

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

  // ---------------------------------------------------------------- idle resets

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

  // ---------------------------------------------------------------- retention

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
