#!/usr/bin/env bash
# Overload: one server with a bounded heap on the local PostgreSQL and Redis, offered many times
# its sustainable ingest rate, then left with nothing behind (as load/bench.sh):
#
#   1. creates a fresh database density_overload on 127.0.0.1:5432,
#   2. starts target/density.jar on 127.0.0.1:18089 with -Xmx512m (DENSITY_JAVA_OPTS adds options),
#   3. runs `load overload` with the arguments given to this script,
#   4. stops the server, drops the database and deletes the overload: keys from Redis.
#
# Usage (build first with mvn package):
#   load/overload.sh                                   # 200 req/s, 60 s at 2000 req/s, 200 req/s
#   load/overload.sh --rate 3000 --batch 100 --seconds 60
#
# The exit status is that of `load overload` (0: every acknowledged datapoint counted, every 429
# with Retry-After, no 5xx), or 1 when the setup failed. The server's log is kept and named at the
# end: an OutOfMemoryError would be there.
set -euo pipefail

tool=overload
db=density_overload
port=18089
prefix=overload:
start_seconds=${BENCH_START_SECONDS:-120}
max_seconds=${BENCH_MAX_SECONDS:-1200}
export DENSITY_JAVA_OPTS="-Xmx512m -XX:+ExitOnOutOfMemoryError ${DENSITY_JAVA_OPTS:-}"
# shellcheck source=load/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

after_tool() {
  if grep -q OutOfMemoryError "$log"; then
    say "the server ran out of memory"
    return 1
  fi
  kill -0 "${server_pids[0]}" 2>/dev/null || { say "the server is gone"; return 1; }
  # The floor, in the same run: PostgreSQL alone inserting the raw log's rows, 100 per statement.
  local floor
  floor=$(pg_insert_floor 4 100 10)
  echo "FLOOR PostgreSQL alone: $floor rows/s (4 clients, 100 rows per statement)"
}

run_load_tool "$@"
