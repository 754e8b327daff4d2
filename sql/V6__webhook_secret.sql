-- Every webhook delivery is signed (HMAC-SHA256) with the webhook's secret, so the secret itself
-- is kept (the server signs with it); it is shown once, when the webhook is made or its secret is
-- rotated. Webhooks made before signing existed get a random one (two version-4 UUIDs: 244 bits
-- from PostgreSQL's strong random source); PUT them with "rotate_secret": true to learn a secret.
ALTER TABLE webhook ADD COLUMN IF NOT EXISTS secret text;
UPDATE webhook SET secret = replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')
 WHERE secret IS NULL;
ALTER TABLE webhook ALTER COLUMN secret SET NOT NULL;
