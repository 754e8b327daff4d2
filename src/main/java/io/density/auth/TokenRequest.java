package io.density.auth;

import io.density.bus.InvalidInput;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * The operations of {@code density.tokens} (bus/Addresses.TOKENS), each a record. A token to make
 * is checked where it enters ({@link Create#of}: the route, the command line); {@link
 * TokensVerticle} carries them out.
 */
public sealed interface TokenRequest {
  /** Each operation, carried out: one method per record. */
  interface Operations {
    Future<JsonObject> create(Create r);

    Future<JsonObject> list(ListTokens r);

    Future<JsonObject> revoke(Revoke r);

    Future<Grant> check(Check r);
  }

  /** This operation, carried out by {@code operations}: a JSON answer, or a {@link Grant}. */
  Future<?> carryOut(Operations operations);

  /**
   * What a token in force grants, the answer to a {@link Check}: its id, its scope and its expiry
   * (epoch ms; null: never). Between nodes as JSON (bus/RecordCodec).
   */
  record Grant(long id, Scope scope, Long expiresAt) {}

  /**
   * A token to make → {@code {id, token, scope, name, created_at, expires_at}}, the only answer
   * with the secret. {@code expiresAt}: epoch ms, in the future, before the year 10000; null for
   * never.
   */
  record Create(Scope scope, String name, Long expiresAt) implements TokenRequest {
    /** Later instants are beyond what PostgreSQL and ISO-8601's four-digit years hold. */
    private static final Instant LAST_EXPIRY = Instant.parse("+10000-01-01T00:00:00Z");

    /**
     * {@code {scope, name?, expires_at?}}, which meets the API document's {@code TokenBody};
     * checked here: a name without control characters, an expiry in the future.
     */
    public static Create of(JsonObject body) throws InvalidInput {
      return new Create(
          Scope.named(body.getString("scope")),
          name(body.getString("name")),
          expiry(body.getValue("expires_at")));
    }

    private static String name(String name) throws InvalidInput {
      if (name != null && name.chars().anyMatch(Character::isISOControl)) {
        throw new InvalidInput("name", "name must not hold control characters");
      }
      return name;
    }

    private static Long expiry(Object value) throws InvalidInput {
      if (value == null) {
        return null;
      }
      try {
        Instant at = Instant.parse(String.valueOf(value));
        if (!at.isAfter(Instant.now())) {
          throw new InvalidInput("expires_at", "expires_at must be in the future");
        }
        if (!at.isBefore(LAST_EXPIRY)) {
          throw new InvalidInput("expires_at", "expires_at must be before the year 10000");
        }
        return at.toEpochMilli();
      } catch (DateTimeParseException e) {
        throw InvalidInput.malformed("expires_at", "expires_at must be an ISO-8601 instant");
      }
    }

    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.create(this);
    }
  }

  /** → {@code {tokens: [...]}}, without secrets. */
  record ListTokens() implements TokenRequest {
    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.list(this);
    }
  }

  /** → {@code {id, revoked: true}}; an unknown id fails NOT_FOUND. */
  record Revoke(long id) implements TokenRequest {
    @Override
    public Future<JsonObject> carryOut(Operations operations) {
      return operations.revoke(this);
    }
  }

  /**
   * The SHA-256 hash of a secret ({@link TokenStore#hash}) → the {@link Grant} of a token in force;
   * else fails UNAUTHENTICATED.
   */
  record Check(String hash) implements TokenRequest {
    @Override
    public Future<Grant> carryOut(Operations operations) {
      return operations.check(this);
    }
  }
}
