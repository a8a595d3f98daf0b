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

// KEYS: window (a hash: c<bucket>, f<bucket>, s<bucket>).  ARGV: bucket width ms, buckets, calls, failures, slow.
// Adds the counts to the bucket of Redis's clock, drops the buckets that left the window, and returns what the
// window holds: {calls, failures, slow}. The hash expires once its newest bucket left the window.
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
redis.call('PEXPIRE', KEYS[1], math.ceil(width * (buckets + 1)))
return { totals.c, totals.f, totals.s }
`;
