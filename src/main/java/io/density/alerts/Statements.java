package io.density.alerts;

/**
 * The statements of alert rules, crossings and webhooks, named by intent. What other rooms share
 * with them is in {@link io.density.db.Sql}.
 */
final class Statements {
  private Statements() {}

  // ---------------------------------------------------------------- alerts

  /** Every alert rule, with the level it stands for (capacity + 1 when level is NULL). */
  static final String ALERT_RULES =
      """
      SELECT r.space_id, r.name, coalesce(r.level, s.capacity + 1) AS level, r.hysteresis,
             r.cooldown_seconds, r.above, r.last_fired_at
        FROM alert_rule r JOIN space s ON s.id = r.space_id
       WHERE coalesce(r.level, s.capacity + 1) IS NOT NULL
      """;

  /** A space's alert rules. $1 space_id. */
  static final String SPACE_ALERT_RULES =
      """
      SELECT name, level, hysteresis, cooldown_seconds, above, last_fired_at
        FROM alert_rule WHERE space_id = $1 ORDER BY name
      """;

  static final String DELETE_ALERT_RULES = "DELETE FROM alert_rule WHERE space_id = $1";

  /** $1 space, $2 name[], $3 level[] (NULL: capacity), $4 hysteresis[], $5 cooldown[]. */
  static final String INSERT_ALERT_RULES =
      """
      INSERT INTO alert_rule (space_id, name, level, hysteresis, cooldown_seconds)
      SELECT $1, n, l, h, c FROM unnest($2::text[], $3::int4[], $4::int4[], $5::int4[]) AS u(n, l, h, c)
      """;

  /** A rule's new state, and the alert if one fires ($4: kind, or NULL for none). */
  static final String RECORD_CROSSING =
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

  /** The latest alerts, of a space ($1) and/or a DPU ($3) when given. $2 limit. */
  static final String LIST_ALERTS =
      """
      SELECT * FROM alert
       WHERE ($1::text IS NULL OR space_id = $1) AND ($3::text IS NULL OR dpu_id = $3)
       ORDER BY id DESC LIMIT $2
      """;

  // ---------------------------------------------------------------- DPU health alerts

  static final String DPU_EXISTS = "SELECT 1 FROM dpu WHERE id = $1";

  /**
   * Replaces the rules of a DPU ($1) or a space ($2): kinds not in $3 go (with their states), the
   * others are written with their thresholds ($4), keeping their states.
   */
  static final String DELETE_HEALTH_RULES_BUT =
      """
      DELETE FROM dpu_alert_rule
       WHERE dpu_id IS NOT DISTINCT FROM $1 AND space_id IS NOT DISTINCT FROM $2
         AND NOT (kind = ANY($3::text[]))
      """;

  static final String UPSERT_DPU_HEALTH_RULES =
      """
      INSERT INTO dpu_alert_rule (dpu_id, kind, threshold)
      SELECT $1, k, t FROM unnest($2::text[], $3::int4[]) AS u(k, t)
      ON CONFLICT (dpu_id, kind) WHERE dpu_id IS NOT NULL
      DO UPDATE SET threshold = EXCLUDED.threshold, updated_at = now()
      """;

  static final String UPSERT_SPACE_HEALTH_RULES =
      """
      INSERT INTO dpu_alert_rule (space_id, kind, threshold)
      SELECT $1, k, t FROM unnest($2::text[], $3::int4[]) AS u(k, t)
      ON CONFLICT (space_id, kind) WHERE space_id IS NOT NULL
      DO UPDATE SET threshold = EXCLUDED.threshold, updated_at = now()
      """;

  /**
   * Every rule that applies to a DPU ($1): its own, and those of the spaces it is linked to now;
   * with the rule's state for the DPU.
   */
  static final String HEALTH_RULES_FOR_DPU =
      """
      SELECT r.id, r.kind, r.threshold, r.space_id, st.firing, st.value, st.changed_at
        FROM dpu_alert_rule r
        LEFT JOIN dpu_alert_state st ON st.rule_id = r.id AND st.dpu_id = $1
       WHERE r.dpu_id = $1
          OR r.space_id IN (SELECT l.space_id FROM link l
                             WHERE l.dpu_id = $1 AND l.valid_from <= now()
                               AND (l.valid_to IS NULL OR now() < l.valid_to))
       ORDER BY r.space_id NULLS FIRST, r.kind
      """;

  /** A space's rules, each with the DPUs linked to the space now and their states. $1 space. */
  static final String HEALTH_RULES_FOR_SPACE =
      """
      SELECT r.id, r.kind, r.threshold, l.dpu_id, st.firing, st.value, st.changed_at
        FROM dpu_alert_rule r
        LEFT JOIN link l ON l.space_id = r.space_id AND l.valid_from <= now()
                        AND (l.valid_to IS NULL OR now() < l.valid_to)
        LEFT JOIN dpu_alert_state st ON st.rule_id = r.id AND st.dpu_id = l.dpu_id
       WHERE r.space_id = $1
       ORDER BY r.kind, l.dpu_id
      """;

  /** When the rules were last evaluated (no row before the first evaluation). */
  static final String HEALTH_EVALUATED_AT = "SELECT evaluated_at FROM dpu_alert_evaluation";

  static final String HEALTH_EVALUATED =
      """
      INSERT INTO dpu_alert_evaluation (evaluated_at) VALUES ($1)
      ON CONFLICT (singleton) DO UPDATE SET evaluated_at = EXCLUDED.evaluated_at
      """;

  /**
   * Every (rule, DPU) pair to evaluate: a DPU's own rules, and a space's rules for each DPU linked
   * to the space now; with the time zone of the rule's day (the space's, UTC for a DPU's rule) and
   * since when the rule has applied to the DPU (a DPU that never reported is silent from then).
   */
  static final String HEALTH_TARGETS =
      """
      SELECT r.id AS rule_id, r.kind, r.threshold, r.space_id, r.dpu_id,
             'UTC' AS time_zone, r.created_at AS since
        FROM dpu_alert_rule r
       WHERE r.dpu_id IS NOT NULL
      UNION ALL
      SELECT r.id, r.kind, r.threshold, r.space_id, l.dpu_id, s.time_zone,
             greatest(r.created_at, l.valid_from)
        FROM dpu_alert_rule r
        JOIN space s ON s.id = r.space_id
        JOIN link l ON l.space_id = r.space_id AND l.valid_from <= now()
                   AND (l.valid_to IS NULL OR now() < l.valid_to)
      """;

  /** The (rule, DPU) pairs firing now. */
  static final String HEALTH_FIRING = "SELECT rule_id, dpu_id FROM dpu_alert_state WHERE firing";

  /**
   * Datapoints of each DPU ($1 text[]) whose timestamps (datapoint time, not arrival) are after $2
   * (and not in the future beyond the accepted skew, which ingest already refuses).
   */
  static final String HEALTH_RECENT_DATAPOINTS =
      """
      SELECT dpu_id, count(*) AS n FROM datapoint
       WHERE dpu_id = ANY($1::text[]) AND ts > $2
       GROUP BY dpu_id
      """;

  /**
   * Entries minus exits of each DPU ($1) over a day [$2, $3), by datapoint time: one row per item
   * of the arrays.
   */
  static final String HEALTH_DAY_BALANCE =
      """
      SELECT u.dpu_id, u.day_start,
             (SELECT coalesce(sum(d.direction), 0) FROM datapoint d
               WHERE d.dpu_id = u.dpu_id AND d.ts >= u.day_start AND d.ts < u.day_end) AS balance
        FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS u(dpu_id, day_start, day_end)
      """;

  private static final String HEALTH_ALERT =
      """
      INSERT INTO alert (space_id, dpu_id, rule, kind, state, level, value, ts)
      SELECT r.space_id, c.dpu_id, CASE WHEN r.space_id IS NULL THEN 'dpu' ELSE 'space' END,
             r.kind, '%s', r.threshold, c.value, $4
        FROM changed c JOIN dpu_alert_rule r ON r.id = c.rule_id
       ORDER BY c.rule_id, c.dpu_id
      RETURNING *
      """;

  /**
   * Fires rules for DPUs ($1 rule ids, $2 DPU ids, $3 measured values, $4 the evaluation's instant)
   * where they are not firing yet, and records an alert for each pair that changed: the conditional
   * upsert makes the transition happen once, whoever leads.
   */
  static final String HEALTH_FIRE =
      """
      WITH t AS (
        SELECT * FROM unnest($1::int8[], $2::text[], $3::int4[]) AS t(rule_id, dpu_id, value)
      ), changed AS (
        INSERT INTO dpu_alert_state AS s (rule_id, dpu_id, firing, value, changed_at)
        SELECT t.rule_id, t.dpu_id, true, t.value, $4 FROM t
         WHERE EXISTS (SELECT 1 FROM dpu_alert_rule r WHERE r.id = t.rule_id)
        ON CONFLICT (rule_id, dpu_id) DO UPDATE
          SET firing = true, value = EXCLUDED.value, changed_at = EXCLUDED.changed_at
          WHERE NOT s.firing
        RETURNING s.rule_id, s.dpu_id, s.value
      )
      """
          + HEALTH_ALERT.formatted("fired");

  /** Clears rules firing for DPUs (same parameters as {@link #HEALTH_FIRE}), once. */
  static final String HEALTH_CLEAR =
      """
      WITH t AS (
        SELECT * FROM unnest($1::int8[], $2::text[], $3::int4[]) AS t(rule_id, dpu_id, value)
      ), changed AS (
        UPDATE dpu_alert_state s SET firing = false, value = t.value, changed_at = $4
          FROM t WHERE s.rule_id = t.rule_id AND s.dpu_id = t.dpu_id AND s.firing
        RETURNING s.rule_id, s.dpu_id, s.value
      )
      """
          + HEALTH_ALERT.formatted("cleared");

  /**
   * Creates or replaces (and resumes) a webhook. $1 id, $2 url, $3 space_ids, $4 a new secret: the
   * secret of a new webhook, or of a replaced one when $5 (rotate) is true; otherwise the old one
   * stays. {@code secret_set} says whether $4 was stored (the answer shows it only then).
   */
  static final String UPSERT_WEBHOOK =
      """
      INSERT INTO webhook AS w (id, url, space_ids, secret) VALUES ($1, $2, $3, $4)
      ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, space_ids = EXCLUDED.space_ids,
        secret = CASE WHEN $5::boolean THEN EXCLUDED.secret ELSE w.secret END,
        failures = 0, paused_at = NULL, last_error = NULL, updated_at = now()
      RETURNING id, url, space_ids, failures, paused_at, last_error, (xmax = 0) AS created,
        (xmax = 0 OR $5::boolean) AS secret_set
      """;

  /** Every webhook, without its secret. */
  static final String LIST_WEBHOOKS =
      "SELECT id, url, space_ids, failures, paused_at, last_error FROM webhook ORDER BY id";

  /** Webhooks that take a space's alerts now, with the secret that signs them. $1 space_id. */
  /**
   * Webhooks that take a space's alerts now, with the secret that signs them. $1 space_id (NULL for
   * an alert of a DPU's own rule: only webhooks without a space list take it).
   */
  static final String ACTIVE_WEBHOOKS_FOR =
      "SELECT id, url, secret FROM webhook WHERE paused_at IS NULL AND (space_ids IS NULL OR $1 = ANY(space_ids))";

  static final String WEBHOOK_DELIVERED =
      "UPDATE webhook SET failures = 0, last_error = NULL WHERE id = $1";

  /** A failed delivery; pauses the webhook at $3 failures in a row. $1 id, $2 error. */
  static final String WEBHOOK_FAILED =
      """
      UPDATE webhook SET failures = failures + 1, last_error = $2,
             paused_at = CASE WHEN failures + 1 >= $3 THEN now() ELSE paused_at END
       WHERE id = $1
      """;

  // ---------------------------------------------------------------- egress outbox

  /**
   * Alerts to the egress outbox (docs/egress.md), in the order given, each keyed by its space or
   * DPU: the key's last seq grows by its number of alerts, and each gets the next one in its order.
   * $1 key kind[] ('space' or 'dpu'), $2 key[], $3 outbox kind[] ('space_alert' or 'dpu_alert'), $4
   * body[] (JSON text).
   */
  static final String OUTBOX_ALERTS =
      """
      WITH changes AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
                      WITH ORDINALITY AS u(keys, k, kind, body, n)
      ), numbered AS (
        SELECT *, row_number() OVER (PARTITION BY keys, k ORDER BY n) AS i,
               count(*) OVER (PARTITION BY keys, k) AS m
          FROM changes
      ), seqs AS (
        INSERT INTO egress_key AS e (kind, key, seq)
        SELECT keys, k, count(*) FROM changes GROUP BY keys, k ORDER BY keys, k
        ON CONFLICT (kind, key) DO UPDATE SET seq = e.seq + EXCLUDED.seq
        RETURNING kind, key, seq
      )
      INSERT INTO egress_outbox (kind, key, seq, body)
      SELECT n.kind, n.k, q.seq - n.m + n.i, n.body::jsonb
        FROM numbered n JOIN seqs q ON q.kind = n.keys AND q.key = n.k
      """;
}
