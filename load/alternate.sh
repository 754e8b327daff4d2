#!/usr/bin/env bash
# Two server jars benchmarked alternately with the same load, so that a shared machine's noise falls
# on both: load/bench.sh runs jar A, B, B, A (each round), and one line per run is printed with the
# figures that compare them (rate, p99, CPU per datapoint of the server, PostgreSQL's backends and
# Redis, the same-run floor and the rate's ratio to it, spaces recounted and placed in a tail, rows
# those placements corrected and the share of space_count's updates that stayed on their page,
# counts checked and wrong). Runs of one jar move by a quarter from one to the next here, and the
# ratio to the floor less; compare means of alternated runs.
#
# Usage: load/alternate.sh [--rounds N] [--a-env K=V]... [--b-env K=V]... JAR_A JAR_B -- BENCH_ARGS...
#   --rounds N     rounds of A, B, B, A (default 1)
#   --a-env K=V, --b-env K=V
#                  a variable of that jar's runs' environment (repeat for more; the value may hold
#                  spaces), e.g. DENSITY_CONFIG=/tmp/other.json
# Each run's whole output is kept in $ALTERNATE_LOGS (default /tmp/alternate), named by its order.
# The environment of load/bench.sh applies to both (BENCH_PG_STATEMENTS, DENSITY_EGRESS_*, ...).
set -euo pipefail

rounds=1 a_env=() b_env=() jars=()
while [[ $# -gt 0 && $1 != -- ]]; do
  case $1 in
    --rounds) rounds=$2 && shift ;;
    --a-env) a_env+=("$2") && shift ;;
    --b-env) b_env+=("$2") && shift ;;
    --*) echo "alternate.sh: unknown option $1" >&2 && exit 2 ;;
    *) jars+=("$1") ;;
  esac
  shift
done
[[ ${#jars[@]} -eq 2 && $# -gt 0 ]] || {
  echo "usage: load/alternate.sh [--rounds N] [--a-env K=V]... [--b-env K=V]... JAR_A JAR_B -- BENCH_ARGS..." >&2
  exit 2
}
jar_a=${jars[0]} jar_b=${jars[1]}
shift
for jar in "$jar_a" "$jar_b"; do
  [[ -f $jar ]] || { echo "alternate.sh: no jar $jar" >&2 && exit 2; }
done

bench=$(dirname "${BASH_SOURCE[0]}")/bench.sh
logs=${ALTERNATE_LOGS:-/tmp/alternate}
mkdir -p "$logs"

printf '%-3s %-4s %10s %8s %8s %8s %8s %10s %6s %10s %10s %11s %5s %s\n' run jar 'dp/s' 'p99 ms' \
  server 'pg bknd' redis 'floor/s' ratio recounted reordered corrections 'hot' 'checked/wrong'
n=0 status=0
for ((round = 1; round <= rounds; round++)); do
  for which in A B B A; do
    n=$((n + 1))
    if [[ $which == A ]]; then
      jar=$jar_a extra=("${a_env[@]}")
    else
      jar=$jar_b extra=("${b_env[@]}")
    fi
    log="$logs/run-$n-$which.log"
    if ! env "${extra[@]}" DENSITY_JAR="$jar" "$bench" "$@" >"$log" 2>&1; then
      echo "run $n ($which) failed: see $log" >&2
      status=1
    fi
    result=$(grep '^RESULT ' "$log" | cut -c8- || true)
    floors=$(grep '^FLOORS ' "$log" | cut -c8- || true)
    if [[ -z $result || -z $floors ]]; then
      printf '%-3s %-4s %s\n' "$n" "$which" "no figures (see $log)"
      continue
    fi
    # "space_count rows updated: N, of which on their own page (HOT): M" (bench.sh): M / N
    hot=$(sed -n 's/.*space_count rows updated: \([0-9]*\), of which on their own page (HOT): \([0-9]*\).*/\1 \2/p' "$log" |
      awk '$1 > 0 {printf "%.0f%%", 100 * $2 / $1}')
    jq -nr --argjson r "$result" --argjson f "$floors" --arg n "$n" --arg w "$which" --arg hot "${hot:--}" '
      def fig: if . == null then "-" else tostring end;
      [$n, $w, ($r.accepted_per_s | fig), ($r.send_latency_ms_p99 | fig),
       ($r.send_cpu.us_per_datapoint.server | fig), ($r.send_cpu.us_per_datapoint.postgres_backends | fig),
       ($r.send_cpu.us_per_datapoint.redis | fig), ($f.pg_floor_rows_per_s | fig),
       (if ($f.pg_floor_rows_per_s // 0) > 0
        then ($r.accepted_per_s / $f.pg_floor_rows_per_s * 1000 | round / 1000 | tostring)
        else "-" end),
       ($f.reconciled_spaces | fig), ($f.reordered_spaces | fig), ($f.tail_corrections | fig), $hot,
       "\($r.counts_checked)/\($r.count_mismatches)"]
      | join("\t")' |
      while IFS=$'\t' read -r a b c d e f g h i j k l m o; do
        printf '%-3s %-4s %10s %8s %8s %8s %8s %10s %6s %10s %10s %11s %5s %s\n' \
          "$a" "$b" "$c" "$d" "$e" "$f" "$g" "$h" "$i" "$j" "$k" "$l" "$m" "$o"
      done
  done
done
exit $status
