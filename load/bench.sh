#!/usr/bin/env bash
# Benchmarks the server on the local PostgreSQL and Redis, then leaves nothing behind:
#
#   1. creates a fresh database density_bench on 127.0.0.1:5432 (psql as user postgres),
#   2. starts target/density.jar on 127.0.0.1:18088 with that database and Redis key prefix bench:,
#   3. waits for GET /health (with a deadline),
#   4. runs `load bench` with the arguments given to this script,
#   5. stops the server, drops the database and deletes the bench: keys from Redis.
#
# Usage (from anywhere; build first with mvn package):
#   load/bench.sh                                         # the default figures: 100000 DPUs, ...
#   load/bench.sh --dpus 2000 --spaces 1000 --datapoints 50000
#
# Environment:
#   DENSITY_JAR           the jar to run (default: target/density.jar of this repository)
#   BENCH_START_SECONDS   how long to wait for the server to become healthy (default 120)
#   BENCH_MAX_SECONDS     hard limit on the `load bench` run (default 4000; the tool itself stops
#                         starting requests after its --max-seconds, 3600 by default)
#
# The exit status is that of `load bench` (0 all good, 1 failed requests or time limit, 3 wrong
# counts), or 1 when the setup failed.
set -euo pipefail

tool=bench
db=density_bench
port=18088
prefix=bench:
start_seconds=${BENCH_START_SECONDS:-120}
max_seconds=${BENCH_MAX_SECONDS:-4000}
# shellcheck source=load/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# After the benchmark, in the same run: PostgreSQL alone doing the raw log's inserts (4 clients, 200
# rows per statement; with --send, one row per transaction from as many clients as the benchmark
# had requests in flight) and Redis alone answering GETs (16 clients, as many as the benchmark's
# queries), each beside the server's figure with the ratio.
after_tool() {
  local result ingest queries pg redis floor_what
  result=$(grep '^RESULT ' "$1" | tail -n 1 | cut -c8-)
  ingest=$(jq -r '.accepted_per_s // 0' <<<"$result")
  queries=$(jq -r '.queries_per_s // 0' <<<"$result")
  say "measuring the floors: PostgreSQL alone inserting, Redis alone answering GET"
  if [[ $(jq -r '.send_alone // false' <<<"$result") == true ]]; then
    local clients
    clients=$(jq -r '.concurrency' <<<"$result")
    pg=$(pg_insert_floor "$clients" 1 10)
    floor_what="PostgreSQL alone committing one row per transaction ($clients clients)"
  else
    pg=$(pg_insert_floor 4 200 10)
    floor_what="PostgreSQL alone inserting the same rows (4 clients, 200 per statement)"
  fi
  redis=$(redis_get_floor 16)
  echo "floors (same machine, right after the benchmark):"
  echo "  ingest    server $ingest datapoints/s; $floor_what $pg rows/s; ratio $(ratio "$ingest" "$pg")"
  echo "  realtime  server $queries queries/s; Redis alone, GET, 16 clients $redis/s; ratio $(ratio "$queries" "$redis")"
  echo "FLOORS {\"ingest_per_s\":$ingest,\"pg_floor_rows_per_s\":${pg:-0},\"ingest_ratio\":\"$(ratio "$ingest" "$pg")\",\"queries_per_s\":$queries,\"redis_get_per_s\":${redis:-0},\"query_ratio\":\"$(ratio "$queries" "$redis")\"}"
}

run_load_tool "$@"
