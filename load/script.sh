#!/usr/bin/env bash
# The counting script alone: apply-batch.lua applied by Redis to parts shaped like those of a
# batched run (datapoints of DPUs between two spaces of one counting shard, in timestamp order or
# arriving up to --disorder-ms late), with no server, PostgreSQL or HTTP around it. The first half
# of the parts warms Redis up; the second half is measured by Redis itself (INFO commandstats, the
# time spent in EVALSHA), so what runs beside it on the machine counts only as it slows Redis.
# Prints Redis's µs per datapoint and the rows of earlier parts corrected per datapoint, and what
# those corrections would be were they written otherwise: the parts stored N together (a row
# corrected by several of them written once, one inserted among them inserted with its final
# count), or each row once, when it leaves the window. Needs python3 (its standard library only).
# Uses keys under its own prefix and removes them at the end.
#
# With --against FILE, compares two versions instead: every part is applied by the script and by
# FILE, one after the other in alternating order, each under a prefix of its own, and it prints the
# time each took (client-side, second half) with their ratio and the parts whose answers differ.
# Run alone, one version moves by a quarter between runs on a shared machine; interleaved, the
# machine's noise falls on both.
#
# Usage: load/script.sh [--parts N] [--part-size N] [--spaces N] [--dpus N] [--rate N]
#                       [--disorder-ms N] [--window-ms N] [--script FILE] [--against FILE]
set -euo pipefail

parts=1000 part_size=312 spaces=250 dpus=2000 rate=25000 disorder_ms=0 window_ms=10000 against=""
script=$(dirname "${BASH_SOURCE[0]}")/../src/main/resources/io/density/counter/apply-batch.lua
while [[ $# -gt 0 ]]; do
  case $1 in
    --parts) parts=$2 ;;
    --part-size) part_size=$2 ;;
    --spaces) spaces=$2 ;;
    --dpus) dpus=$2 ;;
    --rate) rate=$2 ;;
    --disorder-ms) disorder_ms=$2 ;;
    --window-ms) window_ms=$2 ;;
    --script) script=$2 ;;
    --against) against=$2 ;;
    *) echo "script.sh: unknown option $1" >&2 && exit 2 ;;
  esac
  shift 2
done

redis=(redis-cli -h 127.0.0.1 -p 6379)
prefix="script-bench-$$:"
trap '"${redis[@]}" --scan --pattern "${prefix}*" | xargs -r -n 1000 "${redis[@]}" UNLINK >/dev/null' EXIT

# Parts are made as the server makes them (k, d, e, f, w) and sent over one connection, one after
# another. Datapoints are spread evenly in time at --rate a second; with --disorder-ms each arrives
# up to that much after its timestamp, and parts are cut in arrival order.
python3 - "$script" "$prefix" "$parts" "$part_size" "$spaces" "$dpus" "$rate" "$disorder_ms" \
  "$window_ms" "$against" <<'PY'
import json, random, socket, struct, sys, time

script, prefix = sys.argv[1], sys.argv[2]
parts, size, spaces, dpus, rate, disorder_ms, window_ms = map(int, sys.argv[3:10])
against = sys.argv[10]

connection = socket.create_connection(('127.0.0.1', 6379))
replies = connection.makefile('rb')


def call(*args):
    """One command in Redis's protocol; its reply (errors raised)."""
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b'$%d\r\n%s\r\n' % (len(a), a))
    connection.sendall(b''.join(out))
    return reply()


def reply():
    """A reply: bulk strings as bytes (the script's records are binary), the rest as text."""
    line = replies.readline().rstrip(b'\r\n')
    kind, rest = line[:1], line[1:]
    if kind == b'-':
        raise RuntimeError(rest.decode())
    if kind == b'$':
        n = int(rest)
        return None if n < 0 else replies.read(n + 2)[:-2]
    if kind == b'*':
        return [reply() for _ in range(int(rest))]
    return rest.decode()


def evalsha_usec():
    for line in call('INFO', 'commandstats').decode().splitlines():
        if line.startswith('cmdstat_evalsha:'):
            return int(line.split('usec=')[1].split(',')[0])
    return 0


random.seed(7)
fleet = [(f'dpu-{i}', f'space-{i % spaces}', f'space-{(i * 7 + 1) % spaces}') for i in range(dpus)]
step = 2_000_000 // rate  # µs between datapoints, on average
ts = 1_764_000_000_000_000
sent = []
for n in range(parts * size):
    ts += random.randint(0, step)
    dpu, a, b = random.choice(fleet)
    arrival = ts + random.randint(0, disorder_ms * 1000)
    sent.append((arrival, ts, dpu, a, b, random.choice((1, -1)), n + 1))
sent.sort()
inputs = []
# Each part's rows (space, ts, delta, datapoint), to tell its own rows from earlier parts'.
rows = []
for p in range(parts):
    d, e = [], []
    for arrival, t, dpu, a, b, direction, pid in sent[p * size:(p + 1) * size]:
        d.append([dpu, t, direction, arrival])
        e.append([a, t, direction, pid, 1])
        e.append([b, t, -direction, pid, 1])
    e.sort(key=lambda x: (x[1], -x[2], x[3]))
    inputs.append(json.dumps({'k': [len(e), p], 'd': d, 'e': e, 'f': [], 'w': window_ms * 1000}))
    rows.append({tuple(x[:4]) for x in e})


def fixed_rows(answer, count=False):
    """The rows of earlier parts an answer corrected, (space, ts, delta, datapoint) each, with
    the new count too when asked: x names whose the records are, n each; each record is 21 bytes
    (ts, delta, datapoint, new count)."""
    records = struct.iter_unpack('<qbqi', answer[1])
    return [(space, *next(records)[:4 if count else 3]) for space, n in json.loads(answer[0])['x']
            for _ in range(n)]


def normal(answer):
    """An answer, [json, records] (or the JSON alone, as scripts before the records answered), as
    its JSON with the corrected rows in x, [space, ts, delta, datapoint, count] each."""
    if isinstance(answer, bytes):
        return json.loads(answer)
    out = json.loads(answer[0])
    out['x'] = [list(row) for row in fixed_rows(answer, count=True)]
    return out


half = parts // 2
if against:
    # Each version under its own prefix; the one to go first alternates from part to part.
    versions = [(call('SCRIPT', 'LOAD', open(f).read()).decode(), prefix + tag + ':', f)
                for tag, f in (('a', script), ('b', against))]
    seconds, differing = [0.0, 0.0], 0
    for _, p, _ in versions:
        call('HSET', p + 'meta', 'format', 'script-bench')
    for n, part in enumerate(inputs):
        answers = [None, None]
        for k in ((0, 1) if n % 2 == 0 else (1, 0)):
            sha, p, _ = versions[k]
            started = time.perf_counter()
            answers[k] = call('EVALSHA', sha, 0, p, f'{n}:0', part)
            if n >= half:
                seconds[k] += time.perf_counter() - started
        differing += normal(answers[0]) != normal(answers[1])
    measured = (parts - half) * size
    us = [1e6 * t / measured for t in seconds]
    print(f'script: {versions[0][2]} {us[0]:.2f} µs per datapoint, --against {versions[1][2]}'
          f' {us[1]:.2f} (client-side, {parts - half} parts of {size}): ratio {us[0] / us[1]:.3f};'
          f' parts whose answers differ: {differing} of {parts}')
    print('SCRIPT ' + json.dumps({'parts': parts - half, 'datapoints': measured,
                                  'us_per_datapoint': round(us[0], 2),
                                  'against_us_per_datapoint': round(us[1], 2),
                                  'ratio': round(us[0] / us[1], 3), 'answers_differing': differing}))
    sys.exit(0)

call('HSET', prefix + 'meta', 'format', 'script-bench')
sha = call('SCRIPT', 'LOAD', open(script).read()).decode()
# Per measured part: the rows it inserts and the rows of earlier parts its tails corrected.
measured_parts = []
for n, part in enumerate(inputs):
    if n == half:
        before = evalsha_usec()
    answer = call('EVALSHA', sha, 0, prefix, f'{n}:0', part)
    if n >= half:
        measured_parts.append((rows[n], fixed_rows(answer)))
us = evalsha_usec() - before
measured = (parts - half) * size


def updates_stored_together(n):
    """Rows updated per datapoint were the parts stored n at a time: a row corrected twice in a
    group is written once, and one inserted in the group is inserted with its final count."""
    updates = 0
    for g in range(0, len(measured_parts), n):
        group = measured_parts[g:g + n]
        inserted = set().union(*(i for i, _ in group))
        updates += len({f for _, fixed in group for f in fixed} - inserted)
    return updates / measured


together = {str(n): round(updates_stored_together(n), 2) for n in (1, 2, 4, 8)}
once = len({f for _, fixed in measured_parts for f in fixed}) / measured
print(f'script: {parts - half} parts of {size} datapoints measured: {us / measured:.2f} µs of'
      f' Redis per datapoint, {together["1"]:.1f} rows of earlier parts corrected per datapoint')
print('  rows updated per datapoint were the parts stored N together: '
      + ', '.join(f'N={n}: {v}' for n, v in together.items())
      + '; rows whose count changed after it was first counted (each updated once were the'
      + f' corrections held until it leaves the window): {once:.2f}')
print('SCRIPT ' + json.dumps({'parts': parts - half, 'datapoints': measured,
                              'redis_us_per_datapoint': round(us / measured, 2),
                              'fixes_per_datapoint': together['1'],
                              'updates_per_datapoint_stored_together': together,
                              'rows_corrected_per_datapoint': round(once, 2)}))
PY
