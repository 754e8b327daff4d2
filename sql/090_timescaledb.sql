-- TimescaleDB, when the extension is installed (the docker setup): the counted telemetry
-- becomes a hypertable chunked by time. On plain PostgreSQL this script does nothing and the
-- ordinary indexes above serve the same queries.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
    CREATE EXTENSION IF NOT EXISTS timescaledb;
    PERFORM create_hypertable('space_count', 'ts', chunk_time_interval => interval '1 day',
                              if_not_exists => true, migrate_data => true);
  END IF;
END $$;
