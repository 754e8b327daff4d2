#!/usr/bin/env bash
# MQTT ingest: one server on the local PostgreSQL and Redis taking datapoints from the local
# Mosquitto, then nothing left behind (as load/bench.sh):
#
#   1. starts a Mosquitto of its own on 127.0.0.1:18831 that queues whatever its subscriber has
#      not taken yet (max_queued_messages 0; Mosquitto's default, 1000, drops the rest when a
#      burst outruns the consumer), creates a fresh database density_mqtt and starts
#      target/density.jar on 127.0.0.1:18090 with DENSITY_MQTT_URL naming that broker,
#   2. publishes with `mqtt` (the load jar) the arguments given to this script,
#   3. waits until the server has stored every datapoint, and prints the rate from the first
#      publication to the last datapoint stored, beside PostgreSQL alone inserting the same rows.
#
# Usage (build first with mvn package):
#   load/mqtt.sh --datapoints 200000 --batch 100
set -euo pipefail

tool=mqtt
db=density_mqtt
port=18090
prefix=mqtt:
start_seconds=${BENCH_START_SECONDS:-120}
max_seconds=${BENCH_MAX_SECONDS:-1200}
# shellcheck source=load/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

topic="density-load/$$/datapoints"
datapoints=100000
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [[ ${args[i]} == --datapoints ]] && datapoints=${args[i + 1]}
done

broker_port=18831
cat >"$work/mosquitto.conf" <<CONF
listener $broker_port 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
max_inflight_messages 100
CONF
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
broker_pid=$!
trap 'kill "$broker_pid" 2>/dev/null || true; cleanup' EXIT

check_setup "$port"
fresh_database
start_server "$log" "$port" DENSITY_MQTT_URL=mqtt://127.0.0.1:$broker_port \
  DENSITY_MQTT_TOPIC="$topic/#" DENSITY_MQTT_CLIENT_ID="density-load-$$"
wait_healthy "http://127.0.0.1:$port" "${server_pids[0]}" "$log" $((SECONDS + start_seconds))
started=$(date +%s.%N)
run_tool mqtt --broker "mqtt://127.0.0.1:$broker_port" --topic "$topic/gateway" "$@"
stored=0
until ((stored >= datapoints)); do
  stored=$("${psql_admin[@]}" -d "$db" -Atc "SELECT count(*) FROM datapoint")
  if ! kill -0 "${server_pids[0]}" 2>/dev/null; then say "the server is gone"; exit 1; fi
  sleep 0.5
done
ended=$(date +%s.%N)
rate=$(awk -v n="$datapoints" -v a="$started" -v b="$ended" 'BEGIN {printf "%.0f", n / (b - a)}')
floor=$(pg_insert_floor 4 100 10)
echo "MQTT ingest: $datapoints datapoints stored and counted at $rate/s; PostgreSQL alone" \
  "inserting the same rows (4 clients, 100 per statement) $floor rows/s; ratio $(ratio "$rate" "$floor")"
