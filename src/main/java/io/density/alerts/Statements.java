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

  static final String LIST_ALERTS =
      """
      SELECT * FROM alert WHERE ($1::text IS NULL OR space_id = $1) ORDER BY id DESC LIMIT $2
      """;

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
}
