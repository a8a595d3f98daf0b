import { randomUUID } from 'node:crypto';
import { connect, type RedisCircuitStoreOptions, type RedisClientLike } from './connections';
import { circuitBase } from './keys';
import type { RedisClientAdapter, RedisSubscriber } from './redis-client';

export type { RedisCircuitStoreOptions, RedisClientLike };
import { ACQUIRE_SCRIPT, OPEN_SCRIPT, READ_SCRIPT, SET_SCRIPT } from './scripts';
import { TRIP_SCRIPT, WINDOW_SCRIPT } from './window-scripts';
import type { CircuitStore, CircuitStoreMembership, FleetState, FleetUpdate, ProbeLease } from '../store/circuit-store';

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
  /** With a quorum: who tripped, scored by when (a sorted set). With a fleet window: its buckets (a hash). */
  readonly trips: string;
  readonly window: string;
  readonly channel: string;
  readonly members: Map<string, (fleet: FleetState, update: FleetUpdate) => void>;
  /** Settles once the subscriber's SUBSCRIBE to `channel` is answered (or failed). */
  subscribed: Promise<void>;
}

/**
 * Shares circuits across processes through Redis (ioredis or node-redis; one server, Sentinel through
 * ioredis, or a Redis Cluster). Breakers with
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
  private readonly client: RedisClientAdapter;
  private readonly subscriber: RedisSubscriber;
  /** Removes what the store attached to the client (yours outlives the store). */
  private readonly detach: readonly (() => void)[];
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
    const connections = connect(options);
    this.client = connections.client;
    this.ownsClient = connections.ownsClient;
    this.prefix = connections.prefix;
    this.probeLeaseMs = connections.probeLeaseMs;
    this.commandTimeoutMs = connections.commandTimeoutMs;
    this.subscriber = this.client.subscriber((channel, message) => this.deliver(channel, message));
    // Every (re)connect re-reads each circuit: a process that starts or reconnects during an outage starts OPEN.
    // The subscriber reports ready once its channels are subscribed again, so that a transition is either
    // in what we read or pushed to us after it, never lost in between (a cluster's subscriber that moved
    // to another node after a failover too).
    this.subscriber.onReady(() => this.resync());
    this.detach = [
      this.client.onError(() => (this.degraded = true)),
      this.client.onReady(() => {
        if (this.closed) return;
        this.degraded = false;
        void this.measureClock();
        this.resync();
      }),
    ];
    if (this.client.ready) void this.measureClock();
  }

  join(name: string, onFleet: (fleet: FleetState, update: FleetUpdate) => void): CircuitStoreMembership {
    // A closed store has no fleet to offer: the breaker runs alone (never a throw out of a constructor or a defaults call).
    if (this.closed) return CLOSED_MEMBERSHIP;
    const circuit = this.circuit(name);
    const id = randomUUID();
    circuit.members.set(id, onFleet);
    if (circuit.members.size === 1) circuit.subscribed = this.subscriber.subscribe(circuit.channel).catch(() => undefined);
    // Read once subscribed (see the 'ready' handler); before the client connects, its 'ready' reads instead.
    void circuit.subscribed
      .then(() => this.read(circuit))
      .then((fleet) => fleet !== undefined && circuit.members.has(id) && onFleet(fleet, 'sync'));
    const store = this;
    return {
      get available() {
        return store.available;
      },
      open: async (waitMs, by) => {
        const ms = Math.ceil(waitMs);
        // The OPEN state outlives its wait by the wait again, or a lease when that is longer: then, idle, it expires.
        const keep = ms + Math.max(ms, this.probeLeaseMs);
        const remaining = (await this.command(() =>
          this.client.eval(OPEN_SCRIPT, circuit.keys, [ms, by, circuit.channel, `OPEN ${ms} ${id}`, this.deadline(), keep]),
        )) as number;
        if (remaining === -2) this.late();
        if (remaining === -3) return Infinity;
        return remaining < 0 ? ms : remaining;
      },
      acquireProbe: async (leaseMs): Promise<ProbeLease> => {
        const ms = Math.max(this.probeLeaseMs, Math.ceil(leaseMs));
        const [answer, ttl] = (await this.command(() => this.client.eval(ACQUIRE_SCRIPT, circuit.keys, [ms, id, this.deadline(), 2 * ms]))) as [
          string,
          number,
        ];
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
      trip: async (waitMs, by, quorum, within) => {
        const ms = Math.ceil(waitMs);
        const remaining = (await this.command(() =>
          this.client.eval(TRIP_SCRIPT, [...circuit.keys, circuit.trips], [
            ms, by, circuit.channel, `OPEN ${ms} ${id}`, this.deadline(), id, quorum, Math.ceil(within), `OPEN ${ms} ${id} quorum`, ms + Math.max(ms, this.probeLeaseMs),
          ]),
        )) as number;
        if (remaining === -2) this.late();
        if (remaining === -3) return Infinity;
        if (remaining === -4) return undefined;
        return remaining < 0 ? ms : remaining;
      },
      addToWindow: async (counts, window) => {
        const [calls, failures, slow] = (await this.command(() =>
          this.client.eval(WINDOW_SCRIPT, [circuit.window, `${circuit.window}:meta`], [window.duration / window.buckets, window.buckets, counts.calls, counts.failures, counts.slow]),
        )) as [number, number, number];
        return { calls, failures, slow };
      },
      close: async (by) => {
        const applied = await this.command(() =>
          this.client.eval(SET_SCRIPT, [...circuit.keys, circuit.window, `${circuit.window}:meta`, circuit.trips], ['', circuit.channel, `CLOSED 0 ${id} ${by}`, this.deadline(), by]),
        );
        if (applied === 0) this.late();
      },
      isolate: async () => {
        const applied = await this.command(() =>
          this.client.eval(SET_SCRIPT, circuit.keys, ['ISOLATED', circuit.channel, `ISOLATED 0 ${id}`, this.deadline(), 'operator']),
        );
        if (applied === 0) this.late();
      },
      leave: () => {
        if (!circuit.members.delete(id) || circuit.members.size > 0) return;
        if (!this.closed) void this.subscriber.unsubscribe(circuit.channel).catch(() => undefined);
        // A circuit nobody here is in is forgotten: circuits that come and go (a keyed breaker's keys) leave nothing behind.
        this.circuits.delete(name);
        this.byChannel.delete(circuit.channel);
      },
    };
  }

  /** True while commands can be expected to answer promptly. */
  get available(): boolean {
    return !this.closed && !this.degraded && this.client.ready;
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
    const bothReady = () => this.client.ready && this.subscriber.ready;
    if (this.closed) return Promise.resolve(false);
    if (bothReady()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const check = (): void => {
        if (bothReady()) settle(true);
      };
      const settle = (ready: boolean): void => {
        clearTimeout(timer);
        for (const off of listening) off();
        this.readyWaiters.delete(settle);
        resolve(ready);
      };
      // Not unref'd: an app awaiting ready() with nothing else alive must still get its answer.
      const timer = setTimeout(() => settle(false), timeoutMs);
      const listening = [this.client.onReady(check), this.subscriber.onReady(check)];
      this.readyWaiters.add(settle);
    });
  }

  /**
   * The client's connectTimeout bounds one connection attempt, which is what ready() waits for;
   * it is 0 or unset only when the user disabled it, and then the store's own default applies.
   */
  private connectTimeoutMs(): number {
    const configured = this.client.connectTimeoutMs;
    return typeof configured === 'number' && configured > 0 ? configured : Math.max(1000, this.commandTimeoutMs);
  }

  /** Ends every connection the store made (not a `client` you passed in). Breakers go on alone. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.healthCheck !== undefined) clearInterval(this.healthCheck);
    for (const settle of [...this.readyWaiters]) settle(false);
    this.subscriber.close();
    // A client you passed in outlives the store: take back what the store attached to it. (Ours keeps its
    // error listener: ending a connection can still emit an error, which must not crash.)
    if (this.ownsClient) await this.client.close(this.client.ready && !this.degraded);
    else for (const off of this.detach) off();
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

  /**
   * A timed-out command leaves the connection "ready": ping until Redis answers again, then resync. (A
   * cluster's node may answer a PING while the circuit's slot has no primary yet: a failed re-read
   * comes back here, so the store stays degraded until every circuit's slot answers.)
   */
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
      const redisNow = await this.client.time();
      const received = performance.now();
      // A slow answer says little about when Redis read its clock: keep the previous estimate.
      if (received - sent > this.commandTimeoutMs / 2) return;
      this.redisClockOffset = redisNow - (sent + received) / 2;
    } catch {
      // Unknown for now: commands carry no deadline until the next connect.
    }
  }

  private async read(circuit: Circuit): Promise<FleetState | undefined> {
    try {
      const [state, wait] = (await this.client.eval(READ_SCRIPT, circuit.keys.slice(0, 2), [])) as [string, number];
      if (state === 'OPEN') return { state: 'OPEN', remaining: wait };
      if (state === 'ISOLATED') return { state: 'ISOLATED' };
      return { state: 'CLOSED' };
    } catch {
      // Connected, yet no answer (hung, or a cluster slot between primaries): retry until it reads.
      if (this.client.ready) this.markDegraded();
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
    const [state, ms, sender, by] = message.split(' ');
    const fleet: FleetState =
      state === 'OPEN'
        ? by === 'quorum'
          ? { state: 'OPEN', remaining: Number(ms), quorum: true }
          : { state: 'OPEN', remaining: Number(ms) }
        : state === 'ISOLATED'
          ? { state: 'ISOLATED' }
          : by === 'operator'
            ? { state: 'CLOSED', reset: true } // an operator's reset (a member's reset(), a release, the CLI): a reset() everywhere
            : { state: 'CLOSED' };
    for (const [id, onFleet] of circuit.members) if (id !== sender) onFleet(fleet, 'event');
  }

  private readonly byChannel = new Map<string, Circuit>();

  private circuit(name: string): Circuit {
    let circuit = this.circuits.get(name);
    if (circuit === undefined) {
      const base = circuitBase(this.prefix, name);
      circuit = {
        keys: [`${base}:state`, `${base}:wait`, `${base}:lease`],
        trips: `${base}:trips`,
        window: `${base}:window`,
        channel: `${base}:events`,
        members: new Map(),
        subscribed: Promise.resolve(),
      };
      this.circuits.set(name, circuit);
      this.byChannel.set(circuit.channel, circuit);
    }
    return circuit;
  }
}
