package io.density.auth;

/** The statements of the token store, named by intent. */
final class Statements {
  private Statements() {}

  // ---------------------------------------------------------------- tokens

  /** A new token: $1 name, $2 scope, $3 hash, $4 expires_at. */
  static final String INSERT_TOKEN =
      """
      INSERT INTO api_token (name, scope, hash, expires_at) VALUES ($1, $2, $3, $4)
      RETURNING id, name, scope, created_at, expires_at, revoked_at
      """;

  /** Every token, without its hash. */
  static final String LIST_TOKENS =
      "SELECT id, name, scope, created_at, expires_at, revoked_at FROM api_token ORDER BY id";

  /** Revokes token $1 (once: a second revocation keeps the first time). */
  static final String REVOKE_TOKEN =
      "UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING id";

  /** The token whose hash is $1, if it is in force: (id, scope). */
  static final String VALID_TOKEN =
      """
      SELECT id, scope, expires_at FROM api_token
       WHERE hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
      """;
}
