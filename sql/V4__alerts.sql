-- Capacity alerts. A rule fires 'above' when a space's count reaches its level from below, and
-- 'below' when it falls back to level - hysteresis; within cooldown_seconds of its last alert a
-- crossing changes the rule's state but fires nothing. level NULL means the space's capacity + 1
-- ("above capacity"). above/last_fired_at are the rule's state, kept so that another node can
-- take over the alerts without firing twice.
CREATE TABLE IF NOT EXISTS alert_rule (
  space_id         text NOT NULL REFERENCES space (id),
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
  level            integer CHECK (level >= 1),
  hysteresis       integer NOT NULL DEFAULT 1 CHECK (hysteresis >= 1),
  cooldown_seconds integer NOT NULL DEFAULT 60 CHECK (cooldown_seconds >= 0),
  above            boolean NOT NULL DEFAULT false,
  last_fired_at    timestamptz,
  PRIMARY KEY (space_id, name)
);

-- Every alert fired, as delivered.
CREATE TABLE IF NOT EXISTS alert (
  id        bigserial PRIMARY KEY,
  space_id  text NOT NULL,
  rule      text NOT NULL,
  kind      text NOT NULL CHECK (kind IN ('above', 'below')),
  level     integer NOT NULL,
  count     integer NOT NULL,
  ts        timestamptz,
  fired_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS alert_by_space ON alert (space_id, id);

-- Where alerts are POSTed. A webhook whose deliveries keep failing is paused (paused_at, with the
-- last error) until it is PUT again.
CREATE TABLE IF NOT EXISTS webhook (
  id         text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  url        text NOT NULL,
  space_ids  text[],
  failures   integer NOT NULL DEFAULT 0,
  paused_at  timestamptz,
  last_error text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
