import { randomUUID } from 'node:crypto';
import Redis, { type RedisOptions } from 'ioredis';
import { checkKnownOptions } from '../common/known-options';
import type { CircuitStore, CircuitStoreMembership, FleetState, FleetUpdate, ProbeLease } from '../store/circuit-store';

/** Options of `RedisCircuitStore`: a `url` (the store makes and owns its connections) or a `client` (yours). */
export type RedisCircuitStoreOptions = (
  | {
      /** `redis://host:port/db`; the store connects with the options below. */
      readonly url: string;
      readonly client?: never;
    }
  | {
      /**
       * Your ioredis client, used for commands; the store subscribes on a
       * `duplicate()` of it. Configure it as docs/fleet.md says (no offline
       * queue, a `commandTimeout`), or a slow Redis can hold a transition back.
       */
      readonly client: Redis;
      readonly url?: never;
    }
) & {
  /**
   * Prefix of every key and channel. Keys are `${prefix}{${name}}:state` and
   * the like: the `{name}` hash tag keeps one circuit's keys in one Redis Cluster slot.
   * @default 'circuit-breaker:'
   */
  readonly prefix?: string;
  /**
   * Milliseconds a store command may take before the breaker stops waiting
   * and decides alone (only with `url`).
   * @default 250
   */
  readonly commandTimeout?: number;
  /**
   * Milliseconds a probe lease lasts: if the prober dies, another process
   * probes after it. Make it longer than a probe takes (a breaker with a
   * `timeout` option asks for twice its timeout, when larger).
   * @default 10_000
   */
  readonly probeLease?: number;
  /** Further ioredis options (only with `url`). */
  readonly redisOptions?: RedisOptions;
};

// A transition the store gave up waiting for (a command timeout, Redis hung) must not take effect when Redis
// runs it later: by then the breaker has decided alone, and a stale trip would open every process.
// Each write carries a deadline in Redis's clock (TIME), estimated from an offset measured on connecting ('0': none).
const LATE = `
local function late(deadline)
  if deadline == '0' then return false end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(deadline)
end
`;
// KEYS: state, wait, lease.  ARGV: wait ms, by ('trip', 'probe', 'operator'), channel, message, deadline
// Returns the wait to adopt; -1: this one; -2: late, not applied; -3: isolated by an operator, not applied.
const OPEN_SCRIPT = `${LATE}
if late(ARGV[5]) then return -2 end
local state = redis.call('GET', KEYS[1])
if state == 'ISOLATED' and ARGV[2] ~= 'operator' then return -3 end
if ARGV[2] == 'trip' and state == 'OPEN' then
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl > 0 then return ttl end
end
redis.call('SET', KEYS[1], 'OPEN')
redis.call('DEL', KEYS[3])
if tonumber(ARGV[1]) > 0 then redis.call('SET', KEYS[2], '1', 'PX', ARGV[1]) else redis.call('DEL', KEYS[2]) end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return -1
`;
// KEYS: state, wait, lease.  ARGV: lease ms, holder, deadline
const ACQUIRE_SCRIPT = `${LATE}
if late(ARGV[3]) then return {'LATE', 0} end
local state = redis.call('GET', KEYS[1])
if not state then return {'CLOSED', 0} end
if state == 'ISOLATED' then return {'ISOLATED', 0} end
local wait = redis.call('PTTL', KEYS[2])
if wait > 0 then return {'OPEN', wait} end
if redis.call('SET', KEYS[3], ARGV[2], 'NX', 'PX', ARGV[1]) then return {'GRANTED', 0} end
if redis.call('GET', KEYS[3]) == ARGV[2] then
  redis.call('PEXPIRE', KEYS[3], ARGV[1])
  return {'GRANTED', 0}
end
return {'LEASED', redis.call('PTTL', KEYS[3])}
`;
// KEYS: state, wait, lease.  ARGV: new state ('' for CLOSED), channel, message, deadline, by ('probe', 'operator')
// Returns 1: applied; 0: late; 2: a probe's close left an operator's isolation in place.
const SET_SCRIPT = `${LATE}
if late(ARGV[4]) then return 0 end
if ARGV[5] == 'probe' and redis.call('GET', KEYS[1]) == 'ISOLATED' then return 2 end
if ARGV[1] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[1]) end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`;
// KEYS: state, wait
const READ_SCRIPT = `
local state = redis.call('GET', KEYS[1])
if not state then return {'CLOSED', 0} end
local wait = redis.call('PTTL', KEYS[2])
if wait < 0 then wait = 0 end
return {state, wait}
`;

const unavailable = (): Promise<never> => Promise.reject(new Error('RedisCircuitStore is closed'));
/** What a closed store's `join` returns: never available, so the breaker decides alone. */
const CLOSED_MEMBERSHIP: CircuitStoreMembership = Object.freeze({
  available: false,
  open: unavailable,
  acquireProbe: unavailable,
  close: unavailable,
  isolate: unavailable,
  leave: () => undefined,
});

interface Circuit {
  readonly keys: readonly [string, string, string];
  readonly channel: string;
  readonly members: Map<string, (fleet: FleetState, update: FleetUpdate) => void>;
  /** Settles once the subscriber's SUBSCRIBE to `channel` is answered (or failed). */
  subscribed: Promise<void>;
}

/**
 * Shares circuits across processes through Redis (ioredis). Breakers with
 * the same `name` and a store on the same Redis share one circuit: a trip
 * anywhere opens it everywhere (pushed by pub/sub), the wait is a key's TTL,
 * and one process at a time holds the probe lease (`SET NX PX`).
 * A guarded CLOSED call sends Redis nothing.
 *
 * @example
 * const store = new RedisCircuitStore({ url: 'redis://127.0.0.1:6379' });
 * const breaker = new CircuitBreaker({ name: 'payments-api', store });
 * await store.close();
 */
export class RedisCircuitStore implements CircuitStore {
  private readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly probeLeaseMs: number;
  private readonly circuits = new Map<string, Circuit>();
  private closed = false;
  /** Set when a command failed or timed out; cleared by the next success or reconnect. */
  private degraded = false;
  private healthCheck: NodeJS.Timeout | undefined;
  /** ms a command may take (ours, or the client's own `commandTimeout`): its deadline in Redis. */
  private readonly commandTimeoutMs: number;
  /** Redis's clock (TIME, ms) minus `performance.now()`, measured on each connect; undefined: not known. */
  private redisClockOffset: number | undefined;
  /** Pending ready() calls, answered `false` by close() rather than held until their timeout. */
  private readonly readyWaiters = new Set<(ready: boolean) => void>();

  constructor(options: RedisCircuitStoreOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('RedisCircuitStore needs { url } or { client }');
    checkKnownOptions(options, ['url', 'client', 'prefix', 'commandTimeout', 'probeLease', 'redisOptions'], 'RedisCircuitStore');
    const { url, client } = options as { url?: unknown; client?: unknown };
    if ((url === undefined) === (client === undefined)) throw new TypeError('RedisCircuitStore needs exactly one of url or client');
    const prefix = options.prefix ?? 'circuit-breaker:';
    if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
      throw new TypeError('prefix must be a string without { or } (the breaker name is the hash tag)');
    }
    this.prefix = prefix;
    const commandTimeout = options.commandTimeout ?? 250;
    if (typeof commandTimeout !== 'number' || !Number.isFinite(commandTimeout) || commandTimeout <= 0) {
      throw new RangeError(`commandTimeout must be a positive number of milliseconds, got ${String(commandTimeout)}`);
    }
    const probeLease = options.probeLease ?? 10_000;
    if (typeof probeLease !== 'number' || !Number.isInteger(probeLease) || probeLease <= 0) {
      throw new RangeError(`probeLease must be a positive integer of milliseconds, got ${String(probeLease)}`);
    }
    this.probeLeaseMs = probeLease;

    if (url !== undefined) {
      if (typeof url !== 'string') throw new TypeError('url must be a string');
      this.client = new Redis(url, {
        // A dead or hung Redis must surface at once: a transition is never queued behind a reconnect.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout,
        connectTimeout: Math.max(1000, commandTimeout),
        retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
        // ioredis's disconnect() ends a socket and destroys it only after this (2 s by default, on a
        // timer that holds the process): with Redis down or hung, close() would keep the process alive that long.
        disconnectTimeout: commandTimeout,
        ...options.redisOptions,
      });
      this.ownsClient = true;
    } else {
      if (typeof (client as Redis).duplicate !== 'function') throw new TypeError('client must be an ioredis client');
      this.client = client as Redis;
      this.ownsClient = false;
    }
    this.commandTimeoutMs = this.client.options.commandTimeout ?? commandTimeout;
    // The subscriber must keep its queue: a subscribe issued before it connects is sent when it does.
    this.subscriber = this.client.duplicate({
      enableOfflineQueue: true,
      commandTimeout: undefined,
      // The 'ready' handler below subscribes again itself, with its failure handled. ioredis's own
      // re-subscription has no handler: a close() during a reconnect rejected it unhandled, ending the process.
      autoResubscribe: false,
      disconnectTimeout: (url !== undefined ? options.redisOptions?.disconnectTimeout : undefined) ?? commandTimeout,
    });
    this.client.on('error', this.onClientError);
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (channel: string, message: string) => this.deliver(channel, message));
    // Every (re)connect re-reads each circuit: a process that starts or reconnects during an outage starts OPEN.
    // ioredis emits 'ready' before it re-subscribes: read once our own SUBSCRIBE is answered, so that a
    // transition is either in what we read or pushed to us after it, never lost in between.
    this.subscriber.on('ready', () => {
      const channels = [...this.circuits.values()].filter((c) => c.members.size > 0).map((c) => c.channel);
      if (channels.length > 0) void this.subscriber.subscribe(...channels).then(() => this.resync(), () => undefined);
    });
    this.client.on('ready', this.onClientReady);
    if (this.client.status === 'ready') void this.measureClock();
  }

  private readonly onClientError = (): void => {
    this.degraded = true;
  };

  private readonly onClientReady = (): void => {
    if (this.closed) return;
    this.degraded = false;
    void this.measureClock();
    this.resync();
  };

  join(name: string, onFleet: (fleet: FleetState, update: FleetUpdate) => void): CircuitStoreMembership {
    // A closed store has no fleet to offer: the breaker runs alone (never a throw out of a constructor or a defaults call).
    if (this.closed) return CLOSED_MEMBERSHIP;
    const circuit = this.circuit(name);
    const id = randomUUID();
    circuit.members.set(id, onFleet);
    if (circuit.members.size === 1) circuit.subscribed = this.subscriber.subscribe(circuit.channel).then(() => undefined, () => undefined);
    // Read once subscribed (see the 'ready' handler); before the client connects, its 'ready' reads instead.
    void circuit.subscribed
      .then(() => this.read(circuit))
      .then((fleet) => fleet !== undefined && circuit.members.has(id) && onFleet(fleet, 'sync'));
    const [state, wait, lease] = circuit.keys;
    const store = this;
    return {
      get available() {
        return store.available;
      },
      open: async (waitMs, by) => {
        const ms = Math.ceil(waitMs);
        const remaining = (await this.command(() =>
          this.client.eval(OPEN_SCRIPT, 3, state, wait, lease, ms, by, circuit.channel, `OPEN ${ms} ${id}`, this.deadline()),
        )) as number;
        if (remaining === -2) this.late();
        if (remaining === -3) return Infinity;
        return remaining < 0 ? ms : remaining;
      },
      acquireProbe: async (leaseMs): Promise<ProbeLease> => {
        const ms = Math.max(this.probeLeaseMs, Math.ceil(leaseMs));
        const [answer, ttl] = (await this.command(() => this.client.eval(ACQUIRE_SCRIPT, 3, state, wait, lease, ms, id, this.deadline()))) as [string, number];
        switch (answer) {
          case 'LATE':
            return this.late();
          case 'GRANTED':
            return { granted: true, lease: ms };
          case 'CLOSED':
            return { granted: false, fleet: { state: 'CLOSED' }, retryIn: 0 };
          case 'ISOLATED':
            return { granted: false, fleet: { state: 'ISOLATED' }, retryIn: Infinity };
          case 'OPEN':
            return { granted: false, fleet: { state: 'OPEN', remaining: ttl }, retryIn: ttl };
          default:
            return { granted: false, fleet: { state: 'OPEN', remaining: 0 }, retryIn: Math.max(1, ttl) };
        }
      },
      close: async (by) => {
        const applied = await this.command(() =>
          this.client.eval(SET_SCRIPT, 3, state, wait, lease, '', circuit.channel, `CLOSED 0 ${id}`, this.deadline(), by),
        );
        if (applied === 0) this.late();
      },
      isolate: async () => {
        const applied = await this.command(() =>
          this.client.eval(SET_SCRIPT, 3, state, wait, lease, 'ISOLATED', circuit.channel, `ISOLATED 0 ${id}`, this.deadline(), 'operator'),
        );
        if (applied === 0) this.late();
      },
      leave: () => {
        circuit.members.delete(id);
        if (circuit.members.size === 0 && !this.closed) void this.subscriber.unsubscribe(circuit.channel).catch(() => undefined);
      },
    };
  }

  /** True while commands can be expected to answer promptly. */
  get available(): boolean {
    return !this.closed && !this.degraded && this.client.status === 'ready';
  }

  /**
   * Whether both connections (commands and pub/sub) become ready within
   * `timeoutMs`, for start-up ordering: breakers do not need it, they run
   * alone until Redis answers and catch up then.
   *
   * Settles within the bound whatever Redis does: `true` as soon as both are
   * ready, `false` when they are not by then (Redis down, refusing, or hung),
   * or at once when the store is closed (also while waiting). It never
   * rejects for an outage, and leaves no timer or listener behind once settled.
   *
   * @param timeoutMs - how long to wait; by default the client's `connectTimeout`
   *   (with `url`, `Math.max(1000, commandTimeout)` unless `redisOptions` sets it;
   *   ioredis's 10 s for a `client` of yours that does not)
   * @returns a promise of `true` (both ready) or `false` (not within `timeoutMs`)
   * @throws RangeError (as a rejection) when `timeoutMs` is not a finite number >= 0
   *
   * @example
   * if (!(await store.ready())) logger.warn('Redis not ready: breakers start alone');
   */
  ready(timeoutMs: number = this.connectTimeoutMs()): Promise<boolean> {
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
      return Promise.reject(new RangeError(`ready() timeout must be a finite number of milliseconds >= 0, got ${String(timeoutMs)}`));
    }
    const bothReady = () => this.client.status === 'ready' && this.subscriber.status === 'ready';
    if (this.closed) return Promise.resolve(false);
    if (bothReady()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const check = (): void => {
        if (bothReady()) settle(true);
      };
      const settle = (ready: boolean): void => {
        clearTimeout(timer);
        this.client.off('ready', check);
        this.subscriber.off('ready', check);
        this.readyWaiters.delete(settle);
        resolve(ready);
      };
      // Not unref'd: an app awaiting ready() with nothing else alive must still get its answer.
      const timer = setTimeout(() => settle(false), timeoutMs);
      this.client.on('ready', check);
      this.subscriber.on('ready', check);
      this.readyWaiters.add(settle);
    });
  }

  /**
   * ioredis's connectTimeout bounds one connection attempt, which is what ready() waits for;
   * it is 0 or unset only when the user disabled it, and then the store's own default applies.
   */
  private connectTimeoutMs(): number {
    const configured = this.client.options.connectTimeout;
    return typeof configured === 'number' && configured > 0 ? configured : Math.max(1000, this.commandTimeoutMs);
  }

  /** Ends every connection the store made (not a `client` you passed in). Breakers go on alone. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.healthCheck !== undefined) clearInterval(this.healthCheck);
    for (const settle of [...this.readyWaiters]) settle(false);
    this.subscriber.disconnect();
    if (this.ownsClient) {
      // QUIT lets Redis close the connection gracefully, but only a Redis that answers can: else end it now.
      // (The client keeps its error listener: ending a connection can still emit an error, which must not crash.)
      if (this.client.status === 'ready' && !this.degraded) await this.client.quit().catch(() => this.client.disconnect());
      else this.client.disconnect();
    } else {
      // A client you passed in outlives the store: take back what the store attached to it.
      this.client.off('error', this.onClientError);
      this.client.off('ready', this.onClientReady);
    }
  }

  private async command<T>(run: () => Promise<T>): Promise<T> {
    if (!this.available) throw new Error('RedisCircuitStore unavailable');
    try {
      const result = await run();
      this.degraded = false;
      return result;
    } catch (error) {
      this.markDegraded();
      throw error;
    }
  }

  /** A timed-out command leaves the connection "ready": ping until Redis answers again, then resync. */
  private markDegraded(): void {
    this.degraded = true;
    if (this.healthCheck !== undefined || this.closed) return;
    this.healthCheck = setInterval(() => {
      this.client.ping().then(
        () => {
          clearInterval(this.healthCheck);
          this.healthCheck = undefined;
          this.degraded = false;
          this.resync();
        },
        () => undefined,
      );
    }, 500);
    this.healthCheck.unref();
  }

  /** The deadline of a command sent now, in Redis's clock ('0': none, the offset is not known yet). */
  private deadline(): string {
    const offset = this.redisClockOffset;
    return offset === undefined ? '0' : String(Math.ceil(performance.now() + offset + this.commandTimeoutMs));
  }

  /** Redis ran a command after its deadline: it did nothing. Our estimate of its clock may be off: measure again. */
  private late(): never {
    void this.measureClock();
    throw new Error('RedisCircuitStore: the command reached Redis after its deadline and was not applied');
  }

  /** Estimates Redis's clock against ours over one round trip (TIME). */
  private async measureClock(): Promise<void> {
    try {
      const sent = performance.now();
      const [seconds, micros] = await this.client.time();
      const received = performance.now();
      // A slow answer says little about when Redis read its clock: keep the previous estimate.
      if (received - sent > this.commandTimeoutMs / 2) return;
      this.redisClockOffset = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - (sent + received) / 2;
    } catch {
      // Unknown for now: commands carry no deadline until the next connect.
    }
  }

  private async read(circuit: Circuit): Promise<FleetState | undefined> {
    try {
      const [state, wait] = (await this.client.eval(READ_SCRIPT, 2, circuit.keys[0], circuit.keys[1])) as [string, number];
      if (state === 'OPEN') return { state: 'OPEN', remaining: wait };
      if (state === 'ISOLATED') return { state: 'ISOLATED' };
      return { state: 'CLOSED' };
    } catch {
      return undefined;
    }
  }

  private resync(): void {
    if (this.closed) return;
    for (const circuit of this.circuits.values()) {
      void this.read(circuit).then((fleet) => {
        if (fleet !== undefined) for (const onFleet of circuit.members.values()) onFleet(fleet, 'sync');
      });
    }
  }

  private deliver(channel: string, message: string): void {
    const circuit = this.byChannel.get(channel);
    if (circuit === undefined) return;
    const [state, ms, sender] = message.split(' ');
    const fleet: FleetState =
      state === 'OPEN' ? { state: 'OPEN', remaining: Number(ms) } : state === 'ISOLATED' ? { state: 'ISOLATED' } : { state: 'CLOSED' };
    for (const [id, onFleet] of circuit.members) if (id !== sender) onFleet(fleet, 'event');
  }

  private readonly byChannel = new Map<string, Circuit>();

  private circuit(name: string): Circuit {
    let circuit = this.circuits.get(name);
    if (circuit === undefined) {
      const base = `${this.prefix}{${name}}`;
      circuit = { keys: [`${base}:state`, `${base}:wait`, `${base}:lease`], channel: `${base}:events`, members: new Map(), subscribed: Promise.resolve() };
      this.circuits.set(name, circuit);
      this.byChannel.set(circuit.channel, circuit);
    }
    return circuit;
  }
}
