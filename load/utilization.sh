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
#      space, 31 days) with curl, and the CPU the server's JVM and PostgreSQL's processes spent on
#      each (from /proc: on a shared machine, wall time is noisy), RUNS rounds of three: cold (the
#      stored days deleted first: every day computed from the changes, then stored), warm (every
#      day read from utilization_day), and after one room's effects of 15 October were rewritten
#      (as a recount does: the trigger deletes its days from then on, the report computes them
#      again); the three must give the same rows,
#   4. measures the floor: the report's own statement (printed from the server's jar by
#      load/ReportStatement.java) with the same parameters, PREPAREd and EXECUTEd RUNS times in
#      one psql session with \timing and the backend's CPU; then prints the lines of its EXPLAIN
#      (ANALYZE) that say where it sorts and aggregates,
#   5. restarts the server with the job that stores past days on (history.utilizationSummary*),
#      over every day from 1 October to today, waits (with a deadline) until utilization_day
#      holds every day of October and the job's first pass has ended (its log line), prints what
#      the pass took (wall time from its log, CPU of all of PostgreSQL from the restart on), then
#      times the report RUNS times again: the first report of the month on a server that has been
#      running; its rows must be the cold ones; then deletes October's stored days and times the
#      job's next pass (a minute later) storing them again: its CPU per space-day,
#   6. stops the server, drops the database and deletes the utilization: keys from Redis.
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
# The job that stores past days is off here: the cold rounds must find nothing stored.
start_server "$log" "$port" DENSITY_HISTORY_UTILIZATION_SUMMARY_MINUTES=0
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
server_pid=${server_pids[0]}
# CPU ticks (user + system) of the processes given as PID/stat, one line "pid ticks" each (from
# /proc: on a shared machine, wall time is noisy).
ticks_of() {
  local f
  for f in "$@"; do
    sed 's/^\([0-9]*\) ([^)]*) /\1 /' "/proc/$f" 2>/dev/null | awk '{print $1, $13 + $14}' || true
  done
}
# CPU seconds between two ticks_of listings, over the processes alive in both.
cpu_between() {
  awk -v t="$(getconf CLK_TCK)" 'NR == FNR {b[$1] = $2; next} ($1 in b) {s += $2 - b[$1]}
    END {printf "%.2f\n", s / t}' "$1" "$2"
}
# PostgreSQL's processes: every one (autovacuum, checkpoints and other databases' work included),
# and the backends of this benchmark's database alone (the server's pool; parallel workers, which
# live only during a statement, are not seen).
pg_pids() { for p in $(pgrep -u postgres); do echo "$p/stat"; done; }
db_pids() {
  local p
  for p in $("${psql_admin[@]}" -At -c "SELECT pid FROM pg_stat_activity
      WHERE datname = '$db' AND pid <> pg_backend_pid() AND backend_type = 'client backend'"); do
    echo "$p/stat"
  done
}
# One timed GET of the report: "label wall_seconds" on stdout, the details on stderr.
time_report() {
  local label=$1 line code seconds bytes
  mapfile -t pgs < <(pg_pids)
  mapfile -t dbs < <(db_pids)
  ticks_of "$server_pid/stat" >"$work/jvm0"
  ticks_of "${pgs[@]}" >"$work/pg0"
  ticks_of "${dbs[@]}" >"$work/db0"
  line=$(curl -s -o "$work/report.json" -w '%{http_code} %{time_total} %{size_download}' \
    --max-time 600 -H "Authorization: Bearer $DENSITY_TOKEN" "$url$query")
  ticks_of "$server_pid/stat" >"$work/jvm1"
  mapfile -t pgs < <(pg_pids)
  ticks_of "${pgs[@]}" >"$work/pg1"
  ticks_of "${dbs[@]}" >"$work/db1"
  read -r code seconds bytes <<<"$line"
  [[ $code == 200 ]] || { say "the report answered $code: $(head -c 300 "$work/report.json")"; exit 1; }
  rows=$(jq '.rows | length' "$work/report.json")
  echo "  $label: $seconds s, $rows rows, $bytes bytes; CPU: server JVM $(cpu_between "$work/jvm0" "$work/jvm1") s, the server's backends $(cpu_between "$work/db0" "$work/db1") s (all of PostgreSQL $(cpu_between "$work/pg0" "$work/pg1") s)" >&2
  echo "$seconds"
}
# The stored days as a digest, to check that every way of answering gives the same rows.
rows_digest() { jq -c '.rows' "$work/report.json" | sha256sum | cut -c1-16; }
say "timing GET $query, $runs times each: cold (no stored day: every day computed from the changes, then stored), warm (every day stored), after a change to one space"
cold_times=()
warm_times=()
stale_times=()
for i in $(seq 1 "$runs"); do
  "${psql_admin[@]}" -d "$db" -qc "DELETE FROM utilization_day" >/dev/null
  cold_times+=("$(time_report "cold run $i")")
  cold_digest=$(rows_digest)
  warm_times+=("$(time_report "warm run $i")")
  [[ $(rows_digest) == "$cold_digest" ]] || { say "warm rows differ from cold rows"; exit 1; }
  # A recount of one room on 15 October (as a late datapoint beyond the window does): its rows
  # from that day on are deleted by the trigger, and the next report computes them again.
  "${psql_admin[@]}" -d "$db" -qc "UPDATE space_count SET reconciled_at = now()
     WHERE space_id = 'M$i' AND ts >= '2026-10-15 12:00+02' AND ts < '2026-10-15 13:00+02'" >/dev/null
  stale_times+=("$(time_report "one space changed, run $i")")
  [[ $(rows_digest) == "$cold_digest" ]] || { say "rows after the change differ"; exit 1; }
done
server_times=("${cold_times[@]}")

say "the floor: the same statement through psql"
statement=$(java -cp "$work/density.jar" "$repo/load/ReportStatement.java" \
  io.density.history.Statements UTILIZATION)
script=$work/floor-utilization.sql
bounds_lo="(date '$first')::timestamp AT TIME ZONE 'Europe/Paris'"
bounds_hi="(date '$after')::timestamp AT TIME ZONE 'Europe/Paris'"
args="(:'ids', :'bounds', $((days + 1)), now(), $bounds_lo, $bounds_hi)"
{
  echo "SELECT array_agg(id ORDER BY path)::text AS ids FROM ("
  echo "  WITH RECURSIVE tree AS (SELECT id, ARRAY[id] AS path FROM space WHERE id = 'R'"
  echo "    UNION ALL SELECT s.id, t.path || s.id FROM space s JOIN tree t ON s.parent_id = t.id)"
  echo "  SELECT id, path FROM tree) t \\gset"
  echo "SELECT array_agg(b ORDER BY i, k)::text AS bounds FROM generate_series(1, $spaces) i,"
  echo "  LATERAL (SELECT k, (date '$first' + k)::timestamp AT TIME ZONE 'Europe/Paris' AS b"
  echo "             FROM generate_series(0, $days) k) d \\gset"
  echo "SELECT pg_backend_pid() AS pid \\gset"
  echo "\\setenv BACKEND :pid"
  echo "PREPARE report(text[], timestamptz[], int, timestamptz, timestamptz, timestamptz) AS"
  echo "$statement;"
  for _ in $(seq 1 "$runs"); do
    echo "\\! awk '{print \"CPU before\", \$14 + \$15}' /proc/\$BACKEND/stat"
    echo "\\timing on"
    echo "EXECUTE report$args \\g /dev/null"
    echo "\\timing off"
    echo "\\! awk '{print \"CPU after\", \$14 + \$15}' /proc/\$BACKEND/stat"
  done
  echo "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) EXECUTE report$args;"
} >"$script"
"${psql_admin[@]}" -d "$db" -f "$script" >"$work/floor.out"
ticks=$(getconf CLK_TCK)
mapfile -t floor_times < <(awk '/^Time: / {printf "%.3f\n", $2 / 1000}' "$work/floor.out")
mapfile -t floor_cpu < <(awk -v t="$ticks" '/^CPU before/ {b = $3} /^CPU after/ {printf "%.2f\n", ($3 - b) / t}' "$work/floor.out")
echo "  floor runs: ${floor_times[*]} s; CPU of the backend (parallel workers not included): ${floor_cpu[*]} s"
echo "  the floor's plan (sorts, workers, times):"
grep -E "Sort Method|Workers Launched|Planning Time|Execution Time|HashAggregate|GroupAggregate|WindowAgg|Seq Scan on space_count|Index Scan.*space_count" \
  "$work/floor.out" | cut -c1-140 | sed 's/^/    /'

say "the job: the server restarted with the job on over every day since $first; until utilization_day holds each of the $spaces × $days days of October"
stop_servers
"${psql_admin[@]}" -d "$db" -qc "DELETE FROM utilization_day" >/dev/null
window=$(( ($(date -u +%s) - $(date -u -d "$first" +%s)) / 86400 + 1 ))
((window <= 366)) || { say "October 2026 is more than 366 days ago: the job does not reach it"; exit 2; }
job_log=$work/utilization-job.log
start_server "$job_log" "$port" DENSITY_HISTORY_UTILIZATION_SUMMARY_MINUTES=1 \
  DENSITY_HISTORY_UTILIZATION_SUMMARY_DAYS="$window"
server_pid=${server_pids[0]}
wait_healthy "$url" "$server_pid" "$job_log" $((SECONDS + start_seconds))
job_deadline=$((SECONDS + 1200))
until (( $("${psql_admin[@]}" -d "$db" -At -c "SELECT count(*) FROM utilization_day
          WHERE day >= '$first' AND day < '$after' AND token IS NULL") == spaces * days )); do
  ((SECONDS < job_deadline)) || { say "the job did not store October in 1200 s"; exit 1; }
  sleep 0.5
done
until grep -q "stored .* utilization days in" "$job_log"; do
  ((SECONDS < job_deadline)) || { say "the job's pass did not end in 1200 s"; exit 1; }
  sleep 0.5
done
# The server's backends all started with it: their whole CPU is the start's and the pass's.
mapfile -t dbs < <(db_pids)
: >"$work/job-db0"
ticks_of "${dbs[@]}" >"$work/job-db1"
job_line=$(grep -o "stored [0-9]* utilization days in [0-9.]* s" "$job_log" | head -n 1)
job_days=$(awk '{print $2}' <<<"$job_line")
job_seconds=$(awk '{print $6}' <<<"$job_line")
job_pg=$(awk -v t="$(getconf CLK_TCK)" '{s += $2} END {printf "%.2f\n", s / t}' "$work/job-db1")
echo "  the job's first pass: $job_line ($window days × $spaces spaces; the days after October hold no effect); the server's backends $job_pg s of CPU from the restart to its end"
# October's days deleted, as triggers would after late data on day one of every space: the next
# pass (a minute after the first ended) stores them again; its cost per space-day of October.
"${psql_admin[@]}" -d "$db" -qc "DELETE FROM utilization_day WHERE day < '$after'" >/dev/null
mapfile -t dbs < <(db_pids)
ticks_of "${dbs[@]}" >"$work/job-db2"
until (( $(grep -c "stored .* utilization days in" "$job_log") >= 2 )); do
  ((SECONDS < job_deadline)) || { say "the job's second pass did not end in time"; exit 1; }
  sleep 0.5
done
ticks_of "${dbs[@]}" >"$work/job-db3"
again_line=$(grep -o "stored [0-9]* utilization days in [0-9.]* s" "$job_log" | sed -n 2p)
again_days=$(awk '{print $2}' <<<"$again_line")
again_seconds=$(awk '{print $6}' <<<"$again_line")
again_pg=$(cpu_between "$work/job-db2" "$work/job-db3")
echo "  the job's second pass, October deleted first: $again_line; the server's backends $again_pg s of CPU ($(awk -v c="$again_pg" -v d="$again_days" 'BEGIN {printf "%.2f", c * 1000 / d}') ms per space-day)"
after_job_times=()
for i in $(seq 1 "$runs"); do
  after_job_times+=("$(time_report "after the job, run $i")")
  [[ $(rows_digest) == "$cold_digest" ]] || { say "rows after the job differ"; exit 1; }
done

best() { printf '%s\n' "$@" | sort -n | head -n 1; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
server_best=$(best "${server_times[@]}")
server_median=$(median "${server_times[@]}")
warm_best=$(best "${warm_times[@]}")
warm_median=$(median "${warm_times[@]}")
stale_median=$(median "${stale_times[@]}")
floor_best=$(best "${floor_times[@]}")
floor_median=$(median "${floor_times[@]}")
rows=$(jq '.rows | length' "$work/report.json")
bytes=$(stat -c %s "$work/report.json")
echo "utilization report, $spaces spaces × $days days, $stored effects (load average $(cut -d' ' -f1-3 /proc/loadavg)):"
echo "  server, cold (GET)  median $server_median s, best $server_best s over $runs runs"
echo "  server, warm (GET)  median $warm_median s, best $warm_best s"
echo "  one space changed   median $stale_median s"
echo "  after the job (GET) median $(median "${after_job_times[@]}") s, best $(best "${after_job_times[@]}") s: the first report of the month on a server that has been running"
echo "  the job             first pass $job_days days in $job_seconds s (backends $job_pg s CPU); October again $again_days days in $again_seconds s (backends $again_pg s CPU)"
echo "  PostgreSQL alone    median $floor_median s, best $floor_best s (the statement over every day, psql)"
echo "  ratio cold / floor  $(ratio "$server_median" "$floor_median"); warm / floor $(ratio "$warm_median" "$floor_median")"
echo "UTILIZATION {\"spaces\":$spaces,\"days\":$days,\"effects\":$stored,\"rows\":${rows:-0},\"bytes\":${bytes:-0},\"server_s_median\":$server_median,\"server_s_best\":$server_best,\"warm_s_median\":$warm_median,\"warm_s_best\":$warm_best,\"one_changed_s_median\":$stale_median,\"after_job_s_median\":$(median "${after_job_times[@]}"),\"job_days\":$job_days,\"job_s\":$job_seconds,\"job_pg_cpu_s\":$job_pg,\"again_days\":$again_days,\"again_s\":$again_seconds,\"again_pg_cpu_s\":$again_pg,\"floor_s_median\":$floor_median,\"floor_s_best\":$floor_best,\"ratio\":\"$(ratio "$server_median" "$floor_median")\"}"
