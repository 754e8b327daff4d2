-- The raw log kept two B-trees that lead with dpu_id: the unique dedupe index (dpu_id, dedupe_key,
-- ts) and datapoint_by_dpu_ts (dpu_id, ts), which the reads by DPU and time use (doorway
-- traffic, the health rules, re-attribution). One unique index on (dpu_id, ts, dedupe_key) does
-- both: the same columns make the same datapoints repeats (uniqueness does not depend on the
-- order of the columns), and its leading (dpu_id, ts) serves every read by DPU and time. Each
-- insert then maintains one B-tree fewer. The insert names these columns as its ON CONFLICT
-- target, so that this index alone is checked for repeats (not the primary key as well).
--
-- Built before the old ones go, so that repeats are refused throughout. On a large raw log this
-- builds an index over all of it (every partition or chunk) at the upgrade.
CREATE UNIQUE INDEX IF NOT EXISTS datapoint_dpu_ts_key ON datapoint (dpu_id, ts, dedupe_key);
DROP INDEX IF EXISTS datapoint_dedupe;
DROP INDEX IF EXISTS datapoint_by_dpu_ts;
