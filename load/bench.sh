#!/usr/bin/env bash
# Benchmarks the server on the local PostgreSQL and Redis, then leaves nothing behind:
#
#   1. creates a fresh database density_bench on 127.0.0.1:5432 (psql as user postgres),
#   2. starts target/density.jar on 127.0.0.1:18088 with that database and Redis key prefix bench:,
#   3. waits for GET /health (with a deadline),
#   4. runs `load bench` with the arguments given to this script, measuring the CPU time of the
#      server, PostgreSQL, Redis and the tool over its send phase, then the machine's floors, and
#      prints them with the server's counts of spaces out of order (recounted in SQL, placed in
#      their tail) and the stored counts reconciled,
#   5. stops the server, drops the database and deletes the bench: keys from Redis.
#
# Usage (from anywhere; build first with mvn package):
#   load/bench.sh                                         # the default figures: 100000 DPUs, ...
#   load/bench.sh --dpus 2000 --spaces 1000 --datapoints 50000
#
# Environment:
#   DENSITY_JAR           the jar to run (default: target/density.jar of this repository)
#   BENCH_START_SECONDS   how long to wait for the server to become healthy (default 120)
#   BENCH_MAX_SECONDS     hard limit on the `load bench` run (default 4000; the tool itself stops
#                         starting requests after its --max-seconds, 3600 by default)
#   BENCH_DB, BENCH_PORT, BENCH_REDIS_PREFIX
#                         the database, HTTP port and Redis prefix (density_bench, 18088, bench:),
#                         so that two runs on one machine keep apart
#   BENCH_PG_STATEMENTS   1: also the 10 statements of most total time over the send phase, from
#                         pg_stat_statements when PostgreSQL preloads it (says so when not)
#   DENSITY_EGRESS_*      egress for the server (docs/configuration.md): with NATS on, the CPU of
#                         the local nats-server over the send phase too, and its floor after the
#                         run (load/NatsFloor.java); with MQTT on, mosquitto's CPU
#
# The exit status is that of `load bench` (0 all good, 1 failed requests or time limit, 3 wrong
# counts), or 1 when the setup failed.
set -euo pipefail

tool=bench
db=${BENCH_DB:-density_bench}
port=${BENCH_PORT:-18088}
prefix=${BENCH_REDIS_PREFIX:-bench:}
start_seconds=${BENCH_START_SECONDS:-120}
max_seconds=${BENCH_MAX_SECONDS:-4000}
# shellcheck source=load/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# After the benchmark, in the same run: the machine's floors beside the server's figures, with the
# server's counters of spaces out of order (recounted in SQL, placed in their tail), and the stored
# counts reconciled; the server is stopped once its counters are read, so the floors have the
# machine and PostgreSQL's connections to themselves.
after_tool() {
  stop_before_floors=yes
  print_bench_floors "$1" "$2"
  print_nats_floor
  print_reconciled
}

run_load_tool "$@"
