#!/usr/bin/env bash
# As-of queries over a large history, beside PostgreSQL alone doing the same lookup, then leaves
# nothing behind:
#
#   1. creates a fresh database density_asof on 127.0.0.1:5432 (psql as user postgres) and starts
#      target/density.jar on 127.0.0.1:18090 with it (Redis key prefix asof:),
#   2. provisions SPACES spaces S0.. in bulk (`load bench --bulk ... --datapoints 0 --queries 0`),
#   3. writes EFFECTS stored effects over the last 30 days straight into space_count with SQL
#      (what ingest would have stored; generating them through the API would take an hour here),
#   4. runs `load bench --skip-provision --as-of-days 30 --queries QUERIES` (16 in flight): each
#      query asks the count of a random space as of a random instant,
#   5. measures the floor: PostgreSQL alone answering the same lookup (the latest effect of the
#      space at or before the instant) with pgbench, 16 clients, for 10 s,
#   6. stops the server, drops the database and deletes the asof: keys from Redis.
#
# Usage (from anywhere; build first with mvn package):
#   load/asof.sh                  # 10 million effects, 1000 spaces, 100000 queries
#
# Environment: ASOF_EFFECTS (default 10000000), ASOF_SPACES (1000), ASOF_QUERIES (100000),
# DENSITY_JAR, DENSITY_JAVA_OPTS (see lib.sh).
set -euo pipefail

tool=asof
db=density_asof
prefix=asof:
port=18090
start_seconds=120
max_seconds=4000
effects=${ASOF_EFFECTS:-10000000}
spaces=${ASOF_SPACES:-1000}
queries=${ASOF_QUERIES:-100000}
# shellcheck source=load/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

url=http://127.0.0.1:$port
check_setup "$port"
fresh_database
start_server "$log" "$port"
wait_healthy "$url" "${server_pids[0]}" "$log" $((SECONDS + start_seconds))
rebuild_without_redis_cli "$url"

run_tool bench --url "$url" --dpus "$spaces" --spaces "$spaces" --bulk 10000 \
  --provision-concurrency 1 --datapoints 0 --queries 0 >/dev/null

say "writing $effects effects over the last 30 days into space_count"
started=$SECONDS
"${psql_admin[@]}" -d "$db" -c "
  SELECT density_ensure_partitions(ARRAY(
    SELECT date_trunc('month', d)::date
      FROM generate_series(now() - interval '31 days', now(), interval '1 day') d));
  INSERT INTO space_count (space_id, ts, delta, datapoint_id, arrival_count, count)
  SELECT 'S' || (i % $spaces),
         now() - interval '30 days' + i * (interval '30 days' / $effects),
         CASE WHEN i % 3 = 0 THEN -1 ELSE 1 END, i, (i / $spaces) % 40, (i / $spaces) % 40
    FROM generate_series(1, $effects) i;
  ANALYZE space_count;"
say "written in $((SECONDS - started)) s"

status=0
run_tool bench --url "$url" --dpus "$spaces" --spaces "$spaces" --skip-provision --datapoints 0 \
  --queries "$queries" --query-concurrency 16 --as-of-days 30 > >(tee "$work/tool.out") \
  || status=$?

script=$work/floor-asof.sql
cat >"$script" <<SQL
\\set s random(0, $((spaces - 1)))
\\set back random(0, 2592000)
SELECT count FROM space_count
 WHERE space_id = 'S' || :s AND ts <= now() - make_interval(secs => :back)
 ORDER BY ts DESC, delta ASC, datapoint_id DESC LIMIT 1;
SQL
floor=$(pgbench -n -h 127.0.0.1 -p 5432 -U postgres -c 16 -j 2 -T 10 -f "$script" "$db" \
  2>/dev/null | awk '/^tps = / {printf "%.0f\n", $3; exit}')
result=$(grep '^RESULT ' "$work/tool.out" | tail -n 1 | cut -c8-)
served=$(jq -r '.queries_per_s // 0' <<<"$result")
echo "floor (same machine, right after the benchmark):"
echo "  as-of  server $served queries/s over $effects effects; PostgreSQL alone, the same lookup, 16 clients $floor/s; ratio $(ratio "$served" "$floor")"
echo "FLOORS {\"effects\":$effects,\"queries_per_s\":$served,\"pg_lookup_per_s\":${floor:-0},\"query_ratio\":\"$(ratio "$served" "$floor")\"}"
exit "$status"
