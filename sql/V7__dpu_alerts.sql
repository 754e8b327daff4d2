-- Sensor-health alerts: rules on a DPU, or on every DPU linked to a space, of three kinds:
--   silent     nothing received from the DPU for `threshold` minutes (by arrival);
--   flood      more than `threshold` datapoints per minute, by datapoint time;
--   imbalance  |entries - exits| of the DPU over the local day of the rule's space (UTC for a
--              rule on a DPU) above `threshold`.
-- One rule per DPU and kind, and one per space and kind. A space's rule applies to each DPU
-- linked to the space now, and keeps one state per DPU.
CREATE TABLE dpu_alert_rule (
  id         bigserial PRIMARY KEY,
  dpu_id     text REFERENCES dpu (id) ON DELETE CASCADE,
  space_id   text REFERENCES space (id) ON DELETE CASCADE,
  kind       text NOT NULL CHECK (kind IN ('silent', 'flood', 'imbalance')),
  threshold  integer NOT NULL CHECK (threshold >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((dpu_id IS NULL) <> (space_id IS NULL))
);
CREATE UNIQUE INDEX dpu_alert_rule_per_dpu ON dpu_alert_rule (dpu_id, kind) WHERE dpu_id IS NOT NULL;
CREATE UNIQUE INDEX dpu_alert_rule_per_space ON dpu_alert_rule (space_id, kind)
  WHERE space_id IS NOT NULL;

-- Whether a rule fires for a DPU now. A row exists once the rule fired for the DPU; its primary
-- key is what makes a transition happen once: a leader fires with a conditional upsert (only
-- where it is not firing) and clears with a conditional update (only where it is), in the same
-- statement that records the alert, so a leader that takes over never fires again what is fired.
CREATE TABLE dpu_alert_state (
  rule_id    bigint NOT NULL REFERENCES dpu_alert_rule (id) ON DELETE CASCADE,
  dpu_id     text NOT NULL,
  firing     boolean NOT NULL,
  value      integer,
  changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rule_id, dpu_id)
);

-- When the rules were last evaluated (by whichever node leads the alerts).
CREATE TABLE dpu_alert_evaluation (
  singleton    boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  evaluated_at timestamptz NOT NULL
);

-- The alert model carries a DPU beside the space alerts: a DPU alert has dpu_id, kind silent,
-- flood or imbalance, state fired or cleared, the rule's threshold in level and the measured
-- value; no count. Its space_id is the rule's space (NULL for a rule on the DPU itself).
ALTER TABLE alert ALTER COLUMN space_id DROP NOT NULL;
ALTER TABLE alert ALTER COLUMN count DROP NOT NULL;
ALTER TABLE alert ADD COLUMN dpu_id text;
ALTER TABLE alert ADD COLUMN state text CHECK (state IN ('fired', 'cleared'));
ALTER TABLE alert ADD COLUMN value integer;
ALTER TABLE alert DROP CONSTRAINT IF EXISTS alert_kind_check;
ALTER TABLE alert ADD CONSTRAINT alert_kind_check
  CHECK (kind IN ('above', 'below', 'silent', 'flood', 'imbalance'));
ALTER TABLE alert ADD CONSTRAINT alert_of_space_or_dpu
  CHECK (CASE WHEN dpu_id IS NULL THEN space_id IS NOT NULL AND count IS NOT NULL
                                       AND kind IN ('above', 'below')
              ELSE state IS NOT NULL AND kind IN ('silent', 'flood', 'imbalance') END);
CREATE INDEX alert_by_dpu ON alert (dpu_id, id) WHERE dpu_id IS NOT NULL;
