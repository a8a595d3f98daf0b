/**
 * The store's Lua scripts: each reads and writes one circuit's keys (`state`,
 * `wait`: a TTL, `lease`: SET NX PX) atomically in Redis, and publishes the
 * transition on the circuit's channel.
 *
 * A CLOSED circuit has no keys. An OPEN one's `state` expires too (`keep` ms,
 * longer than its wait and any lease, set by each trip and lease grant), so a
 * circuit nobody trips or probes any more (a key of a keyed breaker that went
 * idle) leaves nothing in Redis; read after that, it is CLOSED. Only an
 * operator's ISOLATED state has no TTL: it stays until released.
 *
 * Redis Cluster: every key a script is given (KEYS) is one circuit's, `${prefix}{${tag}}:...` (keys.ts), so
 * each script runs on the one primary of that tag's slot; nothing else is read or written. The channel is an
 * argument, not a key: PUBLISH from a script is classic pub/sub, which a cluster broadcasts to every node,
 * so a member subscribed on any node (primary or replica) hears it. Sharded pub/sub (SPUBLISH, Redis 7)
 * would keep a message on its shard, but it needs Redis 7 where the store supports 5, a subscriber per
 * shard that moves with its slots, and its clients' support is younger; transitions are rare (a trip, a
 * probe's outcome), so the broadcast costs the cluster nothing that matters.
 */

// A transition the store gave up waiting for (a command timeout, Redis hung) must not take effect when Redis
// runs it later: by then the breaker has decided alone, and a stale trip would open every process.
// Each write carries a deadline in Redis's clock (TIME), estimated from an offset measured on connecting ('0': none).
export const LATE = `
local function late(deadline)
  if deadline == '0' then return false end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(deadline)
end
`;
// KEYS: state, wait, lease.  ARGV: wait ms, by ('trip', 'probe', 'operator'), channel, message, deadline, keep ms (the state's TTL)
// Returns the wait to adopt; -1: this one; -2: late, not applied; -3: isolated by an operator, not applied.
export const OPEN_SCRIPT = `${LATE}
if late(ARGV[5]) then return -2 end
local state = redis.call('GET', KEYS[1])
if state == 'ISOLATED' and ARGV[2] ~= 'operator' then return -3 end
if ARGV[2] == 'trip' and state == 'OPEN' then
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl > 0 then return ttl end
end
redis.call('SET', KEYS[1], 'OPEN', 'PX', ARGV[6])
redis.call('DEL', KEYS[3])
if tonumber(ARGV[1]) > 0 then redis.call('SET', KEYS[2], '1', 'PX', ARGV[1]) else redis.call('DEL', KEYS[2]) end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return -1
`;
// KEYS: state, wait, lease.  ARGV: lease ms, holder, deadline, keep ms (the state outlives a granted lease by this)
// A grant makes the OPEN state outlive the lease: a probe still running never finds its circuit expired.
export const ACQUIRE_SCRIPT = `${LATE}
local function keep()
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
end
if late(ARGV[3]) then return {'LATE', 0} end
local state = redis.call('GET', KEYS[1])
if not state then return {'CLOSED', 0} end
if state == 'ISOLATED' then return {'ISOLATED', 0} end
local wait = redis.call('PTTL', KEYS[2])
if wait > 0 then return {'OPEN', wait} end
if redis.call('SET', KEYS[3], ARGV[2], 'NX', 'PX', ARGV[1]) then
  keep()
  return {'GRANTED', 0}
end
if redis.call('GET', KEYS[3]) == ARGV[2] then
  redis.call('PEXPIRE', KEYS[3], ARGV[1])
  keep()
  return {'GRANTED', 0}
end
return {'LEASED', redis.call('PTTL', KEYS[3])}
`;
// KEYS: state, wait, lease, and for a close the fleet window, its meta key and the trips (window-scripts.ts).
// ARGV: new state ('' for CLOSED), channel, message, deadline, by ('probe', 'operator')
// Returns 1: applied; 0: late; 2: a probe's close left an operator's isolation in place.
// Closing an open circuit empties the fleet's window, as it empties each member's: the failures that tripped it
// must not trip it again once it closed (a window longer than the wait still holds them). A close of a circuit
// the fleet never opened leaves the window alone; an operator's reset empties the window and the trips.
export const SET_SCRIPT = `${LATE}
if late(ARGV[4]) then return 0 end
local was = redis.call('GET', KEYS[1])
if ARGV[5] == 'probe' and was == 'ISOLATED' then return 2 end
if ARGV[1] == '' then
  redis.call('DEL', KEYS[1])
  if KEYS[4] and (was or ARGV[5] == 'operator') then redis.call('DEL', KEYS[4], KEYS[5]) end
  if KEYS[6] and ARGV[5] == 'operator' then redis.call('DEL', KEYS[6]) end
else
  redis.call('SET', KEYS[1], ARGV[1])
end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`;
// KEYS: state, wait
export const READ_SCRIPT = `
local state = redis.call('GET', KEYS[1])
if not state then return {'CLOSED', 0} end
local wait = redis.call('PTTL', KEYS[2])
if wait < 0 then wait = 0 end
return {state, wait}
`;
