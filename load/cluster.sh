#!/usr/bin/env bash
# Benchmarks a cluster of 1 to 3 nodes on this machine, on the local PostgreSQL and Redis, then
# leaves nothing behind:
#
#   1. creates a fresh database density_cluster on 127.0.0.1:5432 (psql as user postgres),
#   2. starts NODES copies of target/density.jar, one after the other, node i on
#      127.0.0.1:(18100 + i), each with every role, that database and Redis key prefix cluster:,
#      all in one Hazelcast cluster of their own over TCP-IP on loopback,
#   3. waits for each node's GET /health, and for the last one to see all NODES members,
#   4. runs `load bench --url <every node, comma-separated> ARGS...` (requests round-robin over
#      the nodes) and measures the machine's floors beside its figures (see bench.sh), then `load events --url <node 1> --send-url <node NODES> --count 300` (event
#      stream on node 1, datapoints to node NODES: with NODES=1 the same node). Count events are
#      published by the owners of the counting shards, on every node, and reach every stream;
#      CLUSTER_EVENTS_STREAM=2 reads them on another node. It also prints how many stored counts
#      were reconciled after arrival (late effects) during the run, and the nodes' counters of
#      spaces recounted in SQL and placed in their tail (summed); the bench's CPU figures sum the
#      nodes' JVMs as "server".
#   5. stops the nodes, drops the database and deletes the cluster: keys from Redis.
#
# Usage (from anywhere; build first with mvn package):
#   load/cluster.sh 2 --dpus 2000 --spaces 1000 --datapoints 200000 --queries 10000
#
# Environment:
#   DENSITY_JAR             the jar to run (default: target/density.jar of this repository)
#   CLUSTER_START_SECONDS   how long to wait for each node to become healthy, and for the cluster
#                           to form (default 120)
#   CLUSTER_MAX_SECONDS     hard limit on each load tool's run (default 4000; the tools stop
#                           starting requests after their --max-seconds)
#   CLUSTER_EVENTS          datapoints of the events run (default 300)
#   CLUSTER_EVENTS_STREAM   the node whose event stream the events run reads (default 1)
#   CLUSTER_EVENTS_SEND     the node the events run sends its datapoints to (default NODES)
#   DENSITY_INSERTERS       leader (default) or every: which nodes insert datapoints
#   BENCH_PG_STATEMENTS     1: the 10 statements of most total time over the send phase (see bench.sh)
#
# The exit status is that of `load bench` when it failed, else that of `load events` (0 all good),
# or 1 when the setup failed, 2 for wrong arguments.
set -euo pipefail

if [[ $# -lt 1 || ! "$1" =~ ^[1-3]$ ]]; then
  echo "usage: load/cluster.sh NODES [load bench options...]   (NODES: 1, 2 or 3)" >&2
  exit 2
fi
nodes=$1
shift

tool=cluster
db=density_cluster
prefix=cluster:
start_seconds=${CLUSTER_START_SECONDS:-120}
max_seconds=${CLUSTER_MAX_SECONDS:-4000}
events_count=${CLUSTER_EVENTS:-300}
stream_node=${CLUSTER_EVENTS_STREAM:-1}
send_node=${CLUSTER_EVENTS_SEND:-$nodes}
for node in "$stream_node" "$send_node"; do
  if [[ ! "$node" =~ ^[1-3]$ ]] || ((node > nodes)); then
    echo "cluster.sh: CLUSTER_EVENTS_STREAM and CLUSTER_EVENTS_SEND must be nodes 1 to $nodes" >&2
    exit 2
  fi
done
# shellcheck source=load/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# A cluster name of this run only (the temporary directory's), so that no other Hazelcast member
# on this machine joins it.
cluster_name=density-load-${work##*.}
ports=()
urls=()
for ((i = 1; i <= nodes; i++)); do
  ports+=("$((18100 + i))")
  urls+=("http://127.0.0.1:$((18100 + i))")
done

check_setup "${ports[@]}"
fresh_database

# One after the other: a node joins the members already there, rather than two forming clusters
# of their own at the same moment and merging later.
for ((i = 1; i <= nodes; i++)); do
  node_log=$work/node$i.log
  say "starting node $i of $nodes on port ${ports[i - 1]} (log: $node_log)"
  # no DENSITY_ROLES: every role
  start_server "$node_log" "${ports[i - 1]}" \
    DENSITY_CLUSTER=true \
    DENSITY_CLUSTER_NAME="$cluster_name" \
    DENSITY_CLUSTER_MEMBERS=127.0.0.1 \
    DENSITY_CLUSTER_HOST=127.0.0.1
  wait_healthy "${urls[i - 1]}" "${server_pids[i - 1]}" "$node_log" $((SECONDS + start_seconds))
done

# Hazelcast logs the member list whenever it changes; the last node must see every one.
deadline=$((SECONDS + start_seconds))
until grep -q "Members {size:$nodes," "$work/node$nodes.log"; do
  if ((SECONDS >= deadline)); then
    say "node $nodes does not see $nodes cluster members after $start_seconds s:"
    grep -A 5 'Members {' "$work/node$nodes.log" | tail -n 10 >&2 || true
    exit 1
  fi
  sleep 0.5
done
rebuild_without_redis_cli "${urls[0]}"

all_urls=$(IFS=,; echo "${urls[*]}")
bench_measure_options
say "$nodes node(s) healthy; running: load bench --url $all_urls $*"
status=0
run_tool bench --url "$all_urls" "${measure_options[@]}" "$@" > >(tee "$work/bench.out") \
  || status=$?
print_bench_floors "$work/bench.out" "${urls[@]}" || true
print_reconciled

stream_url=${urls[stream_node - 1]}
send_url=${urls[send_node - 1]}
say "running: load events --url $stream_url --send-url $send_url --count $events_count"
events_status=0
run_tool events --url "$stream_url" --send-url "$send_url" --count "$events_count" \
  || events_status=$?

if ((status == 0)); then
  status=$events_status
fi
exit "$status"
