#!/usr/bin/env bash
# The utilization report of a large space tree, beside PostgreSQL alone computing the same
# aggregate, then leaves nothing behind:
#
#   1. creates a fresh database density_utilization on 127.0.0.1:5432 (psql as user postgres) and
#      starts target/density.jar on 127.0.0.1:18091 with it (Redis key prefix utilization:), which
#      applies the schema,
#   2. writes, straight into the tables with SQL (a read benchmark: what ingest would have stored,
#      without the hour it would take through the API here):
#        - a tree of SPACES spaces in Europe/Paris: a root R, FLOORS floors F0.. under it, rooms
#          M0.. under the floors, a fifth of the rooms without a capacity,
#        - EFFECTS effects in space_count over the 31 local days of October 2026 (25 October has 25
#          hours), an equal share per space and day between 07:00 and 21:00 local time, whose
#          stored counts rise and fall between 0 and 10 (a consistent clamped count),
#        - a daily reset at 03:00 local time of every room on every day in space_reset,
#      (no datapoint rows: the report reads space_count and space_reset only),
#   3. times GET /v1/spaces/R/utilization?start=2026-10-01&end=2026-11-01&children=true (every
#      space, 31 days) RUNS times, one after the other, with curl,
#   4. measures the floor: the report's own statement (printed from the server's jar by
#      load/ReportStatement.java) with the same parameters, PREPAREd and EXECUTEd RUNS times in
#      one psql session with \timing; then prints its EXPLAIN (ANALYZE, BUFFERS) summary,
#   5. stops the server, drops the database and deletes the utilization: keys from Redis.
#
# Usage (from anywhere; build first with mvn package):
#   load/utilization.sh
#
# Environment: UTILIZATION_EFFECTS (default 10000000), UTILIZATION_SPACES (1000),
# UTILIZATION_FLOORS (9), UTILIZATION_RUNS (5), DENSITY_JAR, DENSITY_JAVA_OPTS (see lib.sh).
set -euo pipefail

tool=utilization
db=density_utilization
prefix=utilization:
port=18091
start_seconds=120
max_seconds=4000
effects=${UTILIZATION_EFFECTS:-10000000}
spaces=${UTILIZATION_SPACES:-1000}
floors=${UTILIZATION_FLOORS:-9}
runs=${UTILIZATION_RUNS:-5}
# shellcheck source=load/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

days=31
first=2026-10-01
after=2026-11-01
rooms=$((spaces - 1 - floors))
per_day=$((effects / spaces / days))
((rooms > 0 && per_day > 0)) || { say "too few spaces or effects"; exit 2; }

url=http://127.0.0.1:$port
check_setup "$port"
fresh_database
start_server "$log" "$port"
wait_healthy "$url" "${server_pids[0]}" "$log" $((SECONDS + start_seconds))
rebuild_without_redis_cli "$url"

say "writing $spaces spaces, $((spaces * days * per_day)) effects and the daily resets"
started=$SECONDS
"${psql_admin[@]}" -d "$db" -c "
  INSERT INTO space (id, name, parent_id, time_zone, capacity, daily_reset)
  SELECT 'R', 'Site', NULL, 'Europe/Paris', 2000, NULL::time
  UNION ALL
  SELECT 'F' || f, 'Floor ' || f, 'R', 'Europe/Paris', 250, NULL FROM generate_series(0, $floors - 1) f
  UNION ALL
  SELECT 'M' || m, 'Room ' || m, 'F' || (m % $floors), 'Europe/Paris',
         CASE WHEN m % 5 = 0 THEN NULL ELSE 10 + m % 30 END, time '03:00'
    FROM generate_series(0, $rooms - 1) m;
  SELECT density_ensure_partitions(ARRAY[date '2026-09-01', date '2026-10-01', date '2026-11-01']);
  INSERT INTO space_reset (space_id, ts, count, kind)
  SELECT s.id, (date '$first' + d + time '03:00') AT TIME ZONE 'Europe/Paris', 0, 'daily'
    FROM space s, generate_series(0, $days - 1) d WHERE s.daily_reset IS NOT NULL;" >/dev/null
# One statement per day keeps each transaction moderate; rows go in time order, every space's
# interleaved with the others', as live ingest stores them.
for d in $(seq 0 $((days - 1))); do
  "${psql_admin[@]}" -d "$db" -c "
    INSERT INTO space_count (space_id, ts, delta, datapoint_id, arrival_count, count)
    SELECT s.id,
           (date '$first' + $d + time '07:00') AT TIME ZONE 'Europe/Paris'
             + j * (interval '14 hours' / $per_day) + (s.n % 97) * interval '1 second',
           CASE WHEN j % 20 < 10 THEN 1 ELSE -1 END,
           (s.n * $days + $d)::bigint * $per_day + j,
           CASE WHEN j % 20 < 10 THEN j % 20 + 1 ELSE 19 - j % 20 END,
           CASE WHEN j % 20 < 10 THEN j % 20 + 1 ELSE 19 - j % 20 END
      FROM generate_series(0, $per_day - 1) j,
           (SELECT id, row_number() OVER (ORDER BY id) AS n FROM space) s
     ORDER BY j, s.n;"
done
"${psql_admin[@]}" -d "$db" -c "VACUUM ANALYZE space_count" -c "VACUUM ANALYZE space_reset" \
  -c "ANALYZE space"
stored=$("${psql_admin[@]}" -d "$db" -At -c "SELECT count(*) FROM space_count")
say "written in $((SECONDS - started)) s: $stored effects"

query="/v1/spaces/R/utilization?start=$first&end=$after&children=true"
say "timing GET $query, $runs times"
server_times=()
for i in $(seq 1 "$runs"); do
  line=$(curl -s -o "$work/report.json" -w '%{http_code} %{time_total} %{size_download}' \
    --max-time 600 -H "Authorization: Bearer $DENSITY_TOKEN" "$url$query")
  read -r code seconds bytes <<<"$line"
  [[ $code == 200 ]] || { say "the report answered $code: $(head -c 300 "$work/report.json")"; exit 1; }
  rows=$(jq '.rows | length' "$work/report.json")
  echo "  server run $i: $seconds s, $rows rows, $bytes bytes"
  server_times+=("$seconds")
done

say "the floor: the same statement through psql"
statement=$(java -cp "$work/density.jar" "$repo/load/ReportStatement.java" \
  io.density.history.Statements UTILIZATION)
script=$work/floor-utilization.sql
{
  echo "SELECT array_agg(id ORDER BY path)::text AS ids FROM ("
  echo "  WITH RECURSIVE tree AS (SELECT id, ARRAY[id] AS path FROM space WHERE id = 'R'"
  echo "    UNION ALL SELECT s.id, t.path || s.id FROM space s JOIN tree t ON s.parent_id = t.id)"
  echo "  SELECT id, path FROM tree) t \\gset"
  echo "SELECT array_agg(b ORDER BY i, k)::text AS bounds FROM generate_series(1, $spaces) i,"
  echo "  LATERAL (SELECT k, (date '$first' + k)::timestamp AT TIME ZONE 'Europe/Paris' AS b"
  echo "             FROM generate_series(0, $days) k) d \\gset"
  echo "PREPARE report(text[], timestamptz[], int, timestamptz) AS"
  echo "$statement;"
  echo "\\timing on"
  for _ in $(seq 1 "$runs"); do
    echo "EXECUTE report(:'ids', :'bounds', $((days + 1)), now()) \\g /dev/null"
  done
  echo "\\timing off"
  echo "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY ON) EXECUTE report(:'ids', :'bounds', $((days + 1)), now());"
} >"$script"
"${psql_admin[@]}" -d "$db" -f "$script" >"$work/floor.out"
mapfile -t floor_times < <(awk '/^Time: / {printf "%.3f\n", $2 / 1000}' "$work/floor.out")
echo "  floor runs (s): ${floor_times[*]}"
echo "  plan of the floor (top and summary):"
grep -E "Execution Time|Planning Time|Sort Method|Nested Loop|Index|Bitmap|Seq Scan on space_count" \
  "$work/floor.out" | sort | uniq -c | sort -rn | head -n 12 | sed 's/^/    /'

best() { printf '%s\n' "$@" | sort -n | head -n 1; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
server_best=$(best "${server_times[@]}")
server_median=$(median "${server_times[@]}")
floor_best=$(best "${floor_times[@]}")
floor_median=$(median "${floor_times[@]}")
echo "utilization report, $spaces spaces × $days days, $stored effects:"
echo "  server (GET, JSON)  median $server_median s, best $server_best s over $runs runs"
echo "  PostgreSQL alone    median $floor_median s, best $floor_best s (the same statement, psql)"
echo "  ratio (median)      $(ratio "$server_median" "$floor_median")"
echo "UTILIZATION {\"spaces\":$spaces,\"days\":$days,\"effects\":$stored,\"rows\":${rows:-0},\"bytes\":${bytes:-0},\"server_s_median\":$server_median,\"server_s_best\":$server_best,\"floor_s_median\":$floor_median,\"floor_s_best\":$floor_best,\"ratio\":\"$(ratio "$server_median" "$floor_median")\"}"
