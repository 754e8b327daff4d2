-- Room on space_count's pages for the corrections of out-of-order arrival (docs/counting.md,
-- "Order and reconciliation"): a row a later arrival corrects is updated within seconds of its
-- insert, while its page is still among the newest. A full page sends the new version of the
-- row to another page, and every such update adds an entry to space_count_order as well; with
-- room left on the page, PostgreSQL keeps the new version beside the old one (a heap-only tuple:
-- no index entry) and prunes the old one on a later visit.
--
-- Storage parameters belong to each partition on plain PostgreSQL: the existing ones take it for
-- the rows they get from now on, and density_ensure_partitions makes new ones with it. A
-- TimescaleDB hypertable takes it on itself, and TimescaleDB passes it to its chunks, those there
-- are and those it makes later. Rows already stored keep their pages; space_count then takes
-- about a quarter more space (docs/operations.md: when to change it).
DO $$
DECLARE
  part record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'space_count'::regclass) THEN
    EXECUTE 'ALTER TABLE space_count SET (fillfactor = 80)';
    RETURN;
  END IF;
  FOR part IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'space_count'::regclass
  LOOP
    EXECUTE format('ALTER TABLE %I SET (fillfactor = 80)', part.relname);
  END LOOP;
END $$;

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
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)%s',
                       name, parent,
                       date_trunc('month', month)::timestamp AT TIME ZONE 'UTC',
                       (date_trunc('month', month) + interval '1 month')::timestamp AT TIME ZONE 'UTC',
                       CASE WHEN parent = 'space_count' THEN ' WITH (fillfactor = 80)' ELSE '' END);
      END IF;
    END LOOP;
  END LOOP;
END $$;
