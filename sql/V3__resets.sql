-- Resets: at instant ts the space's count becomes `count`; effects at or after ts apply on top.
-- 'explicit' resets are posted by an operator; 'daily' ones are written by the server at the
-- space's daily_reset local time, in its time zone, for every day of its history; 'carry' ones
-- hold the count in force where retention dropped the history before them.
CREATE TABLE IF NOT EXISTS space_reset (
  space_id   text NOT NULL REFERENCES space (id),
  ts         timestamptz NOT NULL,
  count      integer NOT NULL CHECK (count >= 0 OR kind = 'carry'),
  kind       text NOT NULL CHECK (kind IN ('explicit', 'daily', 'carry')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (space_id, ts)
);

-- The next daily reset not yet written, for the server's periodic check.
ALTER TABLE space ADD COLUMN IF NOT EXISTS next_daily_reset timestamptz;
CREATE INDEX IF NOT EXISTS space_next_daily_reset ON space (next_daily_reset)
  WHERE next_daily_reset IS NOT NULL;

-- Where the space's written daily resets start. Every recount that starts earlier first writes
-- the daily resets back to it, so a daily reset holds on every day of the history, whatever
-- order the rule and the history arrive in.
ALTER TABLE space ADD COLUMN IF NOT EXISTS daily_resets_from timestamptz;
UPDATE space s
   SET daily_resets_from = coalesce(
         (SELECT min(ts) FROM space_reset r WHERE r.space_id = s.id AND r.kind = 'daily'),
         s.next_daily_reset)
 WHERE s.daily_reset IS NOT NULL AND s.daily_resets_from IS NULL;
