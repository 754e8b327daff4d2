-- Per-day utilization summaries (docs/counting.md, "Utilization", "Summaries"): the figures of a
-- space and a complete local day, in the space's own zone, stored by the report that computed
-- them so that the next one reads a row instead of the day's changes.
--
-- A summary is exact only while the changes it was computed from stay as they were. Every write
-- of space_count or space_reset (an effect counted, a recount, a tail correction, a reset of any
-- kind, a move, a replay, retention's carry) goes through the statement-level triggers below,
-- which delete the summaries of every changed space whose day ends after the earliest changed
-- instant: a change at t changes the day holding t and, through the count carried over, every
-- later one. Live traffic lands after every summarised day (only complete days are stored), so
-- the triggers find nothing to delete with one index probe.
--
-- The report computes a day only after it has committed the day's row as pending (token set) and
-- then taken the advisory lock below exclusively (in a transaction that ends at once); every
-- trigger holds it shared from before it looks for summaries until its transaction ends. So a
-- writer either committed before the report's snapshot (its changes are in the figures), or ran
-- its trigger after the pending row was committed (and deleted it): the report then stores its
-- figures only into rows still pending under its own token.
CREATE TABLE IF NOT EXISTS utilization_day (
  space_id     text NOT NULL,
  time_zone    text NOT NULL,
  day          date NOT NULL,
  d0           timestamptz NOT NULL,
  d1           timestamptz NOT NULL,
  token        bigint,            -- set while a report computes the row; NULL once stored
  peak         integer,
  peak_at      timestamptz,
  average      double precision,
  entries      bigint,
  exits        bigint,
  count_at_end integer,
  PRIMARY KEY (space_id, time_zone, day)
);
CREATE INDEX IF NOT EXISTS utilization_day_by_end ON utilization_day (space_id, d1);
CREATE INDEX IF NOT EXISTS utilization_day_latest ON utilization_day (d1);

-- The summaries of the changed spaces from their earliest changed instant on. The lock is the one
-- the report takes exclusively while it marks rows pending ("dens" + 4).
CREATE OR REPLACE FUNCTION density_utilization_stale() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(x'64656e73'::int8 + 4);
  -- max(d1) is one probe of an index; compared inside one EXISTS, the planner may scan the table.
  IF (SELECT min(ts) FROM changed) < (SELECT max(d1) FROM utilization_day) THEN
    DELETE FROM utilization_day u
     USING (SELECT space_id, min(ts) AS since FROM changed GROUP BY space_id) c
     WHERE u.space_id = c.space_id AND u.d1 > c.since;
  END IF;
  IF TG_OP = 'UPDATE' THEN -- rows moved in time (none does today) change both instants
    IF (SELECT min(ts) FROM changed_to) < (SELECT max(d1) FROM utilization_day) THEN
      DELETE FROM utilization_day u
       USING (SELECT space_id, min(ts) AS since FROM changed_to GROUP BY space_id) c
       WHERE u.space_id = c.space_id AND u.d1 > c.since;
    END IF;
  END IF;
  RETURN NULL;
END $$;

-- Every summary, when the changes are emptied at once (no transition table tells which spaces).
CREATE OR REPLACE FUNCTION density_utilization_truncated() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(x'64656e73'::int8 + 4);
  DELETE FROM utilization_day;
  RETURN NULL;
END $$;

-- The summaries of days that start before a retention boundary: their history is gone.
CREATE OR REPLACE FUNCTION density_utilization_forget_before(boundary timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(x'64656e73'::int8 + 4);
  DELETE FROM utilization_day WHERE d0 < boundary;
END $$;

-- TimescaleDB supports transition tables on hypertables only from 2.18 on; with an older one no
-- trigger is made and the report computes every day from the changes (the server checks which).
DO $$
DECLARE
  tables text[] := ARRAY['space_count', 'space_reset'];
  t text;
  hyper boolean := EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'
                             AND string_to_array(split_part(extversion, '-', 1), '.')::int[]
                                 < ARRAY[2, 18])
    AND EXISTS (SELECT 1 FROM pg_class c WHERE c.relname = 'space_count'
                   AND NOT EXISTS (SELECT 1 FROM pg_partitioned_table p WHERE p.partrelid = c.oid));
BEGIN
  IF hyper THEN
    RAISE NOTICE 'TimescaleDB before 2.18: utilization summaries are off';
    RETURN;
  END IF;
  FOREACH t IN ARRAY tables LOOP
    EXECUTE format('CREATE TRIGGER %1$s_utilization_insert AFTER INSERT ON %1$I'
                   ' REFERENCING NEW TABLE AS changed'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION density_utilization_stale()', t);
    EXECUTE format('CREATE TRIGGER %1$s_utilization_update AFTER UPDATE ON %1$I'
                   ' REFERENCING OLD TABLE AS changed NEW TABLE AS changed_to'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION density_utilization_stale()', t);
    EXECUTE format('CREATE TRIGGER %1$s_utilization_delete AFTER DELETE ON %1$I'
                   ' REFERENCING OLD TABLE AS changed'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION density_utilization_stale()', t);
    EXECUTE format('CREATE TRIGGER %1$s_utilization_truncate AFTER TRUNCATE ON %1$I'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION density_utilization_truncated()', t);
  END LOOP;
END $$;
