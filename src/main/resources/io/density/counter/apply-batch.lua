-- Applies one committed batch to the realtime state, atomically and at most once.
--
-- ARGV[1] key prefix, ARGV[2] batch id, ARGV[3] JSON:
--   d: new datapoints [dpu_id, ts_micros, direction, received_micros]
--   e: their effects, in contract order [space_id, ts_micros, delta, datapoint_id, clamp (1|0)]
--   f: ids of earlier batches whose counts are stored in PostgreSQL: their answers can go
-- Returns JSON {c: [count of the effect's space after each effect, in the order of e],
--               l: [[space_id, "earliest ts_micros"] of each space that got an effect out of
--                   contract order: its counts must be recomputed from that instant]}.
--
-- A space's hash holds its count and the order key (ts, delta, id) of the latest effect applied
-- in order; an effect that sorts before it is late: it is added to the count provisionally and
-- reported. Per-DPU hashes hold last_ts, last_rx, entries, exits, total. A batch id seen before
-- returns the stored answer, so a retried batch is never counted twice.
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
  return done
end
local function int(n)
  return string.format('%.0f', n)
end

for _, p in ipairs(input.d) do
  local key = prefix .. 'dpu:' .. p[1]
  local last = redis.call('HMGET', key, 'last_ts', 'last_rx')
  if not last[1] or tonumber(last[1]) < p[2] then
    redis.call('HSET', key, 'last_ts', int(p[2]))
  end
  if not last[2] or tonumber(last[2]) < p[4] then
    redis.call('HSET', key, 'last_rx', int(p[4]))
  end
  redis.call('HINCRBY', key, p[3] > 0 and 'entries' or 'exits', 1)
  redis.call('HINCRBY', key, 'total', 1)
end

local counts = {}
local late = {}
for i, e in ipairs(input.e) do
  local key = prefix .. 'space:' .. e[1]
  local head = redis.call('HMGET', key, 'count', 'ts', 'delta', 'id')
  local count = (tonumber(head[1]) or 0) + e[3]
  if e[5] == 1 and count < 0 then
    count = 0
  end
  local ts, delta, id = tonumber(head[2]), tonumber(head[3]), tonumber(head[4])
  local inOrder = ts == nil or e[2] > ts
      or (e[2] == ts and (e[3] < delta or (e[3] == delta and e[4] > id)))
  if inOrder then
    redis.call('HSET', key, 'count', count, 'ts', int(e[2]), 'delta', e[3], 'id', int(e[4]))
  else
    redis.call('HSET', key, 'count', count)
    if late[e[1]] == nil or e[2] < late[e[1]] then
      late[e[1]] = e[2]
    end
  end
  counts[i] = count
end

-- Built by hand: cjson writes an empty table as {} and large numbers with 14 digits.
local lateList = {}
for space, ts in pairs(late) do
  table.insert(lateList, cjson.encode(space) .. ',"' .. int(ts) .. '"')
end
local out = '{"c":' .. (#counts > 0 and cjson.encode(counts) or '[]')
    .. ',"l":[' .. (#lateList > 0 and ('[' .. table.concat(lateList, '],[') .. ']') or '') .. ']}'
redis.call('SET', batchKey, out, 'EX', 86400)
return out
