package io.density.auth;

import io.density.bus.Failure;
import io.density.time.Timestamps;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;

/**
 * Tokens in PostgreSQL ({@code api_token}). A token is {@code dens_} and 256 random bits in
 * base64url; only its SHA-256 hash is stored, so the secret is shown once, when it is made.
 */
public final class TokenStore {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder BASE64 = Base64.getUrlEncoder().withoutPadding();

  private final Pool pool;

  public TokenStore(Pool pool) {
    this.pool = pool;
  }

  /** The hash under which a secret is stored, in base64url (how it travels on the event bus). */
  public static String hash(String secret) {
    try {
      return BASE64.encodeToString(
          MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /**
   * A token made → {@code {id, token, scope, name, created_at, expires_at}}: the only answer that
   * holds the secret.
   */
  public Future<JsonObject> create(TokenRequest.Create request) {
    Scope scope = request.scope();
    String name = request.name();
    OffsetDateTime expires =
        request.expiresAt() == null
            ? null
            : Instant.ofEpochMilli(request.expiresAt()).atOffset(ZoneOffset.UTC);
    byte[] random = new byte[32];
    RANDOM.nextBytes(random);
    String secret = "dens_" + BASE64.encodeToString(random);
    byte[] hash = Base64.getUrlDecoder().decode(hash(secret));
    return pool.preparedQuery(Statements.INSERT_TOKEN)
        .execute(Tuple.of(name, scope.label(), Buffer.buffer(hash), expires))
        .map(rows -> token(rows.iterator().next()).put("token", secret));
  }

  /** {@code {tokens: [...]}}, without secrets. */
  public Future<JsonObject> list() {
    return pool.query(Statements.LIST_TOKENS)
        .execute()
        .map(
            rows -> {
              JsonArray tokens = new JsonArray();
              rows.forEach(r -> tokens.add(token(r)));
              return new JsonObject().put("tokens", tokens);
            });
  }

  /** {@code {id, revoked: true}}; an unknown id fails NOT_FOUND. */
  public Future<JsonObject> revoke(long id) {
    return pool.preparedQuery(Statements.REVOKE_TOKEN)
        .execute(Tuple.of(id))
        .compose(
            rows ->
                rows.size() == 0
                    ? Future.failedFuture(Failure.notFound("unknown token"))
                    : Future.succeededFuture(new JsonObject().put("id", id).put("revoked", true)));
  }

  /** A secret's hash → what a token in force grants; else fails UNAUTHENTICATED. */
  public Future<TokenRequest.Grant> check(String hashed) {
    byte[] hash;
    try {
      hash = Base64.getUrlDecoder().decode(hashed);
    } catch (IllegalArgumentException e) {
      hash = new byte[0];
    }
    return pool.preparedQuery(Statements.VALID_TOKEN)
        .execute(Tuple.of(Buffer.buffer(hash)))
        .compose(
            rows ->
                rows.size() == 0
                    ? Future.failedFuture(
                        Failure.of(Failure.UNAUTHENTICATED, null, "unknown or revoked token"))
                    : Future.succeededFuture(grant(rows.iterator().next())));
  }

  private static TokenRequest.Grant grant(Row r) {
    OffsetDateTime expires = r.getOffsetDateTime("expires_at");
    return new TokenRequest.Grant(
        r.getLong("id"),
        Scope.named(r.getString("scope")),
        expires == null ? null : expires.toInstant().toEpochMilli());
  }

  private static JsonObject token(Row r) {
    return new JsonObject()
        .put("id", r.getLong("id"))
        .put("name", r.getString("name"))
        .put("scope", r.getString("scope"))
        .put("created_at", instant(r.getOffsetDateTime("created_at")))
        .put("expires_at", instant(r.getOffsetDateTime("expires_at")))
        .put("revoked_at", instant(r.getOffsetDateTime("revoked_at")));
  }

  private static String instant(OffsetDateTime t) {
    return Timestamps.format(t);
  }
}
