# Shared by load/bench.sh and load/late.sh (sourced, not run): runs one load tool against a server
# of its own on the local PostgreSQL and Redis, then leaves nothing behind:
#
#   1. creates a fresh database $db on 127.0.0.1:5432 (psql as user postgres),
#   2. starts a copy of the jar on 127.0.0.1:$port with that database and Redis key prefix $prefix,
#   3. waits for GET /health (at most $start_seconds),
#   4. runs `load $tool --url ... "$@"` (killed after $max_seconds),
#   5. stops the server, drops the database and deletes the $prefix keys from Redis, also when
#      interrupted.
#
# The sourcing script sets tool, db, port, prefix, start_seconds and max_seconds, then calls
# run_load_tool "$@". DENSITY_JAR picks another jar than target/density.jar.

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jar=${DENSITY_JAR:-$repo/target/density.jar}
url=http://127.0.0.1:$port
psql_admin=(env PGOPTIONS=--client-min-messages=warning psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p 5432 -U postgres -d postgres)

server_pid=""
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

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$tool_pid" ]] && kill -0 "$tool_pid" 2>/dev/null; then
    kill "$tool_pid" 2>/dev/null || true
    wait "$tool_pid" 2>/dev/null || true
  fi
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    say "stopping the server (pid $server_pid)"
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      say "the server did not stop in 30 s, killing it"
      kill -9 "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ -n "$db_created" ]]; then
    "${psql_admin[@]}" -c "DROP DATABASE IF EXISTS $db" || say "could not drop database $db"
  fi
  clear_redis
  rm -f "$work/density.jar"
  say "server log: $log"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Sets up the database and the server, runs `load $tool` with the arguments given, and exits with
# its status (1 when the setup failed).
run_load_tool() {
  [[ -f "$jar" ]] || { say "no $jar: build it first (mvn -B package -DskipTests)"; exit 1; }
  command -v curl >/dev/null || { say "curl is needed to wait for the server"; exit 1; }
  if curl -s -o /dev/null --max-time 2 "$url/health"; then
    say "something already answers on port $port; stop it first"
    exit 1
  fi

  # The server runs from a copy, so that a rebuild of target/ during the run cannot break it.
  cp "$jar" "$work/density.jar"

  say "creating database $db"
  "${psql_admin[@]}" -c "DROP DATABASE IF EXISTS $db"
  db_created=yes
  "${psql_admin[@]}" -c "CREATE DATABASE $db"
  clear_redis

  say "starting the server on port $port (log: $log)"
  DENSITY_PG_URL="postgresql://postgres@127.0.0.1:5432/$db" \
    DENSITY_REDIS_PREFIX="$prefix" \
    DENSITY_HTTP_PORT="$port" \
    DENSITY_HTTP_HOST=127.0.0.1 \
    java -jar "$work/density.jar" >"$log" 2>&1 &
  server_pid=$!

  local deadline=$((SECONDS + start_seconds))
  until curl -sf -o /dev/null --max-time 2 "$url/health"; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      server_pid=""
      say "the server exited during start:"
      tail -n 30 "$log" >&2
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      say "the server was not healthy after $start_seconds s:"
      tail -n 30 "$log" >&2
      exit 1
    fi
    sleep 0.5
  done
  if ! command -v redis-cli >/dev/null 2>&1; then
    # Without redis-cli the $prefix keys of an earlier run may remain: replace them from the
    # fresh (empty) database.
    curl -sf -o /dev/null --max-time 60 -X POST "$url/v1/admin/rebuild" \
      || { say "POST /v1/admin/rebuild failed"; exit 1; }
  fi
  say "server healthy; running: load $tool --url $url $*"

  local limit=()
  if command -v timeout >/dev/null 2>&1; then
    limit=(timeout --kill-after=30 "$max_seconds")
  fi
  # In the background, so that a signal to this script runs the cleanup at once.
  ${limit[@]+"${limit[@]}"} java -jar "$work/density.jar" load "$tool" --url "$url" "$@" &
  tool_pid=$!
  local status=0
  wait "$tool_pid" || status=$?
  tool_pid=""
  exit "$status"
}
