-- Applies one committed batch to the realtime state, atomically and at most once.
--
-- ARGV[1] key prefix, ARGV[2] the part of a batch that one counting shard applies ("id:shard"),
-- ARGV[3] JSON:
--   k: the part's fingerprint (its effects' number and hash), kept with its answer
--   d: new datapoints [dpu_id, ts_micros, direction, received_micros]
--   e: their effects, in contract order [space_id, ts_micros, delta, datapoint_id, clamp (1|0)]
--   f: earlier parts whose batches are closed in PostgreSQL: their answers can go
-- Returns JSON {c: [count of the effect's space after each effect, in the order of e],
--               l: [[space_id, "earliest ts_micros"] of each space that got an effect out of
--                   contract order: its counts must be recomputed from that instant],
--               k: the fingerprint given,
--               s: [[space_id, "earliest ts_micros"] of each space the part changed]}.
--
-- A space's hash holds its count and the order key (ts, delta, id) of the latest effect applied
-- in order; an effect that sorts before it is late: it is added to the count provisionally and
-- reported. Per-DPU hashes hold last_ts, last_rx, entries, exits, total; the sorted set
-- dpus:by-arrival holds every DPU scored by its last_rx. A part seen before
-- returns the stored answer marked "again": true, so a retried batch is never counted twice; its
-- k and s let the caller see that a part offered again is not the part applied (other effects).
local prefix, batch = ARGV[1], ARGV[2]
if redis.call('EXISTS', prefix .. 'meta') == 0 then
  return redis.error_reply('NOTBUILT the realtime state has not been loaded')
end
local input = cjson.decode(ARGV[3])
for _, f in ipairs(input.f) do
  redis.call('DEL', prefix .. 'batch:' .. f)
end

local batchKey = prefix .. 'batch:' .. batch
local done = redis.call('GET', batchKey)
if done then
  return '{"again":true,' .. string.sub(done, 2)
end
local function int(n)
  return string.format('%.0f', n)
end

-- Per-DPU totals: folded per DPU first, then one read and one write per DPU.
local dpus = {}
for _, p in ipairs(input.d) do
  local t = dpus[p[1]]
  if t == nil then
    t = { ts = p[2], rx = p[4], entries = 0, exits = 0 }
    dpus[p[1]] = t
  end
  if p[2] > t.ts then t.ts = p[2] end
  if p[4] > t.rx then t.rx = p[4] end
  if p[3] > 0 then t.entries = t.entries + 1 else t.exits = t.exits + 1 end
end
for dpu, t in pairs(dpus) do
  local key = prefix .. 'dpu:' .. dpu
  local old = redis.call('HMGET', key, 'last_ts', 'last_rx', 'entries', 'exits', 'total')
  local ts, rx = t.ts, t.rx
  if old[1] and tonumber(old[1]) > ts then ts = tonumber(old[1]) end
  if old[2] and tonumber(old[2]) > rx then rx = tonumber(old[2]) end
  redis.call('HSET', key, 'last_ts', int(ts), 'last_rx', int(rx),
    'entries', (tonumber(old[3]) or 0) + t.entries,
    'exits', (tonumber(old[4]) or 0) + t.exits,
    'total', (tonumber(old[5]) or 0) + t.entries + t.exits)
  redis.call('ZADD', prefix .. 'dpus:by-arrival', int(rx), dpu)
end

-- Spaces: each read once, updated in memory effect by effect, written once.
local spaces = {}
local counts = {}
local late = {}
for i, e in ipairs(input.e) do
  local s = spaces[e[1]]
  if s == nil then
    local head = redis.call('HMGET', prefix .. 'space:' .. e[1], 'count', 'ts', 'delta', 'id')
    s = { count = tonumber(head[1]) or 0, ts = tonumber(head[2]),
          delta = tonumber(head[3]), id = tonumber(head[4]), first = e[2] }
    spaces[e[1]] = s
  end
  local count = s.count + e[3]
  if e[5] == 1 and count < 0 then
    count = 0
  end
  s.count = count
  local inOrder = s.ts == nil or e[2] > s.ts
      or (e[2] == s.ts and (e[3] < s.delta or (e[3] == s.delta and e[4] > s.id)))
  if inOrder then
    s.ts, s.delta, s.id = e[2], e[3], e[4]
  elseif late[e[1]] == nil or e[2] < late[e[1]] then
    late[e[1]] = e[2]
  end
  counts[i] = count
end
for space, s in pairs(spaces) do
  local key = prefix .. 'space:' .. space
  if s.ts == nil then
    redis.call('HSET', key, 'count', s.count)
  else
    redis.call('HSET', key, 'count', s.count, 'ts', int(s.ts), 'delta', s.delta, 'id', int(s.id))
  end
end

-- Built by hand: cjson writes an empty table as {} and large numbers with 14 digits.
local lateList = {}
for space, ts in pairs(late) do
  table.insert(lateList, cjson.encode(space) .. ',"' .. int(ts) .. '"')
end
local spaceList = {}
for space, s in pairs(spaces) do
  table.insert(spaceList, cjson.encode(space) .. ',"' .. int(s.first) .. '"')
end
local out = '{"c":' .. (#counts > 0 and cjson.encode(counts) or '[]')
    .. ',"l":[' .. (#lateList > 0 and ('[' .. table.concat(lateList, '],[') .. ']') or '') .. ']'
    .. ',"k":' .. (input.k and cjson.encode(input.k) or 'null')
    .. ',"s":[' .. (#spaceList > 0 and ('[' .. table.concat(spaceList, '],[') .. ']') or '') .. ']}'
redis.call('SET', batchKey, out, 'EX', 86400)
return out
