# Shared by load/bench.sh, load/late.sh and load/cluster.sh (sourced, not run): runs load tools
# against servers of their own on the local PostgreSQL and Redis, then leaves nothing behind:
#
#   1. creates a fresh database $db on 127.0.0.1:5432 (psql as user postgres),
#   2. starts copies of the jar on 127.0.0.1 with that database and Redis key prefix $prefix,
#   3. waits for their GET /health (at most $start_seconds each),
#   4. runs load tools (each killed after $max_seconds),
#   5. stops the servers, drops the database and deletes the $prefix keys from Redis, also when
#      interrupted.
#
# The sourcing script sets tool (its name), db, prefix, start_seconds and max_seconds. bench.sh and
# late.sh also set port and call run_load_tool "$@": one server on $port, then
# `load $tool --url ... "$@"`. cluster.sh composes the steps itself (check_setup, fresh_database,
# start_server, wait_healthy, run_tool). DENSITY_JAR picks another server jar than
# target/density.jar, DENSITY_LOAD_JAR another load-tools jar than target/density-load.jar.

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jar=${DENSITY_JAR:-$repo/target/density.jar}
load_jar=${DENSITY_LOAD_JAR:-$repo/target/density-load.jar}
psql_admin=(env PGOPTIONS=--client-min-messages=warning psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p 5432 -U postgres -d postgres)

server_pids=()
server_logs=()
tool_pid=""
db_created=""
work=$(mktemp -d "${TMPDIR:-/tmp}/density-$tool.XXXXXX")
log=$work/server.log

say() { echo "$tool.sh: $*" >&2; }

# Deletes the $prefix keys, so that no realtime state outlives its database.
clear_redis() {
  if command -v redis-cli >/dev/null 2>&1; then
    redis-cli -h 127.0.0.1 -p 6379 --scan --pattern "${prefix}*" \
      | xargs -r -n 1000 redis-cli -h 127.0.0.1 -p 6379 unlink >/dev/null \
      || say "could not delete the ${prefix}* keys from Redis"
  fi
}

# Stops every server started: SIGTERM to all of them at once, up to 30 s for them to exit, then
# SIGKILL to those still running.
stop_servers() {
  local pid alive
  for pid in ${server_pids[@]+"${server_pids[@]}"}; do
    if kill -0 "$pid" 2>/dev/null; then
      say "stopping the server (pid $pid)"
      kill "$pid" 2>/dev/null || true
    fi
  done
  for _ in $(seq 1 60); do
    alive=""
    for pid in ${server_pids[@]+"${server_pids[@]}"}; do
      if kill -0 "$pid" 2>/dev/null; then
        alive=yes
      fi
    done
    [[ -n "$alive" ]] || break
    sleep 0.5
  done
  for pid in ${server_pids[@]+"${server_pids[@]}"}; do
    if kill -0 "$pid" 2>/dev/null; then
      say "the server (pid $pid) did not stop in 30 s, killing it"
      kill -9 "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  server_pids=()
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$tool_pid" ]] && kill -0 "$tool_pid" 2>/dev/null; then
    kill "$tool_pid" 2>/dev/null || true
    wait "$tool_pid" 2>/dev/null || true
  fi
  stop_servers
  # Only what this run made: a run refused at the start (another one holds the port) must not
  # drop the database or delete the Redis keys of the run it found.
  if [[ -n "$db_created" ]]; then
    "${psql_admin[@]}" -c "DROP DATABASE IF EXISTS $db" || say "could not drop database $db"
    clear_redis
  fi
  rm -f "$work/density.jar" "$work/density-load.jar"
  local server_log
  for server_log in ${server_logs[@]+"${server_logs[@]}"}; do
    say "server log: $server_log"
  done
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# check_setup PORT...: the jar and curl are there and nothing answers on the ports; then copies
# the jar, so that a rebuild of target/ during the run cannot break the servers or the tools.
check_setup() {
  [[ -f "$jar" ]] || { say "no $jar: build it first (mvn -B package -DskipTests)"; exit 1; }
  [[ -f "$load_jar" ]] || { say "no $load_jar: build it first (mvn -B package -DskipTests)"; exit 1; }
  command -v curl >/dev/null || { say "curl is needed to wait for the server"; exit 1; }
  local p
  for p in "$@"; do
    if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$p/health"; then
      say "something already answers on port $p; stop it first"
      exit 1
    fi
  done
  cp "$jar" "$work/density.jar"
  cp "$load_jar" "$work/density-load.jar"
}

# Drops and creates the database $db, and deletes the $prefix keys from Redis.
fresh_database() {
  say "creating database $db"
  "${psql_admin[@]}" -c "DROP DATABASE IF EXISTS $db"
  db_created=yes
  "${psql_admin[@]}" -c "CREATE DATABASE $db"
  clear_redis
  make_token
}

# Makes an admin token in $db (which gets the schema) and exports it as DENSITY_TOKEN, which the
# load tools send as their Bearer token.
make_token() {
  DENSITY_TOKEN=$(env DENSITY_PG_URL="postgresql://postgres@127.0.0.1:5432/$db" \
    java -jar "$work/density.jar" token create --scope admin --name load 2>/dev/null | tail -n 1)
  [[ $DENSITY_TOKEN == dens_* ]] || { say "could not make an API token in $db"; exit 1; }
  export DENSITY_TOKEN
}

# start_server LOG PORT [NAME=VALUE...]: starts the jar's copy on 127.0.0.1:PORT with the database
# $db, the Redis prefix $prefix and the environment given, its output to LOG, in the background.
start_server() {
  local server_log=$1 http_port=$2 jvm_options=()
  shift 2
  # DENSITY_JAVA_OPTS: extra JVM options of the server, e.g. a profiler's -agentpath.
  read -r -a jvm_options <<<"${DENSITY_JAVA_OPTS:-}"
  env DENSITY_PG_URL="postgresql://postgres@127.0.0.1:5432/$db" \
    DENSITY_REDIS_PREFIX="$prefix" \
    DENSITY_HTTP_PORT="$http_port" \
    DENSITY_HTTP_HOST=127.0.0.1 \
    "$@" \
    java ${jvm_options[@]+"${jvm_options[@]}"} -jar "$work/density.jar" >"$server_log" 2>&1 &
  server_pids+=("$!")
  server_logs+=("$server_log")
}

# wait_healthy URL PID LOG DEADLINE: until GET URL/health answers; exits 1 when the server (PID,
# its output in LOG) exits first or $SECONDS reaches DEADLINE.
wait_healthy() {
  local server_url=$1 pid=$2 server_log=$3 deadline=$4
  until curl -sf -o /dev/null --max-time 2 "$server_url/ready"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "the server exited during start:"
      tail -n 30 "$server_log" >&2
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      say "the server was not healthy after $start_seconds s:"
      tail -n 30 "$server_log" >&2
      exit 1
    fi
    sleep 0.5
  done
}

# Without redis-cli the $prefix keys of an earlier run may remain: replaces them from the fresh
# (empty) database through the server at URL.
rebuild_without_redis_cli() {
  if ! command -v redis-cli >/dev/null 2>&1; then
    curl -sf -o /dev/null --max-time 60 -H "Authorization: Bearer $DENSITY_TOKEN" \
      -X POST "$1/v1/admin/rebuild" \
      || { say "POST /v1/admin/rebuild failed"; exit 1; }
  fi
}

# run_tool TOOL [ARGS...]: runs the load tool TOOL with ARGS from the load jar's copy (killed
# after $max_seconds) and returns its status.
run_tool() {
  local limit=()
  if command -v timeout >/dev/null 2>&1; then
    limit=(timeout --kill-after=30 "$max_seconds")
  fi
  # In the background, so that a signal to this script runs the cleanup at once.
  ${limit[@]+"${limit[@]}"} java -jar "$work/density-load.jar" "$@" &
  tool_pid=$!
  local status=0
  wait "$tool_pid" || status=$?
  tool_pid=""
  return "$status"
}

# Sets up the database and one server on $port, runs `load $tool` with the arguments given (for
# bench, also the options that measure where the send phase's time goes: bench_measure_options),
# and exits with its status (1 when the setup failed).
run_load_tool() {
  local url=http://127.0.0.1:$port
  # --help: the script's own comment and the tool's options, touching no database or server.
  local arg
  for arg in "$@"; do
    if [[ $arg == -h || $arg == --help ]]; then
      sed -n '2,/^set -euo pipefail$/p' "$0" | sed -n 's/^# \{0,1\}//p'
      [[ -f "$load_jar" ]] && java -jar "$load_jar" "$tool" --help
      exit 0
    fi
  done
  check_setup "$port"
  fresh_database
  say "starting the server on port $port (log: $log)"
  start_server "$log" "$port"
  wait_healthy "$url" "${server_pids[0]}" "$log" $((SECONDS + start_seconds))
  rebuild_without_redis_cli "$url"
  measure_options=()
  if [[ $tool == bench ]]; then
    bench_measure_options
  fi
  say "server healthy; running: load $tool --url $url $*"
  local status=0
  run_tool "$tool" --url "$url" ${measure_options[@]+"${measure_options[@]}"} "$@" \
    > >(tee "$work/tool.out") || status=$?
  # The sourcing script's after_tool, if any, runs while the server is still up (floors): given
  # the tool's output and the server's URL.
  if declare -F after_tool >/dev/null; then
    after_tool "$work/tool.out" "$url" || status=$((status == 0 ? 1 : status))
  fi
  exit "$status"
}

# ---------------------------------------------------------------- where the time goes
#
# CPU per datapoint by process over the send phase: `load bench` reads /proc/PID/stat itself
# right before and right after that phase (--cpu-pids, --cpu-pg-db), for the servers started here,
# Redis, every postgres process and its own JVM. PostgreSQL and Redis serve the whole machine:
# whatever else uses them meanwhile counts too.

# process_pid NAME: the id of the first process whose command name is NAME; fails when there is none.
process_pid() {
  pgrep -x "$1" | head -n 1
}

# redis_pid: the process id of the Redis on 127.0.0.1:6379 (empty when unknown).
redis_pid() {
  local pid=""
  if command -v redis-cli >/dev/null 2>&1; then
    pid=$(redis-cli -h 127.0.0.1 -p 6379 info server 2>/dev/null \
      | tr -d '\r' | awk -F: '$1 == "process_id" {print $2}')
  fi
  [[ -n "$pid" ]] || pid=$(process_pid redis-server || true)
  echo "$pid"
}

# bench_measure_options: sets the array measure_options to the `load bench` options that measure
# the send phase: the CPU of the servers started (server_pids), of Redis and of every postgres
# process (the backends of $db apart), and with egress on of the local nats-server and mosquitto; with BENCH_PG_STATEMENTS=1 and pg_stat_statements
# preloaded, also the phase hook that gathers its statements over the send phase.
bench_measure_options() {
  local servers redis cpu
  servers=$(IFS=+; echo "${server_pids[*]}")
  cpu="server=$servers"
  redis=$(redis_pid)
  if [[ -n "$redis" ]]; then
    cpu+=",redis=$redis"
  fi
  # with egress on (the server's environment), the brokers it publishes to
  local broker
  if [[ -n ${DENSITY_EGRESS_NATS_URL:-} ]] && broker=$(process_pid nats-server); then
    cpu+=",nats_server=$broker"
  fi
  if [[ ${DENSITY_EGRESS_MQTT_ENABLED:-} =~ ^(on|true)$ ]] && broker=$(process_pid mosquitto); then
    cpu+=",mosquitto=$broker"
  fi
  measure_options=(--cpu-pids "$cpu" --cpu-pg-db "$db")
  if pg_statements_setup; then
    measure_options+=(--phase-hook "$work/phase-hook.sh")
  fi
}

# pg_statements_setup: with BENCH_PG_STATEMENTS=1, when PostgreSQL preloads pg_stat_statements,
# creates the extension in $db and writes $work/phase-hook.sh, which resets the statistics of $db
# right before the send phase and saves its 10 statements of most total time right after (in
# $work/pg-statements.tsv), and apart the raw-log insert's calls, rows and total ms (in
# $work/pg-insert.tsv, for the per-row comparison with the floor's insert); when it is not
# preloaded, says so (in $work/pg-statements.txt, which print_pg_statements prints). Fails when
# there is no hook to run.
pg_statements_setup() {
  [[ ${BENCH_PG_STATEMENTS:-0} == 1 ]] || return 1
  local preload
  preload=$("${psql_admin[@]}" -At -c "SELECT current_setting('shared_preload_libraries')")
  if [[ $preload != *pg_stat_statements* ]]; then
    echo "pg_stat_statements: not in shared_preload_libraries ('$preload'), so no breakdown" \
      "(load/README.md says how to preload it)" >"$work/pg-statements.txt"
    say "BENCH_PG_STATEMENTS=1 but PostgreSQL does not preload pg_stat_statements: no breakdown"
    return 1
  fi
  "${psql_admin[@]}" -d "$db" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
  {
    echo '#!/bin/sh'
    echo '# load bench --phase-hook: $1 is the phase (send), $2 start or end.'
    printf 'db=%q\nout=%q\ninsert=%q\n' "$db" "$work/pg-statements.tsv" "$work/pg-insert.tsv"
    cat <<'SH'
set -e
psql() {
  env PGOPTIONS=--client-min-messages=warning psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 \
    -p 5432 -U postgres -d "$db" "$@"
}
case "$2" in
  start)
    psql -At -c "SELECT pg_stat_statements_reset(0, oid, 0) FROM pg_database
                  WHERE datname = current_database()" >/dev/null
    ;;
  end)
    psql -At -F "$(printf '\t')" -c "
      WITH s AS (
        SELECT calls, rows, total_exec_time AS t, query FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND query NOT LIKE '%pg_stat_statements%')
      SELECT calls, rows, round(t::numeric, 1),
             round((100 * t / nullif(sum(t) OVER (), 0))::numeric, 1),
             left(regexp_replace(query, '\s+', ' ', 'g'), 100)
        FROM s ORDER BY t DESC LIMIT 10" >"$out"
    # the raw-log insert (persistence/intake Statements.INSERT_DATAPOINTS): the statement that opens an
    # uncounted batch and inserts into datapoint
    psql -At -F "$(printf '\t')" -c "
      SELECT sum(calls), sum(rows), round(sum(total_exec_time)::numeric, 1) FROM pg_stat_statements
       WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND query LIKE '%INSERT INTO uncounted_batch%INSERT INTO datapoint (%'
      HAVING sum(calls) > 0" >"$insert"
    ;;
esac
SH
  } >"$work/phase-hook.sh"
  chmod +x "$work/phase-hook.sh"
}

# print_pg_statements: the statements saved by the phase hook, or why there are none.
print_pg_statements() {
  if [[ -s $work/pg-statements.tsv ]]; then
    echo "pg_stat_statements over the send phase, $db, top 10 by total time (times include" \
      "waiting for a core: compare shares):"
    awk -F '\t' 'BEGIN {printf "  %9s %10s %11s %6s  %s\n", "calls", "rows", "total ms", "share", "query"}
      {printf "  %9s %10s %11s %5s%%  %s\n", $1, $2, $3, $4, $5}' "$work/pg-statements.tsv"
  elif [[ -f $work/pg-statements.txt ]]; then
    cat "$work/pg-statements.txt"
  elif [[ ${BENCH_PG_STATEMENTS:-0} == 1 ]]; then
    echo "pg_stat_statements: the phase hook saved nothing (see the tool's output)"
  fi
}

# counting_metrics URL...: "RECONCILED REORDERED CORRECTIONS", the servers'
# density_reconciled_spaces_total (spaces recounted in SQL after late effects),
# density_reordered_spaces_total (spaces whose effects out of order were placed in their tail in
# Redis, no recount) and density_tail_corrections_total (rows of space_count those placements
# corrected, one row update each), from GET /metrics, each summed over the servers; "n/a" for a
# counter no server reported.
counting_metrics() {
  local url metrics name value i
  local -a names=(density_reconciled_spaces_total density_reordered_spaces_total
    density_tail_corrections_total)
  local -a sums=(0 0 0) known=("" "" "")
  for url in "$@"; do
    metrics=$(curl -sf --max-time 10 -H "Authorization: Bearer $DENSITY_TOKEN" "$url/metrics") \
      || continue
    for i in 0 1 2; do
      name=${names[$i]}
      value=$(awk -v name="$name" '$1 == name || index($1, name "{") == 1 {s += $NF; n++}
        END {if (n) printf "%.0f\n", s}' <<<"$metrics")
      if [[ -n "$value" ]]; then
        sums[$i]=$((sums[i] + value))
        known[$i]=yes
      fi
    done
  done
  for i in 0 1 2; do
    [[ -n "${known[$i]}" ]] || sums[$i]=n/a
  done
  echo "${sums[*]}"
}

# correction_lag URL...: "WRITES OVER_1S MAX_MS", from the servers' density_correction_lag (from
# the commit of the part that first corrected a row, when its request can be answered, to the
# row's write; the earliest of each write): how many writes of held corrections, how many of them
# came more than a second after that (the contract's reconciliation lag), and the longest (the
# timer's recent maximum); "n/a n/a n/a" when no server reported it.
correction_lag() {
  local url metrics line writes=0 over=0 max=0 known=""
  for url in "$@"; do
    metrics=$(curl -sf --max-time 10 -H "Authorization: Bearer $DENSITY_TOKEN" "$url/metrics") \
      || continue
    line=$(awk '
      $1 == "density_correction_lag_seconds_count" {n = $NF; seen = 1}
      index($1, "density_correction_lag_seconds_bucket{") == 1 && $1 ~ /le="1(\.0)?"/ {within = $NF}
      $1 == "density_correction_lag_seconds_max" {max = $NF}
      END {if (seen) printf "%.0f %.0f %.0f\n", n, n - within, max * 1000}' <<<"$metrics")
    [[ -n $line ]] || continue
    known=yes
    read -r n o m <<<"$line"
    writes=$((writes + n))
    over=$((over + o))
    ((m > max)) && max=$m
  done
  if [[ -n $known ]]; then
    echo "$writes $over $max"
  else
    echo "n/a n/a n/a"
  fi
}

# pg_ticks FILE: reads the processes named postgres of user postgres into FILE, one a line: pid,
# parent's pid, and CPU time in clock ticks (utime + stime, and the children's, cutime + cstime:
# the postmaster holds the backends that exited).
pg_ticks() {
  local pid
  for pid in $(pgrep -u postgres -x postgres); do
    sed 's/^\([0-9]*\) (.*) /\1 /' "/proc/$pid/stat" 2>/dev/null \
      | awk '{print $1, $3, $13 + $14 + $15 + $16}' || true
  done >"$1"
}

# pg_cpu_seconds BEFORE AFTER: PostgreSQL's CPU seconds between two pg_ticks readings: what each
# process read after gained (all of it when it started since), less what the processes that
# ended had before, when a process read after reaped them (their whole time is in its children's).
pg_cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '
    FNR == NR {before[$1] = $3; parent[$1] = $2; next}
    {after[$1] = $3; ticks += $3 - ($1 in before ? before[$1] : 0)}
    END {
      for (p in before) if (!(p in after) && (parent[p] in after)) ticks -= before[p]
      printf "%.2f\n", ticks / hz
    }' "$1" "$2"
}

# ---------------------------------------------------------------- the machine's own floors
#
# What PostgreSQL or Redis alone does with the same work on this machine, measured in the same
# run (the machine is shared and noisy: a figure means little without its floor beside it).

# pg_insert_floor CLIENTS ROWS SECONDS: rows/s that PostgreSQL alone inserts into a copy of the raw
# log's shape (the same columns, its primary key and unique dedupe index), ROWS per statement from
# CLIENTS clients, in the benchmark's database.
pg_insert_floor() {
  local clients=$1 rows=$2 seconds=$3 script=$work/floor-insert.sql
  "${psql_admin[@]}" -d "$db" -c "
    DROP TABLE IF EXISTS floor_datapoint;
    CREATE TABLE floor_datapoint (
      id bigserial PRIMARY KEY, dpu_id text NOT NULL, ts timestamptz NOT NULL,
      direction smallint NOT NULL, dedupe_key text NOT NULL, received_at timestamptz NOT NULL,
      payload text NOT NULL);
    CREATE UNIQUE INDEX ON floor_datapoint (dpu_id, dedupe_key, ts);"
  cat >"$script" <<'SQL'
INSERT INTO floor_datapoint (dpu_id, ts, direction, dedupe_key, received_at, payload)
SELECT 'dpu-' || (random() * 100000)::int, t, 1,
       (extract(epoch FROM t) * 1000000)::bigint || ':1', now(),
       '{"timestamp":"2026-01-01T00:00:00.000Z","direction":1,"dpu_id":"dpu-1"}'
  FROM (SELECT now() - random() * interval '1 day' AS t FROM generate_series(1, :rows)) r;
SQL
  local out cpu statements=""
  if [[ -x $work/phase-hook.sh ]]; then
    # pg_stat_statements collects: the floor's own insert too, for the per-row comparison
    statements=yes
    "${psql_admin[@]}" -d "$db" -At -c "SELECT pg_stat_statements_reset(0, oid, 0) FROM pg_database
      WHERE datname = current_database()" >/dev/null
  fi
  pg_ticks "$work/floor-ticks-before.txt"
  pgbench -n -h 127.0.0.1 -p 5432 -U postgres -c "$clients" -j 2 -T "$seconds" \
    -D rows="$rows" -f "$script" "$db" >"$work/floor-pgbench.out" 2>"$work/floor-pgbench.err" &
  local pgbench_pid=$!
  if [[ -n $statements ]]; then
    statement_window "$seconds" 'INSERT INTO floor_datapoint%' "$rows" "$work/pg-floor-insert.tsv"
  fi
  wait "$pgbench_pid" || true
  out=$(cat "$work/floor-pgbench.out")
  if ! grep -q '^tps = ' <<<"$out"; then
    # the floor is then 0; say why (e.g. more clients than PostgreSQL's connections left)
    say "pgbench failed: $(grep -m 1 -iE 'error|fatal' "$work/floor-pgbench.err" || tail -n 1 "$work/floor-pgbench.err")"
  fi
  pg_ticks "$work/floor-ticks-after.txt"
  cpu=$(pg_cpu_seconds "$work/floor-ticks-before.txt" "$work/floor-ticks-after.txt")
  # PostgreSQL's CPU per row inserted, for print_bench_floors (this runs in a subshell)
  awk -v cpu="$cpu" -v r="$rows" \
    '/^number of transactions actually processed: / {n = $6 * r}
     END {if (n > 0) printf "%.1f\n", cpu * 1e6 / n}' <<<"$out" >"$work/floor-cpu.txt"
  awk -v r="$rows" '/^tps = / {printf "%.0f\n", $3 * r; f = 1; exit} END {if (!f) print 0}' \
    <<<"$out"
}

# pg_raw_insert_alone CLIENTS ROWS SECONDS DPUS: the server's own raw-log insert
# (persistence/intake Statements.INSERT_DATAPOINTS, printed from the server's jar) run by PostgreSQL
# alone, as pgbench runs the floor (but as the server sends it: prepared once, its arrays as
# parameters): ROWS datapoints per statement from CLIENTS clients, of DPUs
# dpu-0 .. dpu-(DPUS-1) of the benchmark's building (so every datapoint meets its link), each
# statement in a transaction that is rolled back, so that no batch it opens is ever seen by the
# server (its recovery sweep would count it) and the raw log keeps only the benchmark's
# datapoints. Writes "calls rows total_ms backend_cpu_us_per_row" to $work/pg-raw-insert.tsv
# (statement_window: the times from pg_stat_statements, so this needs it collecting; the CPU of
# pgbench's backends), and the same to $work/pg-raw-params.tsv for a statement that only takes
# the same parameters (pgbench's backends make the rows and parse them: CPU that is not the
# insert's; the floor makes its rows inside its statement). The statement's execution time does
# not include the commit, so rolling back leaves it as it is.
pg_raw_insert_alone() {
  local clients=$1 rows=$2 seconds=$3 dpus=$4 statement
  rm -f "$work/pg-raw-insert.tsv" "$work/pg-raw-params.tsv"
  statement=$(java -cp "$work/density.jar" "$repo/load/ReportStatement.java" \
    io.density.persistence.intake.Statements INSERT_DATAPOINTS) || return 0
  pgbench_statement "$clients" "$rows" "$seconds" "$dpus" "$statement" \
    '%INSERT INTO uncounted_batch%INSERT INTO datapoint (%' "$work/pg-raw-insert.tsv"
  [[ -s $work/pg-raw-insert.tsv ]] || return 0
  # the same parameters, made and bound, without the insert: its CPU is not the statement's
  pgbench_statement "$clients" "$rows" "$seconds" "$dpus" \
    "SELECT cardinality(\$1::text[]) + cardinality(\$2::timestamptz[]) + cardinality(\$3::int2[])
            + cardinality(\$4::text[]) + cardinality(\$5::timestamptz[]) + cardinality(\$6::text[])
            AS raw_insert_parameters" \
    '%AS raw_insert_parameters%' "$work/pg-raw-params.tsv"
}

# pgbench_statement CLIENTS ROWS SECONDS DPUS STATEMENT PATTERN OUT: pg_raw_insert_alone's run of
# STATEMENT (whose $1..$6 are the raw-log insert's parameters) by pgbench; statement_window's
# figures of the statements LIKE PATTERN to OUT.
pgbench_statement() {
  local clients=$1 rows=$2 seconds=$3 dpus=$4 statement=$5 pattern=$6 out=$7
  local script=$work/raw-insert.sql
  {
    cat <<'SQL'
SELECT array_agg(dpu)::text AS p_dpu, array_agg(t)::text AS p_ts, array_agg(dir)::text AS p_dir,
       array_agg((extract(epoch FROM t) * 1000000)::bigint || ':' || dir)::text AS p_key,
       array_agg(now())::text AS p_received,
       array_agg('{"timestamp":"2026-01-01T00:00:00.000Z","direction":' || dir
                 || ',"dpu_id":"' || dpu || '"}')::text AS p_payload
  FROM (SELECT 'dpu-' || floor(random() * :dpus)::int AS dpu,
               greatest(now() - random() * interval '1 hour', date_trunc('month', now())) AS t,
               CASE WHEN random() < 0.5 THEN 1 ELSE -1 END AS dir
          FROM generate_series(1, :rows)) r \gset
BEGIN;
SQL
    # the statement's parameters become the arrays just made (parameters again: -M prepared)
    sed -e 's/\$1::/:p_dpu::/; s/\$2::/:p_ts::/; s/\$3::/:p_dir::/; s/\$4::/:p_key::/' \
      -e 's/\$5::/:p_received::/; s/\$6::/:p_payload::/' <<<"$statement"
    echo ';'
    echo 'ROLLBACK;'
  } >"$script"
  pgbench -n -h 127.0.0.1 -p 5432 -U postgres -c "$clients" -j 2 -T "$seconds" -M prepared \
    -D rows="$rows" -D dpus="$dpus" -f "$script" "$db" >"$work/raw-pgbench.out" \
    2>"$work/raw-pgbench.err" &
  local pgbench_pid=$!
  statement_window "$seconds" "$pattern" "$rows" "$out"
  wait "$pgbench_pid" || true
  if ! grep -q '^tps = ' "$work/raw-pgbench.out"; then
    say "pgbench failed on the raw-log insert: $(grep -m 1 -iE 'error|fatal' "$work/raw-pgbench.err" || tail -n 1 "$work/raw-pgbench.err")"
    rm -f "$out"
  fi
}

# pgbench_backends: "pid ticks" of each backend of $db that pgbench has open (its CPU time so far,
# utime + stime in clock ticks).
pgbench_backends() {
  local pid
  for pid in $("${psql_admin[@]}" -d "$db" -At -c "SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = 'pgbench'"); do
    sed 's/^\([0-9]*\) (.*) /\1 /' "/proc/$pid/stat" 2>/dev/null | awk '{print $1, $13 + $14}' || true
  done
}

# statement_window SECONDS PATTERN ROWS OUT: while pgbench runs for SECONDS, from its first second
# to 3 s before its end: the calls and execution time of its statement (pg_stat_statements, query
# LIKE PATTERN) and the CPU time of its own backends (/proc), so that neither the rest of
# PostgreSQL nor other databases count. Writes "calls rows total_ms backend_cpu_us_per_row" to
# OUT (rows: calls times ROWS, the rows each statement inserts).
statement_window() {
  local seconds=$1 pattern=$2 rows=$3 out=$4
  rm -f "$out"
  sleep 1
  "${psql_admin[@]}" -d "$db" -At -c "SELECT pg_stat_statements_reset(0, oid, 0) FROM pg_database
    WHERE datname = current_database()" >/dev/null
  pgbench_backends >"$out.before"
  sleep $((seconds - 4))
  pgbench_backends >"$out.after"
  local line cpu
  line=$("${psql_admin[@]}" -d "$db" -At -F ' ' -c "
    SELECT sum(calls), sum(calls) * $rows, round(sum(total_exec_time)::numeric, 1)
      FROM pg_stat_statements
     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND query LIKE '$pattern'
    HAVING sum(calls) > 0") || return 0
  [[ -n $line ]] || return 0
  # null when pgbench's backends could not be read at both ends (say, no connection was left)
  cpu=$(awk -v hz="$(getconf CLK_TCK)" 'FNR == NR {before[$1] = $2; next}
    $1 in before {t += $2 - before[$1]; n++} END {if (n) printf "%.6f\n", t / hz; else print "null"}' \
    "$out.before" "$out.after")
  awk -v cpu="$cpu" '{printf "%s %s %s %s\n", $1, $2, $3,
    cpu == "null" ? "null" : sprintf("%.1f", cpu * 1e6 / $2)}' <<<"$line" >"$out"
}

# redis_get_floor CLIENTS: GETs per second that Redis alone answers to CLIENTS clients.
redis_get_floor() {
  redis-benchmark -h 127.0.0.1 -p 6379 -c "$1" -n 400000 -t get --csv 2>/dev/null \
    | awk -F'"' '/^"GET"/ {printf "%.0f\n", $4; exit}'
}

# json_number VALUE: VALUE when it is a whole number, else null.
json_number() {
  if [[ $1 =~ ^[0-9]+$ ]]; then echo "$1"; else echo null; fi
}

# ratio A B: A / B with two decimals ("n/a" when B is 0 or missing).
ratio() {
  awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN {if (b > 0 && a ~ /^[0-9.]+$/) printf "%.2f\n", a / b; else print "n/a"}'
}

# How many stored counts were reconciled after arrival (late effects) in the run's database: a
# figure of how much recounting the run caused.
print_reconciled() {
  local line
  line=$("${psql_admin[@]}" -d "$db" -At -F ' ' -c "
    SELECT count(*) FILTER (WHERE reconciled_at IS NOT NULL), count(*) FROM space_count") || return 0
  say "counts reconciled after arrival: ${line% *} of ${line#* } stored"
  line=$("${psql_admin[@]}" -d "$db" -At -F ' ' -c "
    SELECT count(*) FILTER (WHERE kind = 'idle'), count(*) FROM space_reset") || return 0
  say "resets stored: ${line% *} idle of ${line#* }"
  # Row versions the corrections made, and how many stayed on their page (HOT: no index entry).
  line=$("${psql_admin[@]}" -d "$db" -At -F ' ' -c "
    SELECT coalesce(sum(n_tup_hot_upd), 0), coalesce(sum(n_tup_upd), 0) FROM pg_stat_user_tables
     WHERE relname LIKE 'space\_count%'") || return 0
  say "space_count rows updated: ${line#* }, of which on their own page (HOT): ${line% *}"
}

# raw_alone_json: pg_raw_insert_alone's figures as JSON (null when not measured).
raw_alone_json() {
  if [[ -z ${raw_alone:-} ]]; then
    echo null
    return
  fi
  local calls rows ms cpu
  read -r calls rows ms cpu <<<"$raw_alone"
  echo "{\"calls\":$calls,\"rows\":$rows,\"total_ms\":$ms,\"backend_cpu_us_per_row\":$cpu,\"parameters_cpu_us_per_row\":$( [[ -n ${raw_params:-} ]] && awk '{print $4}' <<<"$raw_params" || echo null),\"floor_backend_cpu_us_per_row\":${floor_backend_cpu:-null}}"
}

# insert_per_row ACCEPTED: with the statements collected over the send phase and over the floor
# (pg_stat_statements), sets insert_us (the raw-log insert's execution time per datapoint accepted
# in the send phase), floor_insert_us (the floor's insert per row inserted), insert_ratio (the
# first over the second) and what each was made of; leaves insert_us empty when either is missing.
insert_per_row() {
  local accepted=$1 calls rows ms
  insert_us=""
  [[ -s $work/pg-insert.tsv && -s $work/pg-floor-insert.tsv ]] || return 0
  read -r calls rows ms _ <"$work/pg-insert.tsv"
  ((accepted > 0)) || return 0
  insert_us=$(awk -v t="$ms" -v n="$accepted" 'BEGIN {printf "%.2f\n", t * 1000 / n}')
  insert_what="$calls calls, $ms ms, $accepted datapoints"
  read -r calls rows ms floor_backend_cpu <"$work/pg-floor-insert.tsv"
  if ((rows == 0)); then
    insert_us=""
    return 0
  fi
  floor_insert_us=$(awk -v t="$ms" -v n="$rows" 'BEGIN {printf "%.2f\n", t * 1000 / n}')
  floor_insert_what="$calls calls, $ms ms, $rows rows"
  insert_ratio=$(ratio "$insert_us" "$floor_insert_us")
}

# print_nats_floor: with NATS egress on (DENSITY_EGRESS_NATS_URL), the NATS server alone storing
# 300,000 messages shaped as the sink's, acknowledged one by one as the sink has them, and then
# without acknowledgements (load/NatsFloor.java, a stream of its own): its CPU per message.
print_nats_floor() {
  [[ -n ${DENSITY_EGRESS_NATS_URL:-} ]] || return 0
  local pid out
  pid=$(process_pid nats-server) || { say "no local nats-server: no NATS floor"; return 0; }
  say "measuring the NATS floor: nats-server alone storing 300000 messages"
  out=$(java -cp "$work/density.jar" "$repo/load/NatsFloor.java" "$DENSITY_EGRESS_NATS_URL" 300000 \
    "$pid" 2>"$work/nats-floor.err") || { say "the NATS floor failed: $(tail -n 1 "$work/nats-floor.err")"; return 0; }
  sed -n 's/^nats floor, /  egress    NATS alone, /p' <<<"$out"
  grep '^NATS_FLOOR ' <<<"$out"
}

# print_bench_floors FILE [URL...]: after `load bench` (its output in FILE), in the same run: the
# servers' counters of spaces out of order (counting_metrics, when given their URLs); PostgreSQL
# alone doing the raw log's inserts (4 clients, 200 rows per statement; with --send, one row per
# transaction from as many clients as the benchmark had requests in flight) and Redis alone
# answering GETs (16 clients, as many as the benchmark's queries), each beside the server's figure
# with the ratio; under the ingest line, the CPU per datapoint of each process over the send phase
# (from the tool's RESULT), PostgreSQL's CPU per row in its floor and, when BENCH_PG_STATEMENTS=1,
# the raw-log insert's execution time per datapoint beside the floor insert's per row (both from
# pg_stat_statements); then the statements, when BENCH_PG_STATEMENTS=1. With stop_before_floors=yes
# the servers are stopped once their counters are read.
print_bench_floors() {
  local result ingest queries pg redis floor_what cpu pg_row reconciled reordered corrections
  local lag_writes lag_over lag_max
  result=$(grep '^RESULT ' "$1" | tail -n 1 | cut -c8-)
  shift
  # read right after the run, before the floors
  read -r reconciled reordered corrections < <( (($# > 0)) && counting_metrics "$@" \
    || echo "n/a n/a n/a")
  read -r lag_writes lag_over lag_max < <( (($# > 0)) && correction_lag "$@" \
    || echo "n/a n/a n/a")
  # bench.sh: the floors run with the server stopped, so they have PostgreSQL's connections (64
  # one-row clients do not fit beside the server's pools) and the machine to themselves
  if [[ ${stop_before_floors:-} == yes ]]; then
    stop_servers
  fi
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
  pg_row=$(cat "$work/floor-cpu.txt" 2>/dev/null || true)
  insert_per_row "$(jq -r '.accepted // 0' <<<"$result")"
  raw_alone=""
  if [[ -n $insert_us && $(jq -r '.send_alone // false' <<<"$result") != true ]]; then
    say "measuring the raw-log insert alone, as the floor: 4 clients, 200 datapoints per statement"
    pg_raw_insert_alone 4 200 10 "$(jq -r '.dpus' <<<"$result")"
    raw_alone=$(cat "$work/pg-raw-insert.tsv" 2>/dev/null || true)
    raw_params=$(cat "$work/pg-raw-params.tsv" 2>/dev/null || true)
  fi
  redis=$(redis_get_floor 16)
  # "server 52.1, postgres 30.4, ..." in the tool's order; "n/a" for a process not read
  cpu=$(jq -r '(.send_cpu.us_per_datapoint // {}) | to_entries
    | map("\(.key) \(if .value == null then "n/a" else .value end)") | join(", ")' <<<"$result")
  echo "floors (same machine, right after the benchmark):"
  echo "  ingest    server $ingest datapoints/s; $floor_what $pg rows/s; ratio $(ratio "$ingest" "$pg")"
  echo "            spaces out of order (GET /metrics): $reconciled recounted in SQL" \
    "(density_reconciled_spaces_total), $reordered placed in their tail (density_reordered_spaces_total)," \
    "$corrections rows corrected by those placements (density_tail_corrections_total)"
  echo "            corrections written (density_correction_lag): $lag_writes writes, $lag_over of" \
    "them over 1 s after the part that first corrected a row was stored, the longest $lag_max ms"
  echo "            CPU µs per datapoint over the send phase: ${cpu:-not measured}"
  echo "            PostgreSQL's CPU in its floor: ${pg_row:-n/a} µs per row"
  if [[ -n $insert_us ]]; then
    echo "            per row in pg_stat_statements: the raw-log insert $insert_us µs per datapoint" \
      "($insert_what), the floor's insert $floor_insert_us µs per row ($floor_insert_what);" \
      "ratio $insert_ratio"
  fi
  if [[ -n $raw_alone ]]; then
    local raw_calls raw_rows raw_ms raw_cpu raw_us params_cpu=n/a net_cpu=n/a
    read -r raw_calls raw_rows raw_ms raw_cpu <<<"$raw_alone"
    raw_us=$(awk -v t="$raw_ms" -v n="$raw_rows" 'BEGIN {printf "%.2f\n", t * 1000 / n}')
    if [[ -n $raw_params && $raw_cpu != null ]]; then
      params_cpu=$(awk '{print $4}' <<<"$raw_params")
      [[ $params_cpu == null ]] \
        || net_cpu=$(awk -v a="$raw_cpu" -v b="$params_cpu" 'BEGIN {printf "%.1f\n", a - b}')
    fi
    echo "            the raw-log insert alone, as the floor (4 clients, 200 per statement, rolled back):" \
      "$raw_us µs per row ($raw_calls calls), ratio $(ratio "$raw_us" "$floor_insert_us") to the floor's insert;" \
      "CPU of pgbench's backends per row: $raw_cpu µs, less $params_cpu µs making and binding the" \
      "parameters: $net_cpu µs; the floor's ${floor_backend_cpu/null/n/a} µs; ratio $(ratio "$net_cpu" "$floor_backend_cpu")"
  fi
  echo "  realtime  server $queries queries/s; Redis alone, GET, 16 clients $redis/s; ratio $(ratio "$queries" "$redis")"
  echo "FLOORS {\"ingest_per_s\":$ingest,\"pg_floor_rows_per_s\":${pg:-0},\"ingest_ratio\":\"$(ratio "$ingest" "$pg")\",\"reconciled_spaces\":$(json_number "$reconciled"),\"reordered_spaces\":$(json_number "$reordered"),\"tail_corrections\":$(json_number "$corrections"),\"cpu_us_per_datapoint\":$(jq -c '.send_cpu.us_per_datapoint // {}' <<<"$result"),\"pg_floor_cpu_us_per_row\":${pg_row:-null},\"insert_us_per_datapoint\":${insert_us:-null},\"floor_insert_us_per_row\":${floor_insert_us:-null},\"insert_floor_ratio\":\"${insert_ratio:-n/a}\",\"insert_alone\":$(raw_alone_json),\"queries_per_s\":$queries,\"redis_get_per_s\":${redis:-0},\"query_ratio\":\"$(ratio "$queries" "$redis")\"}"
  print_pg_statements
}
