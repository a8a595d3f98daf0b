/**
 * The scripts of a quorum and of a fleet window (see scripts.ts for the circuit's own keys). The trips and
 * the window are keys of the circuit's hash tag, each expiring with what it holds: a member that dies, or a
 * circuit gone idle, leaves nothing behind.
 */
import { LATE } from './scripts';

// KEYS: state, wait, lease, trips.  ARGV: wait ms, by ('trip', 'probe'), channel, message, deadline, member,
// quorum, within ms, the message when the quorum opens it, keep ms (the OPEN state's TTL, as OPEN_SCRIPT's).
// Returns the wait to adopt; -1: this one; -2: late, not applied; -3: isolated by an operator; -4: below the quorum.
export const TRIP_SCRIPT = `${LATE}
if late(ARGV[5]) then return -2 end
local state = redis.call('GET', KEYS[1])
if state == 'ISOLATED' then return -3 end
local message = ARGV[4]
if state ~= 'OPEN' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('ZADD', KEYS[4], now, ARGV[6])
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - tonumber(ARGV[8]))
  redis.call('PEXPIRE', KEYS[4], ARGV[8])
  if redis.call('ZCARD', KEYS[4]) < tonumber(ARGV[7]) then return -4 end
  redis.call('DEL', KEYS[4])
  message = ARGV[9]
elseif ARGV[2] == 'trip' then
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl > 0 then return ttl end
end
redis.call('SET', KEYS[1], 'OPEN', 'PX', ARGV[10])
redis.call('DEL', KEYS[3])
if tonumber(ARGV[1]) > 0 then redis.call('SET', KEYS[2], '1', 'PX', ARGV[1]) else redis.call('DEL', KEYS[2]) end
redis.call('PUBLISH', ARGV[3], message)
return -1
`;

// KEYS: window (a hash: c<bucket>, f<bucket>, s<bucket>), meta ('<width> <buckets>', for the operator's view).
// ARGV: bucket width ms, buckets, calls, failures, slow.
// Adds the counts to the bucket of Redis's clock, drops the buckets that left the window, and returns what the
// window holds: {calls, failures, slow}. Both keys expire once the newest bucket left the window. (The width is a
// key of its own, not a field of the hash: a member of an older release reads every field as a bucket.)
export const WINDOW_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local width = tonumber(ARGV[1])
local buckets = tonumber(ARGV[2])
local newest = math.floor(now / width)
if tonumber(ARGV[3]) > 0 then
  redis.call('HINCRBY', KEYS[1], 'c' .. newest, ARGV[3])
  if tonumber(ARGV[4]) > 0 then redis.call('HINCRBY', KEYS[1], 'f' .. newest, ARGV[4]) end
  if tonumber(ARGV[5]) > 0 then redis.call('HINCRBY', KEYS[1], 's' .. newest, ARGV[5]) end
end
local held = redis.call('HGETALL', KEYS[1])
local totals = { c = 0, f = 0, s = 0 }
for i = 1, #held, 2 do
  local field = held[i]
  local bucket = tonumber(string.sub(field, 2))
  if bucket <= newest - buckets then
    redis.call('HDEL', KEYS[1], field)
  else
    local kind = string.sub(field, 1, 1)
    totals[kind] = totals[kind] + tonumber(held[i + 1])
  end
end
local ttl = math.ceil(width * (buckets + 1))
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('SET', KEYS[2], ARGV[1] .. ' ' .. ARGV[2], 'PX', ttl)
return { totals.c, totals.f, totals.s }
`;

/**
 * The fleet window's failure rate as the admin reads it: the hash (HGETALL: a flat array, or an object or a
 * Map, as the library gives it), its meta key, and Redis's TIME, read in one MULTI. `null`: no fleet window
 * (or one written by a release that kept no width); 0 when it holds no call.
 * @internal
 */
export function windowRate(hash: unknown, meta: string | null, time: unknown): number | null {
  if (meta === null || hash === null || hash === undefined) return null;
  const [width, buckets] = meta.split(' ').map(Number) as [number, number];
  const [seconds, micros] = time as [string | number, string | number];
  const newest = Math.floor((Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)) / width);
  const entries: [string, unknown][] = Array.isArray(hash)
    ? Array.from({ length: hash.length / 2 }, (_, i) => [String(hash[2 * i]), hash[2 * i + 1]])
    : hash instanceof Map
      ? [...(hash as Map<unknown, unknown>)].map(([field, value]) => [String(field), value])
      : Object.entries(hash as Record<string, unknown>);
  let calls = 0;
  let failures = 0;
  for (const [field, value] of entries) {
    const bucket = Number(field.slice(1));
    if (!(bucket > newest - buckets && bucket <= newest)) continue;
    if (field[0] === 'c') calls += Number(value);
    else if (field[0] === 'f') failures += Number(value);
  }
  return calls === 0 ? 0 : failures / calls;
}
