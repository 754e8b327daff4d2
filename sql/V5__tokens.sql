-- API tokens. The secret is shown once, when the token is made; only its SHA-256 hash is kept. A
-- token has one scope (ingest, read or admin), an optional name and expiry. A revoked token stays
-- listed, with the time it was revoked.
CREATE TABLE IF NOT EXISTS api_token (
  id         bigserial PRIMARY KEY,
  name       text CHECK (length(name) BETWEEN 1 AND 128),
  scope      text NOT NULL CHECK (scope IN ('ingest', 'read', 'admin')),
  hash       bytea NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  revoked_at timestamptz
);
