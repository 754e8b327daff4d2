#!/usr/bin/env bash
# Measures the cost of late datapoints on the local PostgreSQL and Redis, then leaves nothing
# behind:
#
#   1. creates a fresh database density_late on 127.0.0.1:5432 (psql as user postgres),
#   2. starts target/density.jar on 127.0.0.1:18089 with that database and Redis key prefix late:,
#   3. waits for GET /health (with a deadline),
#   4. runs `load late` with the arguments given to this script,
#   5. stops the server, drops the database and deletes the late: keys from Redis.
#
# Usage (from anywhere; build first with mvn package):
#   load/late.sh                                          # 8 days of history, lateness 1m..7d
#   load/late.sh --history-days 2 --spacing-seconds 60 --lateness 1m,1h,1d --repeats 3
#
# Environment:
#   DENSITY_JAR          the jar to run (default: target/density.jar of this repository)
#   LATE_START_SECONDS   how long to wait for the server to become healthy (default 120)
#   LATE_MAX_SECONDS     hard limit on the `load late` run (default 2000; the tool itself stops
#                        starting requests after its --max-seconds, 1800 by default)
#
# The exit status is that of `load late` (0 all good, 1 an answer never reflected a late datapoint,
# failed requests or time limit, 2 wrong options), or 1 when the setup failed.
set -euo pipefail

tool=late
db=density_late
port=18089
prefix=late:
start_seconds=${LATE_START_SECONDS:-120}
max_seconds=${LATE_MAX_SECONDS:-2000}
# shellcheck source=load/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_load_tool "$@"
