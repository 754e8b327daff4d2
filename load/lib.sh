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
  if [[ -n "$db_created" ]]; then
    "${psql_admin[@]}" -c "DROP DATABASE IF EXISTS $db" || say "could not drop database $db"
  fi
  clear_redis
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

# Sets up the database and one server on $port, runs `load $tool` with the arguments given, and
# exits with its status (1 when the setup failed).
run_load_tool() {
  local url=http://127.0.0.1:$port
  check_setup "$port"
  fresh_database
  say "starting the server on port $port (log: $log)"
  start_server "$log" "$port"
  wait_healthy "$url" "${server_pids[0]}" "$log" $((SECONDS + start_seconds))
  rebuild_without_redis_cli "$url"
  say "server healthy; running: load $tool --url $url $*"
  local status=0
  run_tool "$tool" --url "$url" "$@" > >(tee "$work/tool.out") || status=$?
  # The sourcing script's after_tool, if any, runs while the server is still up (floors).
  if declare -F after_tool >/dev/null; then
    after_tool "$work/tool.out" || status=$((status == 0 ? 1 : status))
  fi
  exit "$status"
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
  local tps
  tps=$(pgbench -n -h 127.0.0.1 -p 5432 -U postgres -c "$clients" -j 2 -T "$seconds" \
    -D rows="$rows" -f "$script" "$db" 2>/dev/null | awk '/^tps = / {print $3; exit}')
  awk -v t="${tps:-0}" -v r="$rows" 'BEGIN {printf "%.0f\n", t * r}'
}

# redis_get_floor CLIENTS: GETs per second that Redis alone answers to CLIENTS clients.
redis_get_floor() {
  redis-benchmark -h 127.0.0.1 -p 6379 -c "$1" -n 400000 -t get --csv 2>/dev/null \
    | awk -F'"' '/^"GET"/ {printf "%.0f\n", $4; exit}'
}

# ratio A B: A / B with two decimals ("n/a" when B is 0 or missing).
ratio() {
  awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN {if (b > 0) printf "%.2f\n", a / b; else print "n/a"}'
}

# print_bench_floors FILE: after `load bench` (its output in FILE), in the same run: PostgreSQL
# alone doing the raw log's inserts (4 clients, 200 rows per statement; with --send, one row per
# transaction from as many clients as the benchmark had requests in flight) and Redis alone
# answering GETs (16 clients, as many as the benchmark's queries), each beside the server's figure
# with the ratio.
# How many stored counts were reconciled after arrival (late effects) in the run's database: a
# figure of how much recounting the run caused.
print_reconciled() {
  local line
  line=$("${psql_admin[@]}" -d "$db" -At -F ' ' -c "
    SELECT count(*) FILTER (WHERE reconciled_at IS NOT NULL), count(*) FROM space_count") || return 0
  say "counts reconciled after arrival: ${line% *} of ${line#* } stored"
}

print_bench_floors() {
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
