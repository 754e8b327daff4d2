-- The building: spaces, doorways, DPUs and the links that say which DPU counts for which space
-- and when. The scripts of sql/ are Flyway migrations, each applied once and recorded in
-- flyway_schema_history; V1 to V6 are also idempotent (they predate the history table).

-- btree_gist lets one exclusion constraint say "a DPU hangs in one doorway at a time".
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE IF NOT EXISTS space (
  id          text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  name        text,
  parent_id   text REFERENCES space (id),
  time_zone   text NOT NULL DEFAULT 'UTC',  -- IANA zone, validated by the server
  capacity    integer CHECK (capacity >= 0),
  clamp       boolean NOT NULL DEFAULT true, -- a room never holds -1 people
  daily_reset time,                          -- local time of a daily reset to 0, or none
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (parent_id IS DISTINCT FROM id)
);

CREATE TABLE IF NOT EXISTS doorway (
  id         text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  name       text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS dpu (
  id         text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
  name       text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- From valid_from until valid_to (NULL = still installed) a datapoint of direction dir from
-- dpu_id changes space_id by dir * sensor_placement.
CREATE TABLE IF NOT EXISTS link (
  id               bigserial PRIMARY KEY,
  dpu_id           text NOT NULL REFERENCES dpu (id),
  doorway_id       text NOT NULL REFERENCES doorway (id),
  space_id         text NOT NULL REFERENCES space (id),
  sensor_placement smallint NOT NULL CHECK (sensor_placement IN (-1, 1)),
  valid_from       timestamptz NOT NULL,
  valid_to         timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (valid_to IS NULL OR valid_to > valid_from)
);

CREATE INDEX IF NOT EXISTS link_by_dpu ON link (dpu_id, valid_from);
CREATE INDEX IF NOT EXISTS link_by_space ON link (space_id, valid_from);

DO $$
BEGIN
  -- One doorway per DPU at any instant.
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'link_one_doorway_at_a_time') THEN
    ALTER TABLE link ADD CONSTRAINT link_one_doorway_at_a_time
      EXCLUDE USING gist (dpu_id WITH =, doorway_id WITH <>, tstzrange(valid_from, valid_to) WITH &&);
  END IF;
  -- One link per DPU and space at any instant.
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'link_no_overlap') THEN
    ALTER TABLE link ADD CONSTRAINT link_no_overlap
      EXCLUDE USING gist (dpu_id WITH =, space_id WITH =, tstzrange(valid_from, valid_to) WITH &&);
  END IF;
END $$;

-- This database's identity. Redis remembers which database its realtime state was built from,
-- so a server pointed at another database (or a reused key prefix) rebuilds instead of trusting it.
CREATE TABLE IF NOT EXISTS instance (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  id        uuid NOT NULL DEFAULT gen_random_uuid()
);
INSERT INTO instance DEFAULT VALUES ON CONFLICT DO NOTHING;
