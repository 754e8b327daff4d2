#!/usr/bin/env bash
# The fleet view at scale: `load bench` provisions a fleet and sends its datapoints (the arguments
# given are bench's), then, with the server still up, GET /v1/dpu-activity?limit=50 is timed one
# request after another, beside its floor measured in the same run: PostgreSQL alone and Redis
# alone doing the reads an answer needs (the registry's count and the listed DPUs' names; three
# counts over the arrival order, its stale end and the listed DPUs' times), each repeated as many
# times in one client session. Leaves nothing behind.
#
# Usage (build first with mvn package):
#   load/activity.sh --dpus 100000 --spaces 1000 --datapoints 200000 --queries 1000
#
# Environment: ACTIVITY_REQUESTS (default 50), the timed requests; DENSITY_JAR, DENSITY_LOAD_JAR,
# BENCH_START_SECONDS and BENCH_MAX_SECONDS as for bench.sh.
set -euo pipefail

tool=bench
db=density_activity
port=18087
prefix=activity:
start_seconds=${BENCH_START_SECONDS:-120}
max_seconds=${BENCH_MAX_SECONDS:-4000}
requests=${ACTIVITY_REQUESTS:-50}
# shellcheck source=load/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# percentile P FILE: the nearest-rank P-th percentile of the numbers in FILE, one a line.
percentile() {
  sort -n "$2" | awk -v p="$1" '{v[NR] = $1} END {i = int((p * NR + 99) / 100); if (i < 1) i = 1; print v[i]}'
}

# ms COMMAND...: the command's wall time in milliseconds (its output dropped).
ms() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}

after_tool() {
  local url=http://127.0.0.1:$port times=$work/activity-ms.txt answer
  answer=$(curl -sf -H "Authorization: Bearer $DENSITY_TOKEN" "$url/v1/dpu-activity?limit=50")
  say "timing $requests requests of GET /v1/dpu-activity?limit=50"
  : >"$times"
  for _ in $(seq "$requests"); do
    curl -sf -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $DENSITY_TOKEN" \
      "$url/v1/dpu-activity?limit=50" | awk '{printf "%.1f\n", $1 * 1000}' >>"$times"
  done

  say "measuring the floor: PostgreSQL alone and Redis alone doing the same reads, $requests times"
  local key=${prefix}dpus:by-arrival ids sql=$work/floor.sql commands=$work/floor.redis
  local cutoff pg_ms redis_ms
  cutoff=$((($(date +%s) - 3600) * 1000000))
  ids=$(redis-cli -h 127.0.0.1 -p 6379 ZRANGE "$key" 0 49 | paste -sd, -)
  : >"$sql"
  : >"$commands"
  for _ in $(seq "$requests"); do
    echo "SELECT count(*) FROM dpu; SELECT id, name FROM dpu WHERE id = ANY('{$ids}');" >>"$sql"
    {
      echo "ZCOUNT $key (0 +inf"
      echo "ZCOUNT $key (0 ($cutoff"
      echo "ZCOUNT $key 0 0"
      echo "ZRANGE $key 0 49"
      tr ',' '\n' <<<"$ids" | awk -v p="$prefix" 'BEGIN {printf "MGET"} {printf " %sdpu:%s", p, $1} END {print ""}'
    } >>"$commands"
  done
  pg_ms=$(ms "${psql_admin[@]}" -d "$db" -At -f "$sql")
  redis_ms=$(ms redis-cli -h 127.0.0.1 -p 6379 <"$commands")
  pg_ms=$(awk -v t="$pg_ms" -v n="$requests" 'BEGIN {printf "%.1f", t / n}')
  redis_ms=$(awk -v t="$redis_ms" -v n="$requests" 'BEGIN {printf "%.1f", t / n}')
  local p50 p95
  p50=$(percentile 50 "$times")
  p95=$(percentile 95 "$times")
  echo "dpu activity: $(jq -c '{registered, reporting, silent, never_reported}' <<<"$answer")"
  echo "  server    GET /v1/dpu-activity p50 $p50 ms, p95 $p95 ms ($requests requests, one at a time)"
  echo "  floor     per answer: PostgreSQL alone $pg_ms ms (psql), Redis alone $redis_ms ms" \
    "(redis-cli); ratio floor / server $(ratio "$(awk -v a="$pg_ms" -v b="$redis_ms" 'BEGIN {print a + b}')" "$p50")"
  echo "ACTIVITY {\"p50_ms\":$p50,\"p95_ms\":$p95,\"pg_ms\":$pg_ms,\"redis_ms\":$redis_ms}"
}

run_load_tool "$@"
