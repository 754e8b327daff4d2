-- What the sensors said and what it did to the spaces.

-- The raw log: every accepted datapoint once, as received (payload) and when (received_at).
-- It is the source of truth; every count can be rebuilt from it and the links.
-- dedupe_key is 'id:<id>' when the datapoint carries its own id, else '<epoch µs>:<direction>'.
CREATE TABLE IF NOT EXISTS datapoint (
  id          bigserial PRIMARY KEY,
  dpu_id      text NOT NULL,
  ts          timestamptz NOT NULL,
  direction   smallint NOT NULL CHECK (direction IN (-1, 1)),
  dedupe_key  text NOT NULL,
  received_at timestamptz NOT NULL,
  batch_id    bigint NOT NULL,
  payload     text NOT NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS datapoint_dedupe ON datapoint (dpu_id, dedupe_key);
CREATE INDEX IF NOT EXISTS datapoint_by_dpu_ts ON datapoint (dpu_id, ts);
CREATE INDEX IF NOT EXISTS datapoint_by_batch ON datapoint USING brin (batch_id);

-- Batches committed to the raw log whose counting (Redis, then space_count) has not finished.
-- A row lives from the insert of its datapoints until their counts are stored; rows left behind
-- by a crash are finished by the recovery sweep.
CREATE TABLE IF NOT EXISTS uncounted_batch (
  id         bigserial PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The counted telemetry: one row per datapoint and space it changed, with the space's count
-- after it. Rows are ordered as the counting contract orders effects: by timestamp, +1 before
-- -1 at equal timestamps, then by datapoint id. arrival_count is the count as first computed
-- when the datapoint arrived; count is the reconciled count, changed at reconciled_at.
CREATE TABLE IF NOT EXISTS space_count (
  space_id      text NOT NULL,
  ts            timestamptz NOT NULL,
  delta         smallint NOT NULL CHECK (delta IN (-1, 1)),
  datapoint_id  bigint NOT NULL,
  arrival_count integer,
  count         integer NOT NULL,
  reconciled_at timestamptz
);

CREATE UNIQUE INDEX IF NOT EXISTS space_count_order
  ON space_count (space_id, ts, delta DESC, datapoint_id);
