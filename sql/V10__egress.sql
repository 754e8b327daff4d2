-- Egress to brokers (docs/egress.md). Each change of a space's count, and each alert, is written
-- here in the transaction that makes it, once egress is on; a publisher reads the rows once their
-- commit is flushed, in the order their transactions finished, and gives them to each broker.
-- egress_key holds the last seq given per key (a space, or a DPU for its alerts): seq grows by one
-- per change of the key, in the transaction of the change, so a seq is never given twice.
CREATE TABLE IF NOT EXISTS egress_key (
  kind text NOT NULL CHECK (kind IN ('space', 'dpu')),
  key text NOT NULL,
  seq bigint NOT NULL,
  PRIMARY KEY (kind, key)
);

-- One row per change: a count (count, ts, cause) or an alert (body). xid is the writing
-- transaction's id: every row whose xid is below the oldest transaction still running is final,
-- which is how the publisher reads in commit order without skipping a row committed late.
CREATE TABLE IF NOT EXISTS egress_outbox (
  id bigserial NOT NULL,
  xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  kind text NOT NULL CHECK (kind IN ('count', 'space_alert', 'dpu_alert')),
  key text NOT NULL,
  seq bigint NOT NULL,
  count integer,
  ts timestamptz,
  cause text,
  body jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS egress_outbox_order ON egress_outbox (xid, id);

-- How far each broker (sink) has acknowledged the outbox: the position of the last row it took.
CREATE TABLE IF NOT EXISTS egress_progress (
  sink text PRIMARY KEY,
  xid xid8 NOT NULL,
  id bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
