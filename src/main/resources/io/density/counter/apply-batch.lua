-- Applies one committed batch to the realtime state, atomically and at most once.
--
-- ARGV[1] key prefix, ARGV[2] the part of a batch that one counting shard applies ("id:shard"),
-- ARGV[3] JSON:
--   k: the part's fingerprint (its effects' number and hash), kept with its answer
--   d: new datapoints [dpu_id, ts_micros, direction, received_micros]
--   e: their effects, in contract order [space_id, ts_micros, delta, datapoint_id, clamp (1|0)]
--   f: earlier parts whose batches are closed in PostgreSQL: their answers can go
--   w: the out-of-order window in µs (0: none), see "Spaces" below
-- Returns two values: JSON {c: [count of the effect's space after each effect, in the order of e],
--               l: [[space_id, "earliest ts_micros"] of each space that got an effect out of
--                   order before its tail: its counts must be recomputed from that instant],
--               k: the fingerprint given,
--               s: [[space_id, "earliest ts_micros"] of each space the part changed],
--               x: [[space_id, n] for the effects of earlier parts whose counts changed, derived
--                   again in a tail: n of the records that follow are the space's],
--               h: [[space_id, count, ts, delta, datapoint_id], the head of each space whose
--                   tail took an effect out of order],
--               i: [[space_id, "ts_micros", 1 | 0] of each idle reset an effect applied in
--                   order found before it, 1 when it took the count to 0]},
-- and the records of x, 21 bytes each (ENTRY below: ts, delta, datapoint id, the new count), empty
-- when there are none or the part was seen before.
--
-- A space's string key holds its state, a record of STATE below (count, ts, delta, id, idle, ets,
-- tail, base, fts, fdelta, fid, tts; see "Spaces" below): its count and the order key (ts, delta,
-- id) of the latest effect applied in order; an effect that sorts before it is out of order: placed
-- in the space's tail when it sorts after the tail's floor, else late: added to the count
-- provisionally and reported. Each DPU's string key holds a record of TOTALS below (last_ts,
-- last_rx, entries, exits, total); the sorted set dpus:by-arrival holds every DPU scored by its
-- last_rx. A part seen before
-- returns the stored answer marked "again": true, so a retried batch is never counted twice; its
-- k and s let the caller see that a part offered again is not the part applied (other effects).
--
-- Idle resets: a space whose state holds idle (a period in µs) is reset to 0 at ets + idle, ets
-- being its latest effect, when no effect comes before that. An effect applied in order at or
-- after that instant finds the reset before it: the reset is reported in i (the caller writes it),
-- the count starts again from 0 (unless a later reset is the head already), and the tail starts
-- again from the reset. The sorted set idle-due holds each such space scored by ets + idle (or,
-- while its data goes on arriving, a little later: IDLE_GRACE below), for the shard's owner to
-- write the reset when it comes due with no effect.
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
  return { '{"again":true,' .. string.sub(done, 2), '' }
end
-- '%d' formats through a C long: exact for every integral µs count, and far cheaper than '%.0f'
-- (or the '%.17g' Redis prints a Lua number with).
local function int(n)
  return string.format('%d', n)
end

-- A command with many values, in slices of 1000 (pairs stay whole): unpack has a limit on how
-- many values it spreads. Without a key, the values are the command's only arguments.
local function sliced(command, key, values)
  for from = 1, #values, 1000 do
    local to = math.min(from + 999, #values)
    if key then
      redis.call(command, key, unpack(values, from, to))
    else
      redis.call(command, unpack(values, from, to))
    end
  end
end

-- The values of many keys, in their order (false for none): MGETs of at most 1000 keys.
local function read(keys)
  local values = {}
  for from = 1, #keys, 1000 do
    for _, v in ipairs(redis.call('MGET', unpack(keys, from, math.min(from + 999, #keys)))) do
      values[#values + 1] = v
    end
  end
  return values
end

-- Per-DPU totals: folded per DPU first, then one MGET and one MSET for the part's DPUs, and one
-- ZADD. A DPU's totals are a record of 40 bytes, little-endian: last_ts, last_rx (µs), entries,
-- exits, total, 8 bytes each (counter/DpuTotals is the server's side). Records are read and written
-- with struct, a C call each, where text cost a pattern match, five conversions and a format.
local TOTALS = '<i8i8i8i8i8'
local dpus = {}
local names = {}
for _, p in ipairs(input.d) do
  local t = dpus[p[1]]
  if t == nil then
    t = { ts = p[2], rx = p[4], entries = 0, exits = 0, key = prefix .. 'dpu:' .. p[1] }
    dpus[p[1]] = t
    names[#names + 1] = p[1]
  end
  if p[2] > t.ts then t.ts = p[2] end
  if p[4] > t.rx then t.rx = p[4] end
  if p[3] > 0 then t.entries = t.entries + 1 else t.exits = t.exits + 1 end
end
local totals, arrivals, keys = {}, {}, {}
for k, dpu in ipairs(names) do
  keys[k] = dpus[dpu].key
end
local olds = read(keys)
for k, dpu in ipairs(names) do
  local t = dpus[dpu]
  local ts, rx, entries, exits = t.ts, t.rx, t.entries, t.exits
  local total = entries + exits
  if olds[k] then
    local ots, orx, oen, oex, oto = struct.unpack(TOTALS, olds[k])
    if ots > ts then ts = ots end
    if orx > rx then rx = orx end
    entries, exits, total = entries + oen, exits + oex, total + oto
  end
  totals[#totals + 1] = t.key
  totals[#totals + 1] = struct.pack(TOTALS, ts, rx, entries, exits, total)
  arrivals[#arrivals + 1] = int(rx)
  arrivals[#arrivals + 1] = dpu
end
sliced('MSET', nil, totals)
sliced('ZADD', prefix .. 'dpus:by-arrival', arrivals)

-- Spaces: read with one MGET, updated in memory effect by effect, written with one MSET.
--
-- With a window w > 0, each space also keeps its tail: the effects of at least the last w of its
-- own timeline, each with the count after it (string tail:<space>, a record of ENTRY below each),
-- the tail's floor (the order key and count of the effect before the tail's first: fields fts,
-- fdelta, fid, base of the space's state; no fts: before every effect) and the instant of its
-- first entry (field tts). An effect that sorts before the head but after the floor, and is
-- within w of the head, is put in its place in the tail and the counts after it are derived
-- again here: no recount in PostgreSQL. Only the end of the tail from its place is read and
-- written again, and entries older than w leave the front in slices, once the first is half a
-- window older than that (tts says when), not one by one. Only an effect before the floor, or
-- older than the window behind the head, is late the old way:
-- added provisionally, reported in l, recounted in PostgreSQL, and the tail starts again from the
-- head that recount writes (which replaces the whole state, the tail's fields with it).
local function clamped(count, clamp)
  if clamp == 1 and count < 0 then
    return 0
  end
  return count
end
-- Whether effect a (ts, delta, id) comes before effect b in contract order: by timestamp, then
-- +1 before -1, then datapoint id.
local function before(ats, ad, aid, bts, bd, bid)
  return ats < bts or (ats == bts and (ad > bd or (ad == bd and aid < bid)))
end
-- A tail entry is a record of 21 bytes, little-endian: ts (8), delta (1), datapoint id (8),
-- count (4). Records are read and written with struct, a C call each: a text entry cost Lua a
-- pattern match and four conversions to read and a format to write, and a placed effect reads and
-- writes every entry after it.
local ENTRY, SIZE = '<i8bi8i4', 21
-- Read, an entry is a Lua array (a table with fields cost a hash part each, and a placed effect
-- reads dozens): its timestamp, delta, datapoint id and count, the count as read from the tail
-- (nil for an effect of this part), and the effect's index in this part (nil for one read).
local TS, DELTA, ID, COUNT, READ, AT = 1, 2, 3, 4, 5, 6
-- The entries of a run of records, appended to into, each with its count as read.
local function unpackInto(records, into)
  local pos = 1
  for _ = 1, #records / SIZE do
    local ts, d, id, c
    ts, d, id, c, pos = struct.unpack(ENTRY, records, pos)
    into[#into + 1] = { ts, d, id, c, c }
  end
  return into
end
local function packed(entries, from)
  local out = {}
  for k = from, #entries do
    local ent = entries[k]
    out[#out + 1] = struct.pack(ENTRY, ent[TS], ent[DELTA], ent[ID], ent[COUNT])
  end
  return table.concat(out)
end
-- The tail's records in place of what its key held (none: the key goes).
local function rewrite(key, records)
  if records == '' then
    redis.call('DEL', key)
  else
    redis.call('SET', key, records)
  end
end
-- The tail's floor moves to an entry that leaves it.
local function floorAt(s, ent)
  s.fts, s.fdelta, s.fid, s.base = ent[TS], ent[DELTA], ent[ID], ent[COUNT]
end
-- The rows of earlier parts whose counts a tail derived again, corrected with this part: their
-- records (ENTRY, with the new count) in fixes, and in fixed each space's name with how many of
-- them are its, in order. Packed, not formatted: a late effect can correct a hundred rows.
local fixes, fixed = {}, {}
local function collectFixes(space, s)
  if s.full then
    local n = 0
    for _, ent in ipairs(s.full) do
      if ent[AT] == nil and ent[COUNT] ~= ent[READ] then
        n = n + 1
        fixes[#fixes + 1] = struct.pack(ENTRY, ent[TS], ent[DELTA], ent[ID], ent[COUNT])
      end
    end
    if n > 0 then
      fixed[#fixed + 1] = cjson.encode(space) .. ',' .. n
    end
  end
end
-- Whether an effect placed at position at of the tail would leave a gap of the idle period or
-- more beside it: an idle reset would come between, so it is recounted in PostgreSQL instead.
-- After a floor that is a reset, the effect before it is not known here: recounted too.
local function opensGap(s, at, ts)
  local prev = s.full[at - 1]
  if prev then
    if ts - prev[TS] >= s.idle then return true end
  elseif s.fdelta == 2 then
    return true
  elseif s.fts ~= nil and ts - s.fts >= s.idle then
    return true
  end
  local nxt = s.full[at]
  return nxt ~= nil and nxt[TS] - ts >= s.idle
end
-- The entries (in contract order) still within the window, as records; the floor moves past the
-- others, and tts is the first kept (nil: none).
local function recent(s, entries, oldest)
  local keep = {}
  s.tts = nil
  for _, ent in ipairs(entries) do
    if ent[TS] < oldest then
      floorAt(s, ent)
    else
      s.tts = s.tts or ent[TS]
      keep[#keep + 1] = ent
    end
  end
  return packed(keep, 1)
end
-- The first of a tail's n records whose timestamp is ts or later (n: none), and that timestamp.
-- The tail is in contract order, so it is found by bisection: a few timestamps read, not every
-- record before it.
local function firstFrom(key, n, ts)
  local lo, hi, found = 0, n, nil
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    local at = struct.unpack('<i8', redis.call('GETRANGE', key, mid * SIZE, mid * SIZE + 7))
    if at >= ts then
      hi, found = mid, at
    else
      lo = mid + 1
    end
  end
  return lo, found
end
-- The end of a space's tail as s.full, with what this part appended: from the entry before the
-- first at or after ts (s.from, 0: the first). The part's effects come in contract order, so the
-- first to be placed in a space is the earliest: every later one is placed after s.full[1] too.
-- The entries from s.low on are new or changed: only they are written back.
local function readTail(s, key, ts)
  s.full, s.from = {}, 0
  if not s.fresh then
    local n = redis.call('STRLEN', key) / SIZE
    s.from = math.max(0, firstFrom(key, n, ts) - 1)
    unpackInto(redis.call('GETRANGE', key, s.from * SIZE, -1), s.full)
  end
  s.low = #s.full + 1
  for _, ent in ipairs(s.appended) do
    s.full[#s.full + 1] = ent
  end
  s.appended = nil
end
-- Entries older than oldest leave the front of the tail, the floor moving past them; tts becomes
-- the first entry left (nil: none left).
local function trim(s, key, oldest)
  local lo
  lo, s.tts = firstFrom(key, redis.call('STRLEN', key) / SIZE, oldest)
  if lo > 0 then
    -- The last entry to leave, which becomes the floor, and the ones kept after it.
    local from = redis.call('GETRANGE', key, (lo - 1) * SIZE, -1)
    floorAt(s, unpackInto(string.sub(from, 1, SIZE), {})[1])
    rewrite(key, string.sub(from, SIZE + 1))
  end
end

local window = input.w or 0
local spaces = {}
local counts = {}
local late = {}
local idles = {}
-- A space's state is a record of 67 bytes, little-endian: count (4), ts (8), delta (1), id (8),
-- idle (8), ets (8), tail (1: 1 kept, 0 not), base (4), fts (8), fdelta (1), fid (8), tts (8)
-- (counter/SpaceState is the server's side). None is NONE in a field of 8 bytes, 0 in delta, fdelta
-- (a delta is never 0) and base (read only while a tail is kept). Read and written with struct, a C
-- call each: as text, a part's every space cost a pattern match, twelve conversions and ten formats.
local STATE, NONE = '<i4i8bi8i8i8bi4i8bi8i8', -9007199254740992
-- A field of 8 bytes as a number or nil, and back; a delta as one or nil.
local function opt(n)
  if n == NONE then return nil end
  return n
end
local function field(n)
  if n == nil then return NONE end
  return n
end
local function optDelta(d)
  if d == 0 then return nil end
  return d
end
-- The part's spaces, in the order they first appear, read together.
local order = {}
for _, e in ipairs(input.e) do
  local s = spaces[e[1]]
  if s == nil then
    spaces[e[1]] = { first = e[2] }
    order[#order + 1] = e[1]
  elseif e[2] < s.first then
    s.first = e[2]
  end
end
local stateKeys = {}
for k, space in ipairs(order) do
  stateKeys[k] = prefix .. 'space:' .. space
end
for k, stored in ipairs(read(stateKeys)) do
  local s = spaces[order[k]]
  -- No state (a space the script has not seen): count 0, nothing else.
  local count, ts, delta, id, idle, ets, tail, base, fts, fdelta, fid, tts =
    0, NONE, 0, NONE, NONE, NONE, 0, 0, NONE, 0, NONE, NONE
  if stored then
    count, ts, delta, id, idle, ets, tail, base, fts, fdelta, fid, tts =
      struct.unpack(STATE, stored)
  end
  s.count, s.ts, s.delta, s.id = count, opt(ts), optDelta(delta), opt(id)
  -- idle as stored (0: no rule), for writing it back
  s.idleField, s.ets = opt(idle), opt(ets)
  s.idle = s.idleField
  s.tail = tail == 1
  s.base = s.tail and base or nil
  s.fts, s.fdelta, s.fid, s.tts = opt(fts), optDelta(fdelta), opt(fid), opt(tts)
  s.appended = {}
  if s.idle == 0 then s.idle = nil end
  if window > 0 and not s.tail then
    -- A tail starts at the head: whatever sorts after it can be placed here.
    s.tail, s.fresh = true, true
    s.fts, s.fdelta, s.fid, s.base = s.ts, s.delta, s.id, s.count
  end
end
-- The counts of a space's tail derived again from its earliest entry placed since (s.derive), to
-- the end, clamping as the space does; the space's count is the last. The part's effects placed in
-- one space are derived together, once, before anything reads a count: their places need none.
local function derive(s)
  local from = s.derive
  if from == nil then return end
  s.derive = nil
  local full, clamp = s.full, s.clamp
  local count = from == 1 and s.base or full[from - 1][COUNT]
  for k = from, #full do
    local ent = full[k]
    count = count + ent[DELTA]
    if clamp and count < 0 then count = 0 end -- clamped(), inline: this loop is the hot one
    ent[COUNT] = count
    if ent[AT] then
      counts[ent[AT]] = count
    end
  end
  s.count = count
end
for i, e in ipairs(input.e) do
  local s = spaces[e[1]]
  local inOrder = s.ts == nil or before(s.ts, s.delta, s.id, e[2], e[3], e[4])
  local at = nil
  if not inOrder and s.tail and e[2] >= s.ts - window
      and (s.fts == nil or before(s.fts, s.fdelta, s.fid, e[2], e[3], e[4])) then
    -- Out of order within the tail: its place, unless it opens an idle gap.
    if s.full == nil then
      readTail(s, prefix .. 'tail:' .. e[1], e[2])
    end
    -- Its place: before the first entry it comes before, found by bisection (the tail is in
    -- contract order).
    local full, lo, hi = s.full, 1, #s.full + 1
    while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      local m = full[mid]
      if before(e[2], e[3], e[4], m[TS], m[DELTA], m[ID]) then hi = mid else lo = mid + 1 end
    end
    at = lo
    if s.idle and opensGap(s, at, e[2]) then
      at = nil
    end
  end
  if inOrder then
    derive(s)
    if s.idle and s.ets and e[2] >= s.ets + s.idle then
      -- The space was idle: reset to 0 at ets + idle (a later reset that is the head stays).
      local r = s.ets + s.idle
      local latest = not (s.ts ~= nil and s.delta == 2 and s.ts >= r)
      table.insert(idles, cjson.encode(e[1]) .. ',"' .. int(r) .. '",' .. (latest and 1 or 0))
      if latest then
        s.count, s.ts, s.delta, s.id = 0, r, 2, 0
      end
      if s.tail then
        -- The reset ends the tail: it starts again from the reset.
        collectFixes(e[1], s)
        s.full, s.appended, s.fresh = nil, {}, true
        s.fts, s.fdelta, s.fid, s.base = s.ts, s.delta, s.id, s.count
      end
    end
    s.ets = e[2]
    local count = clamped(s.count + e[3], e[5])
    s.count = count
    s.ts, s.delta, s.id = e[2], e[3], e[4]
    counts[i] = count
    if s.tail then
      local ent = { e[2], e[3], e[4], count, nil, i }
      table.insert(s.full or s.appended, ent)
    end
  elseif at then
    -- Out of order within the tail: placed; the counts from it on are derived again (derive).
    table.insert(s.full, at, { e[2], e[3], e[4], nil, nil, i })
    if at < s.low then s.low = at end
    if s.derive == nil or at < s.derive then s.derive = at end
    s.clamp = e[5] == 1
    s.reordered = true
  else
    -- Before the tail (or no tail kept): provisional; PostgreSQL recounts from this instant.
    derive(s)
    local count = clamped(s.count + e[3], e[5])
    s.count = count
    counts[i] = count
    if late[e[1]] == nil or e[2] < late[e[1]] then
      late[e[1]] = e[2]
    end
    if s.ets == nil or e[2] > s.ets then
      s.ets = e[2]
    end
    if s.tail then
      collectFixes(e[1], s)
      s.tail, s.dropped, s.full, s.appended = false, true, nil, {}
    end
  end
end

-- A space whose data goes on arriving is not reset at its latest effect + idle before the data
-- stops for IDLE_GRACE (µs) of Redis's clock: a back-fill or a busy stretch that arrives after its
-- idle period would otherwise get a reset after every part, which the next part contradicts
-- (a recount each time).
local IDLE_GRACE = 2000000
local nowMicros = nil

local reordered = {}
local states = {}
for _, space in ipairs(order) do
  local s = spaces[space]
  derive(s)
  local tailKey = prefix .. 'tail:' .. space
  if s.idle and s.ets then
    if s.delta == 2 and s.ts >= s.ets + s.idle then
      redis.call('ZREM', prefix .. 'idle-due', space)
    else
      if nowMicros == nil then
        local t = redis.call('TIME')
        nowMicros = tonumber(t[1]) * 1000000 + tonumber(t[2])
      end
      redis.call('ZADD', prefix .. 'idle-due',
        int(math.max(s.ets + s.idle, nowMicros + IDLE_GRACE)), space)
    end
  end
  if s.dropped then
    redis.call('DEL', tailKey)
  elseif s.tail then
    -- Every space here has taken an effect, so it has a head.
    local oldest = s.ts - window
    if s.full then
      -- Rows of earlier parts whose counts changed: corrected in PostgreSQL with this part.
      collectFixes(space, s)
    end
    if s.full and s.from == 0 then
      -- All of the tail was read: written again without what is now too old.
      rewrite(tailKey, recent(s, s.full, oldest))
    else
      if s.full and s.low <= #s.full then
        -- Its end from the first entry new or changed is written again (after the anchor): as
        -- long as the end it replaces, or longer.
        redis.call('SETRANGE', tailKey, (s.from + s.low - 1) * SIZE, packed(s.full, s.low))
      elseif s.fresh and not s.full then
        redis.call('DEL', tailKey)
      end
      local empty = s.fresh and not s.full
      if not empty and (s.tts == nil or s.tts < oldest - window / 2) then
        trim(s, tailKey, oldest)
        empty = s.tts == nil
      end
      if s.appended then
        -- After the tail's entries, so too old only when the tail was emptied.
        local records = empty and recent(s, s.appended, oldest) or packed(s.appended, 1)
        if records ~= '' then
          redis.call('APPEND', tailKey, records)
        end
      end
    end
    if s.reordered then
      table.insert(reordered, cjson.encode(space) .. string.format(',%d,%d,%d,%d', s.count, s.ts,
        s.delta, s.id))
    end
  end
  -- Once the tail's fields are known (STATE).
  local kept = s.tail and not s.dropped
  states[#states + 1] = prefix .. 'space:' .. space
  local tail, base, fts, fdelta, fid, tts = 0, 0, NONE, 0, NONE, NONE
  if kept then
    tail, base, fts, fdelta, fid, tts = 1, s.base, field(s.fts), s.fdelta or 0, field(s.fid),
      field(s.tts)
  end
  states[#states + 1] = struct.pack(STATE, s.count, field(s.ts), s.delta or 0, field(s.id),
    field(s.idleField), field(s.idle and s.ets), tail, base, fts, fdelta, fid, tts)
end
sliced('MSET', nil, states)

-- Built by hand: cjson writes an empty table as {} and large numbers with 14 digits.
local function listOf(rows)
  return '[' .. (#rows > 0 and ('[' .. table.concat(rows, '],[') .. ']') or '') .. ']'
end
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
    .. ',"s":' .. listOf(spaceList) .. ',"x":' .. listOf(fixed) .. ',"h":' .. listOf(reordered)
    .. ',"i":' .. listOf(idles) .. '}'
redis.call('SET', batchKey, out, 'EX', 86400)
return { out, table.concat(fixes) }
