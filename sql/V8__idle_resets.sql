-- Idle resets (drift correction): a space with idle_reset_minutes = m is reset to 0 wherever it
-- had an effect at t and none after it before t + m. They are derived from the effects, written
-- as resets of kind 'idle' by the counting path, and re-derived by every recount, so late data
-- moves them (docs/counting.md, "Idle resets").
ALTER TABLE space ADD COLUMN IF NOT EXISTS idle_reset_minutes integer
  CHECK (idle_reset_minutes BETWEEN 1 AND 10080);

ALTER TABLE space_reset DROP CONSTRAINT IF EXISTS space_reset_kind_check;
ALTER TABLE space_reset ADD CONSTRAINT space_reset_kind_check
  CHECK (kind IN ('explicit', 'daily', 'carry', 'idle'));
