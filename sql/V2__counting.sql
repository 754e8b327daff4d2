-- What the sensors said and what it did to the spaces.
--
-- The two time tables, datapoint and space_count, are split by time so that retention drops
-- whole pieces of them: with TimescaleDB (the docker setup) they are hypertables in chunks of 7
-- days; on plain PostgreSQL they are partitioned by month, the partitions made as data for a
-- new month arrives (density_ensure_partitions). Unique keys include ts, as both require.

DO $$
DECLARE
  -- TimescaleDB only when it can load: installed files are not enough, it must be preloaded
  -- (CREATE EXTENSION would otherwise end the connection). Else plain partitions, and the server
  -- logs a warning that says how to switch it on.
  timescale boolean := EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
    OR (EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')
        AND 'timescaledb' = ANY (string_to_array(
              replace(current_setting('shared_preload_libraries'), ' ', ''), ',')));
  split text := CASE WHEN timescale THEN '' ELSE ' PARTITION BY RANGE (ts)' END;
BEGIN
  IF timescale THEN
    CREATE EXTENSION IF NOT EXISTS timescaledb;
  END IF;

  -- The raw log: every accepted datapoint once, as received (payload) and when (received_at).
  -- It is the source of truth; every count can be rebuilt from it and the links.
  -- dedupe_key is 'id:<id>' when the datapoint carries its own id, else '<epoch µs>:<direction>'.
  IF to_regclass('datapoint') IS NULL THEN
    EXECUTE 'CREATE TABLE datapoint (
      id          bigserial,
      dpu_id      text NOT NULL,
      ts          timestamptz NOT NULL,
      direction   smallint NOT NULL CHECK (direction IN (-1, 1)),
      dedupe_key  text NOT NULL,
      received_at timestamptz NOT NULL,
      batch_id    bigint NOT NULL,
      payload     text NOT NULL,
      PRIMARY KEY (id, ts)
    )' || split;
    IF timescale THEN
      PERFORM create_hypertable('datapoint', 'ts', chunk_time_interval => interval '7 days');
    END IF;
  END IF;

  -- The counted telemetry: one row per datapoint and space it changed, with the space's count
  -- after it. Rows are ordered as the counting contract orders effects: by timestamp, +1
  -- before -1 at equal timestamps, then by datapoint id. arrival_count is the count as first
  -- computed when the datapoint arrived; count is the reconciled count, changed at
  -- reconciled_at.
  IF to_regclass('space_count') IS NULL THEN
    EXECUTE 'CREATE TABLE space_count (
      space_id      text NOT NULL,
      ts            timestamptz NOT NULL,
      delta         smallint NOT NULL CHECK (delta IN (-1, 1)),
      datapoint_id  bigint NOT NULL,
      arrival_count integer,
      count         integer NOT NULL,
      reconciled_at timestamptz
    )' || split;
    IF timescale THEN
      PERFORM create_hypertable('space_count', 'ts', chunk_time_interval => interval '7 days');
    END IF;
  END IF;
END $$;

-- The same datapoint again (same DPU and key; the key holds the timestamp, or the datapoint's
-- own id, which datapoint_id_key below makes unique across time).
CREATE UNIQUE INDEX IF NOT EXISTS datapoint_dedupe ON datapoint (dpu_id, dedupe_key, ts);
CREATE INDEX IF NOT EXISTS datapoint_by_dpu_ts ON datapoint (dpu_id, ts);
CREATE INDEX IF NOT EXISTS datapoint_by_batch ON datapoint USING brin (batch_id);

CREATE UNIQUE INDEX IF NOT EXISTS space_count_order
  ON space_count (space_id, ts, delta DESC, datapoint_id);

-- Datapoints that carry their own id are repeats of each other by (dpu_id, id) whatever their
-- timestamps: this small table claims each id once (rows older than the retention go by delete).
CREATE TABLE IF NOT EXISTS datapoint_id_key (
  dpu_id     text NOT NULL,
  dedupe_key text NOT NULL,
  ts         timestamptz NOT NULL,
  PRIMARY KEY (dpu_id, dedupe_key)
);
CREATE INDEX IF NOT EXISTS datapoint_id_key_by_ts ON datapoint_id_key (ts);

-- Batches committed to the raw log whose counting (Redis, then space_count) has not finished.
-- A row lives from the insert of its datapoints until their counts are stored; rows left behind
-- by a crash are finished by the recovery sweep.
CREATE TABLE IF NOT EXISTS uncounted_batch (
  id         bigserial PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Makes the monthly partitions of datapoint and space_count for the months given (plain
-- PostgreSQL; with TimescaleDB chunks are made by the extension and this does nothing).
CREATE OR REPLACE FUNCTION density_ensure_partitions(months date[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  month date;
  parent text;
  name text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'datapoint'::regclass) THEN
    RETURN;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('density_partitions'));
  FOREACH month IN ARRAY months LOOP
    FOREACH parent IN ARRAY ARRAY['datapoint', 'space_count'] LOOP
      name := parent || to_char(month, '"_y"YYYY"m"MM');
      IF to_regclass(name) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                       name, parent,
                       date_trunc('month', month)::timestamp AT TIME ZONE 'UTC',
                       (date_trunc('month', month) + interval '1 month')::timestamp AT TIME ZONE 'UTC');
      END IF;
    END LOOP;
  END LOOP;
END $$;

-- Drops the parts of datapoint and space_count that end at or before the cutoff: monthly
-- partitions on plain PostgreSQL, chunks with TimescaleDB. Returns how many went.
CREATE OR REPLACE FUNCTION density_drop_before(cutoff timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  part record;
  dropped integer := 0;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'datapoint'::regclass) THEN
    EXECUTE 'SELECT count(*) FROM drop_chunks(''datapoint'', older_than => $1)' INTO dropped USING cutoff;
    EXECUTE 'SELECT count(*) + $2 FROM drop_chunks(''space_count'', older_than => $1)' INTO dropped USING cutoff, dropped;
    RETURN dropped;
  END IF;
  FOR part IN
    SELECT c.relname
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent IN ('datapoint'::regclass, 'space_count'::regclass)
       AND c.relname ~ '_y\d{4}m\d{2}$'
       AND (to_date(substring(c.relname from 'y(\d{4}m\d{2})$'), 'YYYY"m"MM') + interval '1 month')
             ::timestamp AT TIME ZONE 'UTC' <= cutoff
  LOOP
    EXECUTE format('DROP TABLE %I', part.relname);
    dropped := dropped + 1;
  END LOOP;
  RETURN dropped;
END $$;
