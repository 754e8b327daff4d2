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

  /**
   * The links {@code l} valid at the timestamp of datapoint {@code d} (the alias given): from
   * valid_from (included) until valid_to (excluded, NULL: still installed).
   */
  static String linkValidAt(String d) {
    return "l.dpu_id = %1$s.dpu_id AND l.valid_from <= %1$s.ts AND (l.valid_to IS NULL OR %1$s.ts < l.valid_to)"
        .formatted(d);
  }

  static final String EFFECT_ORDER = "ts, delta DESC, datapoint_id";
  static final String EFFECT_ORDER_DESC = "ts DESC, delta ASC, datapoint_id DESC";

  /**
   * The latest change of a space's count — effect or reset — that meets a condition on ts: a
   * subquery of one row (ts, delta, datapoint_id, count), none before any change. A reset sorts
   * before the effects at its instant (they apply on top of it); it reads as delta 2, datapoint 0,
   * which is also how Redis orders it.
   */
  static String latestChange(String space, String tsCondition) {
    return latestChange(space, tsCondition, tsCondition);
  }

  static String latestChange(String space, String effectCondition, String resetCondition) {
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

  // ---------------------------------------------------------------- ingest (persistence)

  /**
   * Group commit of one batch to the raw log. Opens an uncounted batch, inserts the datapoints that
   * are not repeats, and returns each new datapoint with every link valid at its timestamp (one row
   * per link, or one row with a NULL space when it has none). The first column carries the batch id
   * even when every datapoint was a repeat. Rows are inserted in the order of the unique keys, so
   * that concurrent inserts of the same datapoints wait for each other rather than deadlock.
   *
   * <p>$1 dpu_id[], $2 ts[], $3 direction[], $4 dedupe_key[], $5 received_at[], $6 payload[].
   */
  public static final String INSERT_DATAPOINTS =
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
         ORDER BY i.dpu_id, i.dedupe_key, i.ts
        ON CONFLICT DO NOTHING
        RETURNING id, dpu_id, ts, direction, dedupe_key, received_at
      )
      SELECT b.id AS batch_id, i.id, i.dpu_id, i.ts, i.direction, i.dedupe_key, i.received_at,
             l.space_id, l.sensor_placement, s.clamp
        FROM batch b
        LEFT JOIN (inserted i
          LEFT JOIN link l ON %1$s
          LEFT JOIN space s ON s.id = l.space_id) ON true
      """
          .formatted(linkValidAt("i"));

  /** Makes the partitions for the months ($1, date[]) that datapoints are about to need. */
  public static final String ENSURE_PARTITIONS = "SELECT density_ensure_partitions($1::date[])";

  /**
   * Stores the counts of (a shard's part of) a batch.
   *
   * <p>$1 space_id[], $2 ts[], $3 delta[], $4 datapoint_id[], $5 count[].
   */
  public static final String INSERT_COUNTS =
      """
      INSERT INTO space_count (space_id, ts, delta, datapoint_id, arrival_count, count)
      SELECT s, t, d, id, c, c
        FROM unnest($1::text[], $2::timestamptz[], $3::int2[], $4::int8[], $5::int4[])
             AS u(s, t, d, id, c)
      ON CONFLICT DO NOTHING
      """;

  /** Closes a batch whose every part is counted. $1 batch id. */
  public static final String CLOSE_BATCH = "DELETE FROM uncounted_batch WHERE id = $1";

  // ---------------------------------------------------------------- claims (advisory locks)

  /*
   * The persistence verticles of a deployment coordinate through advisory locks of the two-key
   * form: the first key is the namespace "dens", the second names the claim. Locks live in the
   * session of each verticle's claims connection; when a process dies its claims go with it.
   */

  /** Claim keys: a member of the writers, the gate's intent and the gate, shard k at SHARD + k. */
  public static final int CLAIM_MEMBER = 10;

  public static final int CLAIM_INTENT = 11;
  public static final int CLAIM_GATE = 12;
  public static final int CLAIM_SHARD = 1000;
  private static final String CLAIMS = "x'64656e73'::int";

  /** Joins the writers (held for the session). */
  public static final String CLAIM_MEMBERSHIP =
      "SELECT pg_advisory_lock_shared("
          + CLAIMS
          + ", "
          + CLAIM_MEMBER
          + "), pg_backend_pid() AS pid";

  /** Every member's session and how many shards it holds: rows (pid, shards). */
  public static final String CLAIM_MEMBERS =
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
  public static final String CLAIM_SHARD_TRY =
      "SELECT pg_try_advisory_lock(" + CLAIMS + ", " + CLAIM_SHARD + " + $1) AS held";

  /** Gives shard $1 up. */
  public static final String CLAIM_SHARD_RELEASE =
      "SELECT pg_advisory_unlock(" + CLAIMS + ", " + CLAIM_SHARD + " + $1)";

  /**
   * Enters the gate (shared) unless drained work waits for it or runs: {@code entered}. The intent
   * is tried and let go at once, so a session that already holds the gate cannot slip past a
   * waiting intent (a shared lock already held is granted again without looking at waiters).
   */
  public static final String GATE_ENTER =
      """
      SELECT CASE WHEN pg_try_advisory_lock_shared(%1$s, %2$d)
                  THEN pg_advisory_unlock_shared(%1$s, %2$d)
                       AND pg_try_advisory_lock_shared(%1$s, %3$d)
                  ELSE false END AS entered
      """
          .formatted(CLAIMS, CLAIM_INTENT, CLAIM_GATE);

  /** Leaves the gate (one shared hold). */
  public static final String GATE_LEAVE =
      "SELECT pg_advisory_unlock_shared(" + CLAIMS + ", " + CLAIM_GATE + ")";

  /** Closes the gate: waits for the intent, then for everyone inside to leave. */
  public static final String GATE_CLOSE =
      "SELECT pg_advisory_lock(%1$s, %2$d), pg_advisory_lock(%1$s, %3$d)"
          .formatted(CLAIMS, CLAIM_INTENT, CLAIM_GATE);

  /** Opens the gate again. */
  public static final String GATE_OPEN =
      "SELECT pg_advisory_unlock(%1$s, %3$d), pg_advisory_unlock(%1$s, %2$d)"
          .formatted(CLAIMS, CLAIM_INTENT, CLAIM_GATE);

  // ---------------------------------------------------------------- tokens

  /** A new token: $1 name, $2 scope, $3 hash, $4 expires_at. */
  public static final String INSERT_TOKEN =
      """
      INSERT INTO api_token (name, scope, hash, expires_at) VALUES ($1, $2, $3, $4)
      RETURNING id, name, scope, created_at, expires_at, revoked_at
      """;

  /** Every token, without its hash. */
  public static final String LIST_TOKENS =
      "SELECT id, name, scope, created_at, expires_at, revoked_at FROM api_token ORDER BY id";

  /** Revokes token $1 (once: a second revocation keeps the first time). */
  public static final String REVOKE_TOKEN =
      "UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING id";

  /** The token whose hash is $1, if it is in force: (id, scope). */
  public static final String VALID_TOKEN =
      """
      SELECT id, scope, expires_at FROM api_token
       WHERE hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
      """;

  // ---------------------------------------------------------------- recovery and rebuild

  /**
   * Whether TimescaleDB is installed on the server but cannot be used, because it is not in
   * shared_preload_libraries: the schema then uses plain partitions.
   */
  public static final String TIMESCALE_NOT_PRELOADED =
      """
      SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')
             AND NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
             AS not_preloaded
      """;

  /** This database's identity, which the realtime state in Redis records. */
  public static final String INSTANCE_ID = "SELECT id::text AS id FROM instance";

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
        LEFT JOIN link l ON %1$s
        LEFT JOIN space s ON s.id = l.space_id
       WHERE d.batch_id = $1
      """
          .formatted(linkValidAt("d"));

  /**
   * Stores the effects of one batch without trusting any count, for a recount to fill in. Returns
   * each space touched with its earliest and latest effect. $1 batch id.
   */
  public static final String INSERT_UNCOUNTED_EFFECTS =
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
  public static final String RECOUNT_SPACE =
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
          .formatted(latestChange("$1", "AND ts < $2"), EFFECT_ORDER);

  /**
   * Spaces with their latest change (effect or reset), the realtime state to load into Redis. $1
   * the space ids (text[]), or NULL for every space.
   */
  public static final String SPACE_HEADS =
      """
      SELECT s.id, h.ts, h.delta, h.datapoint_id, coalesce(h.count, 0) AS count
        FROM space s
        LEFT JOIN LATERAL %s h ON true
       WHERE $1::text[] IS NULL OR s.id = ANY($1)
      """
          .formatted(latestChange("s.id", ""));

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
   * Attribution again, first half: removes the effects that no valid link produces any more, for
   * the datapoints of one DPU ($1, or every DPU when NULL) with $2 <= ts < $3 ($3 NULL: no end).
   * Returns each space touched with the earliest and latest instant.
   */
  public static final String REMOVE_STALE_EFFECTS =
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
  public static final String ADD_MISSING_EFFECTS =
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
  public static final String SPACES_WITH_EFFECTS_SINCE =
      """
      SELECT space_id, since, NULL::timestamptz AS through FROM (
        SELECT s.id AS space_id,
               (SELECT min(c.ts) FROM space_count c WHERE c.space_id = s.id AND c.ts >= $1) AS since
          FROM space s
      ) first WHERE since IS NOT NULL
      """;

  // ---------------------------------------------------------------- resets

  /** An explicit reset; replaces any reset at the same instant. $1 space, $2 ts, $3 count. */
  public static final String UPSERT_EXPLICIT_RESET =
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
  public static final String SPACE_RESET_RULES =
      """
      SELECT id, time_zone, daily_reset,
             least(created_at,
                   (SELECT min(ts) FROM space_count WHERE space_id = $1),
                   (SELECT min(ts) FROM space_reset WHERE space_id = $1 AND kind <> 'daily'))
               AS history_from
        FROM space WHERE id = $1
      """;

  /** Drops the daily resets of a space (its rule changed), and where they started. $1 space_id. */
  public static final String DELETE_DAILY_RESETS =
      """
      WITH cleared AS (UPDATE space SET daily_resets_from = NULL WHERE id = $1)
      DELETE FROM space_reset WHERE space_id = $1 AND kind = 'daily'
      """;

  /**
   * Writes daily resets to 0 (an explicit reset at the same instant stays) and moves each space's
   * {@code daily_resets_from} back to the earliest written. $1 space_id[], $2 ts[].
   */
  public static final String WRITE_DAILY_RESETS =
      """
      WITH input AS (
        SELECT * FROM unnest($1::text[], $2::timestamptz[]) AS u(space_id, ts)
      ), written AS (
        INSERT INTO space_reset (space_id, ts, count, kind)
        SELECT space_id, ts, 0, 'daily' FROM input
        ON CONFLICT (space_id, ts) DO NOTHING
      )
      UPDATE space s SET daily_resets_from = f.ts
        FROM (SELECT space_id, min(ts) AS ts FROM input GROUP BY space_id) f
       WHERE s.id = f.space_id AND f.ts < coalesce(s.daily_resets_from, 'infinity')
      """;

  /**
   * Of the spaces about to be recounted from an instant ($1 space_id[], $2 since[]), those with a
   * daily reset whose written resets start after that instant, with their rule.
   */
  public static final String DAILY_RESETS_SHORT_OF =
      """
      SELECT s.id, s.time_zone, s.daily_reset, s.daily_resets_from, u.since
        FROM unnest($1::text[], $2::timestamptz[]) AS u(id, since)
        JOIN space s ON s.id = u.id
       WHERE s.daily_reset IS NOT NULL AND u.since < s.daily_resets_from
      """;

  /** When the space's next daily reset is due (NULL: none). $1 space_id, $2 instant. */
  public static final String SET_NEXT_DAILY_RESET =
      "UPDATE space SET next_daily_reset = $2 WHERE id = $1";

  /** Whether any space's next daily reset has come. */
  public static final String ANY_DAILY_RESET_DUE =
      "SELECT 1 FROM space WHERE next_daily_reset <= now() LIMIT 1";

  /** Spaces whose next daily reset has come. */
  public static final String DUE_DAILY_RESETS =
      """
      SELECT id, time_zone, daily_reset, next_daily_reset FROM space
       WHERE next_daily_reset <= now() ORDER BY next_daily_reset LIMIT 1000
      """;

  /** A space's resets in [start, end). $1 space_id, $2 start, $3 end. */
  public static final String LIST_RESETS =
      """
      SELECT ts, count, kind FROM space_reset
       WHERE space_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts LIMIT 10001
      """;

  // ---------------------------------------------------------------- retention

  /** Whether anything older than $1 is stored. */
  public static final String ANY_DATAPOINT_BEFORE = "SELECT 1 FROM datapoint WHERE ts < $1 LIMIT 1";

  /**
   * Before history older than $1 goes: each space whose count changed before $1 gets a 'carry'
   * reset at $1 holding the count in force there, so every answer from $1 on stays the same.
   */
  public static final String CARRY_COUNTS =
      """
      INSERT INTO space_reset (space_id, ts, count, kind)
      SELECT s.id, $1, c.count, 'carry'
        FROM space s CROSS JOIN LATERAL %s c
      ON CONFLICT (space_id, ts) DO NOTHING
      """
          .formatted(latestChange("s.id", "AND ts < $1"));

  public static final String DELETE_RESETS_BEFORE = "DELETE FROM space_reset WHERE ts < $1";

  public static final String DELETE_ID_KEYS_BEFORE = "DELETE FROM datapoint_id_key WHERE ts < $1";

  /** Drops the partitions or chunks that end at or before $1; returns how many. */
  public static final String DROP_BEFORE = "SELECT density_drop_before($1) AS dropped";

  /** Where retained history starts: the latest carry reset (NULL if nothing was dropped). */
  public static final String RETENTION_BOUNDARY =
      "SELECT max(ts) AS boundary FROM space_reset WHERE kind = 'carry'";

  // ---------------------------------------------------------------- alerts

  /** Every alert rule, with the level it stands for (capacity + 1 when level is NULL). */
  public static final String ALERT_RULES =
      """
      SELECT r.space_id, r.name, coalesce(r.level, s.capacity + 1) AS level, r.hysteresis,
             r.cooldown_seconds, r.above, r.last_fired_at
        FROM alert_rule r JOIN space s ON s.id = r.space_id
       WHERE coalesce(r.level, s.capacity + 1) IS NOT NULL
      """;

  /** A space's alert rules. $1 space_id. */
  public static final String SPACE_ALERT_RULES =
      """
      SELECT name, level, hysteresis, cooldown_seconds, above, last_fired_at
        FROM alert_rule WHERE space_id = $1 ORDER BY name
      """;

  public static final String DELETE_ALERT_RULES = "DELETE FROM alert_rule WHERE space_id = $1";

  /** $1 space, $2 name[], $3 level[] (NULL: capacity), $4 hysteresis[], $5 cooldown[]. */
  public static final String INSERT_ALERT_RULES =
      """
      INSERT INTO alert_rule (space_id, name, level, hysteresis, cooldown_seconds)
      SELECT $1, n, l, h, c FROM unnest($2::text[], $3::int4[], $4::int4[], $5::int4[]) AS u(n, l, h, c)
      """;

  /** A rule's new state, and the alert if one fires ($4: kind, or NULL for none). */
  public static final String RECORD_CROSSING =
      """
      WITH rule AS (
        UPDATE alert_rule SET above = $3,
               last_fired_at = CASE WHEN $4::text IS NULL THEN last_fired_at ELSE now() END
         WHERE space_id = $1 AND name = $2
        RETURNING space_id
      )
      INSERT INTO alert (space_id, rule, kind, level, count, ts)
      SELECT $1, $2, $4, $5, $6, $7 FROM rule WHERE $4::text IS NOT NULL
      RETURNING id, fired_at
      """;

  public static final String LIST_ALERTS =
      """
      SELECT * FROM alert WHERE ($1::text IS NULL OR space_id = $1) ORDER BY id DESC LIMIT $2
      """;

  /**
   * Creates or replaces (and resumes) a webhook. $1 id, $2 url, $3 space_ids, $4 a new secret: the
   * secret of a new webhook, or of a replaced one when $5 (rotate) is true; otherwise the old one
   * stays. {@code secret_set} says whether $4 was stored (the answer shows it only then).
   */
  public static final String UPSERT_WEBHOOK =
      """
      INSERT INTO webhook AS w (id, url, space_ids, secret) VALUES ($1, $2, $3, $4)
      ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, space_ids = EXCLUDED.space_ids,
        secret = CASE WHEN $5::boolean THEN EXCLUDED.secret ELSE w.secret END,
        failures = 0, paused_at = NULL, last_error = NULL, updated_at = now()
      RETURNING id, url, space_ids, failures, paused_at, last_error, (xmax = 0) AS created,
        (xmax = 0 OR $5::boolean) AS secret_set
      """;

  /** Every webhook, without its secret. */
  public static final String LIST_WEBHOOKS =
      "SELECT id, url, space_ids, failures, paused_at, last_error FROM webhook ORDER BY id";

  /** Webhooks that take a space's alerts now, with the secret that signs them. $1 space_id. */
  public static final String ACTIVE_WEBHOOKS_FOR =
      "SELECT id, url, secret FROM webhook WHERE paused_at IS NULL AND (space_ids IS NULL OR $1 = ANY(space_ids))";

  public static final String WEBHOOK_DELIVERED =
      "UPDATE webhook SET failures = 0, last_error = NULL WHERE id = $1";

  /** A failed delivery; pauses the webhook at $3 failures in a row. $1 id, $2 error. */
  public static final String WEBHOOK_FAILED =
      """
      UPDATE webhook SET failures = failures + 1, last_error = $2,
             paused_at = CASE WHEN failures + 1 >= $3 THEN now() ELSE paused_at END
       WHERE id = $1
      """;

  // ---------------------------------------------------------------- queries

  /** Whether a space exists, and its latest count (NULL before any change). $1 space_id. */
  public static final String SPACE_LATEST_COUNT =
      "SELECT s.id, (SELECT count FROM %s c) AS count FROM space s WHERE s.id = $1"
          .formatted(latestChange("s.id", ""));

  /** Whether a space exists, and its count as of an instant (NULL before any change). */
  public static final String SPACE_COUNT_AS_OF =
      "SELECT s.id, (SELECT count FROM %s c) AS count FROM space s WHERE s.id = $1"
          .formatted(latestChange("s.id", "AND ts <= $2"));

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
      SELECT n.ts, (SELECT count FROM %s c) AS count FROM nearest n
      """
          .formatted(latestChange("$1", "AND ts <= n.ts"));

  // ---------------------------------------------------------------- history

  /**
   * Whether a space exists, and the count in force at $2 before any effect at $2 (resets at $2
   * applied): where a bucket series starts. $1 space_id, $2 instant.
   */
  public static final String SPACE_COUNT_OPENING =
      "SELECT s.id, s.time_zone, (SELECT count FROM %s c) AS count FROM space s WHERE s.id = $1"
          .formatted(latestChange("s.id", "AND ts < $2", "AND ts <= $2"));

  /**
   * A space's changes in [$2, $3) in contract order (a reset before the effects at its instant), at
   * most $4 of them.
   */
  public static final String SPACE_CHANGES =
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
  public static final String SPACE_EVENTS =
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

  /**
   * Creates or replaces a space. {@code rules_changed} says whether what its counts depend on
   * (clamp, daily reset, time zone) changed, or a new space has a daily reset to schedule.
   */
  public static final String UPSERT_SPACE =
      """
      WITH old AS (SELECT clamp, daily_reset, time_zone FROM space WHERE id = $1)
      INSERT INTO space (id, name, parent_id, time_zone, capacity, clamp, daily_reset)
      VALUES ($1, $2, $3, $4, $5, $6, $7)
      ON CONFLICT (id) DO UPDATE SET
        name = EXCLUDED.name, parent_id = EXCLUDED.parent_id, time_zone = EXCLUDED.time_zone,
        capacity = EXCLUDED.capacity, clamp = EXCLUDED.clamp, daily_reset = EXCLUDED.daily_reset,
        updated_at = now()
      RETURNING *, (xmax = 0) AS created,
        CASE WHEN EXISTS (SELECT 1 FROM old)
             THEN (SELECT row(o.clamp, o.daily_reset, o.time_zone) FROM old o)
                    IS DISTINCT FROM row(clamp, daily_reset, time_zone)
             ELSE daily_reset IS NOT NULL END AS rules_changed
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

  /**
   * Creates or replaces many spaces at once; a space whose parent is neither registered nor in the
   * same request is left out. Returns each space written, whether it was created and whether what
   * its counts depend on changed (as {@link #UPSERT_SPACE}).
   *
   * <p>$1 id[], $2 name[], $3 parent_id[], $4 time_zone[], $5 capacity[], $6 clamp[], $7
   * daily_reset[].
   */
  public static final String BULK_UPSERT_SPACES =
      """
      WITH input AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[],
                             $6::bool[], $7::time[])
               AS u(id, name, parent_id, time_zone, capacity, clamp, daily_reset)
      ), old AS (
        SELECT s.id, s.clamp, s.daily_reset, s.time_zone FROM space s JOIN input i ON i.id = s.id
      )
      INSERT INTO space AS s (id, name, parent_id, time_zone, capacity, clamp, daily_reset)
      SELECT i.* FROM input i
       WHERE i.parent_id IS NULL
          OR EXISTS (SELECT 1 FROM space p WHERE p.id = i.parent_id)
          OR EXISTS (SELECT 1 FROM input p WHERE p.id = i.parent_id)
      ON CONFLICT (id) DO UPDATE SET
        name = EXCLUDED.name, parent_id = EXCLUDED.parent_id, time_zone = EXCLUDED.time_zone,
        capacity = EXCLUDED.capacity, clamp = EXCLUDED.clamp, daily_reset = EXCLUDED.daily_reset,
        updated_at = now()
      RETURNING s.id, (xmax = 0) AS created,
        CASE WHEN EXISTS (SELECT 1 FROM old o WHERE o.id = s.id)
             THEN (SELECT row(o.clamp, o.daily_reset, o.time_zone) FROM old o WHERE o.id = s.id)
                    IS DISTINCT FROM row(s.clamp, s.daily_reset, s.time_zone)
             ELSE s.daily_reset IS NOT NULL END AS rules_changed
      """;

  /** One of the spaces $1 (text[]) whose parents lead back to itself, if any. */
  public static final String SPACE_IN_A_CYCLE =
      """
      WITH RECURSIVE up(start, id, depth) AS (
        SELECT s.id, s.parent_id, 1 FROM space s WHERE s.id = ANY($1) AND s.parent_id IS NOT NULL
        UNION ALL
        SELECT up.start, s.parent_id, up.depth + 1 FROM up JOIN space s ON s.id = up.id
         WHERE s.parent_id IS NOT NULL AND up.id <> up.start AND up.depth < 1000
      )
      SELECT start FROM up WHERE id = start LIMIT 1
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

  public static final String BULK_UPSERT_DOORWAYS = bulkUpsertNamed("doorway");
  public static final String BULK_UPSERT_DPUS = bulkUpsertNamed("dpu");

  /**
   * Creates many links at once, as {@link #INSERT_LINK} one by one: a link equal to an existing one
   * is not created again, and one naming an unregistered DPU, doorway or space is left out. Returns
   * one row per item (n, from 1): what it names that is registered, the link created or the same
   * one found.
   *
   * <p>$1 dpu_id[], $2 doorway_id[], $3 space_id[], $4 sensor_placement[], $5 valid_from[] (NULL:
   * now), $6 valid_to[].
   */
  public static final String BULK_INSERT_LINKS =
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
  public static final String DPUS_WITH_DATAPOINTS_SINCE =
      """
      SELECT u.dpu_id, min(u.since) AS since
        FROM unnest($1::text[], $2::timestamptz[]) AS u(dpu_id, since)
       WHERE EXISTS (SELECT 1 FROM datapoint d WHERE d.dpu_id = u.dpu_id AND d.ts >= u.since)
       GROUP BY u.dpu_id
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

  /** Whether the DPU sent datapoints at or after an instant. $1 dpu_id, $2 instant. */
  public static final String DPU_HAS_DATAPOINTS_SINCE =
      "SELECT 1 FROM datapoint WHERE dpu_id = $1 AND ts >= $2 LIMIT 1";

  public static final String LIST_LINKS =
      """
      SELECT * FROM link
       WHERE ($1::text IS NULL OR dpu_id = $1) AND ($2::text IS NULL OR space_id = $2)
       ORDER BY dpu_id, valid_from, space_id
      """;
}
