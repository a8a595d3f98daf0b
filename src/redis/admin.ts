import { randomUUID } from 'node:crypto';
import { adapt, type RedisClientLike } from './connections';
import { circuitBase, nameOfKey } from './keys';
import type { RedisClientAdapter } from './redis-client';
import { OPEN_SCRIPT, SET_SCRIPT } from './scripts';
import { windowRate } from './window-scripts';

/**
 * An operator's side of the fleet: what the command-line tool
 * (`npx circuit-breaker-decorator`) reads and writes in the store that
 * `RedisCircuitStore` keeps. It lists the circuits under a prefix and isolates,
 * releases or resets one of them with the members' own scripts (`scripts.ts`),
 * published on the circuit's channel so that every live member applies it.
 *
 * Layout read (written by the store, keys.ts): `${prefix}{${tag}}:state` ('OPEN' |
 * 'ISOLATED', absent: CLOSED), `:wait` (its PTTL is the remaining wait),
 * `:lease` (the probe lease holder, SET NX PX), `:window` and `:window:meta`
 * (the fleet window's buckets and their width), `:trips` (a quorum's), channel `:events`.
 * On a Redis Cluster it SCANs every primary and asks every node for its
 * subscribers (classic pub/sub: a member subscribes on any one node).
 */

/** One circuit as the store holds it, as `circuits` lists it. */
export interface CircuitListing {
  readonly name: string;
  /** OPEN with the wait over and the probe lease held: HALF_OPEN. ISOLATED is reported OPEN, `isolated: true`. */
  readonly state: 'CLOSED' | 'OPEN' | 'HALF_OPEN';
  /** Forced open by an operator (`isolate()` in a member, or `isolate` here) until a release or reset. */
  readonly isolated: boolean;
  /** ms left of the wait (the `:wait` key's PTTL); 0 when none is running; null while isolated (no wait ends it). */
  readonly waitMs: number | null;
  /** The probe lease holder's id (a member's), or null. */
  readonly leaseHolder: string | null;
  /** ms left of that lease, or null. */
  readonly leaseMs: number | null;
  /** Live members: connections subscribed to the circuit's channel (one per process and store). */
  readonly members: number;
  /** The fleet window's failure rate (0..1); null when the circuit has no fleet window. */
  readonly failureRate: number | null;
}

export type AdminAction = 'isolate' | 'release' | 'reset';

/** What an action did. */
export interface AdminResult {
  readonly name: string;
  readonly action: AdminAction;
  /** Whether anything was written and pushed to the members. */
  readonly applied: boolean;
  /**
   * `isolated`, `released` (OPEN, the probe due at once), `reset` (CLOSED);
   * not applied: `closed` (release: nothing to release), `probing` (release:
   * a probe is in flight, its outcome decides), `late` (Redis ran the
   * write after its deadline, so it did nothing).
   */
  readonly outcome: 'isolated' | 'released' | 'reset' | 'closed' | 'probing' | 'late';
  /** The circuit as read just before the write. */
  readonly before: CircuitListing;
}

export interface RedisCircuitAdminOptions {
  /** The client to send commands on (yours: the admin never ends it): ioredis or node-redis, a server or a cluster. */
  readonly client: RedisClientLike;
  /** @default 'circuit-breaker:' */
  readonly prefix?: string;
  /**
   * A `performance.now()` time after which Redis must not apply a write (it
   * was hung when it was sent, and whoever sent it has given up). The admin
   * measures Redis's clock (TIME) once, before its first write.
   * @default none: a write applies whenever it arrives
   */
  readonly deadline?: number;
  /** The sender id carried by pushed messages (no spaces). @default `operator-${uuid}` */
  readonly sender?: string;
  /** ms a command may take (a client of its own timeout aside). @default 10_000 */
  readonly commandTimeout?: number;
}

// The members' OPEN script (wait 0, by 'operator': it overrides an isolation), behind two checks made in the
// same script: a CLOSED circuit has nothing to release (-4), and a probe in flight (the lease held, not
// isolated) decides by itself (-5): releasing then would let a second probe run beside it.
const RELEASE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if not current then return -4 end
if current ~= 'ISOLATED' and redis.call('EXISTS', KEYS[3]) == 1 then return -5 end
${OPEN_SCRIPT}`;

/**
 * ms a released circuit's OPEN state is kept without a probe (OPEN_SCRIPT's `keep`, the state key's TTL
 * where the store sets one): long enough for the next call anywhere to find it and probe; a circuit idle
 * for longer is CLOSED when read, as the store treats any OPEN circuit nobody probes.
 */
export const RELEASE_KEEP_MS = 600_000;

/** The keys that show a circuit (its channel aside). */
const SUFFIXES = ['state', 'wait', 'lease', 'window', 'window:meta', 'trips'] as const;

/** Escapes Redis glob characters, so a prefix matches only itself in SCAN MATCH and PUBSUB CHANNELS. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * Lists, isolates, releases and resets the circuits a `RedisCircuitStore`
 * keeps under `prefix`, as an operator. Every write is one of the members'
 * scripts, published on the circuit's channel: every live member applies it
 * as if `isolate()`, a release of every handle, or `reset()` had been called in it.
 */
export class RedisCircuitAdmin {
  private readonly client: RedisClientAdapter;
  readonly prefix: string;
  private readonly sender: string;
  private readonly deadlineAt: number | undefined;
  /** Redis's clock (ms) minus performance.now(), once measured. */
  private clockOffset: number | undefined;

  constructor(options: RedisCircuitAdminOptions) {
    this.client = adapt(options.client, options.commandTimeout ?? 10_000);
    this.prefix = options.prefix ?? 'circuit-breaker:';
    if (typeof this.prefix !== 'string' || /[{}]/.test(this.prefix)) {
      throw new TypeError('prefix must be a string without { or } (the breaker name is the hash tag)');
    }
    this.sender = options.sender ?? `operator-${randomUUID()}`;
    if (/\s/.test(this.sender)) throw new TypeError('sender must not contain spaces');
    this.deadlineAt = options.deadline;
  }

  /**
   * Every circuit under the prefix, sorted by name: seen by a key (SCAN of
   * every primary) or by a live member subscribed to its channel (PUBSUB
   * CHANNELS of every node: a CLOSED circuit has no key).
   */
  async list(): Promise<CircuitListing[]> {
    const names = new Set<string>();
    const base = escapeGlob(this.prefix);
    const [primaries, nodes] = await Promise.all([this.client.nodes('primary'), this.client.nodes('all')]);
    await Promise.all(
      primaries.map(async (node) => {
        let cursor = '0';
        do {
          const [next, keys] = (await node.command(['SCAN', cursor, 'MATCH', `${base}{*}:*`, 'COUNT', 1000])) as [string, string[]];
          cursor = String(next);
          for (const key of keys) {
            const name = nameOfKey(this.prefix, key, SUFFIXES);
            if (name !== undefined) names.add(name);
          }
        } while (cursor !== '0');
      }),
    );
    for (const node of nodes) {
      for (const channel of (await node.command(['PUBSUB', 'CHANNELS', `${base}{*}:events`])) as string[]) {
        const name = nameOfKey(this.prefix, channel, ['events']);
        if (name !== undefined) names.add(name);
      }
    }
    return (await this.read([...names].sort(), nodes)).map((found) => found.listing);
  }

  /** One circuit, or undefined when the store has no key of it and no live member subscribes to it. */
  async get(name: string): Promise<CircuitListing | undefined> {
    const [found] = await this.read([name]);
    return found!.exists ? found!.listing : undefined;
  }

  /** ISOLATED fleet-wide: every live member refuses with retryAfter Infinity until a release or reset. */
  async isolate(name: string): Promise<AdminResult> {
    const before = await this.describe(name);
    const [state, wait, lease, channel] = this.keys(name);
    const message = `ISOLATED 0 ${this.sender}`;
    const applied = await this.client.eval(SET_SCRIPT, [state, wait, lease], ['ISOLATED', channel, message, await this.deadline(), 'operator']);
    return { name, action: 'isolate', applied: applied !== 0, outcome: applied === 0 ? 'late' : 'isolated', before };
  }

  /**
   * OPEN with the probe due at once, fleet-wide (an isolation ended): the
   * next call anywhere asks for the probe lease and probes; a healthy
   * dependency then closes the circuit. A release never closes a circuit
   * without a probe, does nothing to a CLOSED one, and leaves a probe in flight alone.
   */
  async release(name: string): Promise<AdminResult> {
    const before = await this.describe(name);
    const [state, wait, lease, channel] = this.keys(name);
    const message = `OPEN 0 ${this.sender}`;
    const deadline = await this.deadline();
    const answer = (await this.client.eval(RELEASE_SCRIPT, [state, wait, lease], [0, 'operator', channel, message, deadline, RELEASE_KEEP_MS])) as number;
    const outcome = answer === -4 ? 'closed' : answer === -5 ? 'probing' : answer === -2 ? 'late' : 'released';
    return { name, action: 'release', applied: outcome === 'released', outcome, before };
  }

  /** CLOSED fleet-wide (by 'operator': an isolation ends too): every live member closes. */
  async reset(name: string): Promise<AdminResult> {
    const before = await this.describe(name);
    const [state, wait, lease, channel, window, meta, trips] = this.keys(name);
    const message = `CLOSED 0 ${this.sender} operator`; // every live member applies it as its own reset()
    const applied = await this.client.eval(SET_SCRIPT, [state, wait, lease, window, meta, trips], ['', channel, message, await this.deadline(), 'operator']);
    return { name, action: 'reset', applied: applied !== 0, outcome: applied === 0 ? 'late' : 'reset', before };
  }

  private async describe(name: string): Promise<CircuitListing> {
    return (await this.read([name]))[0]!.listing;
  }

  /**
   * The circuits `names` and their subscriber counts: each circuit's keys in one MULTI (one slot: one
   * consistent snapshot of it, read-only commands: a Redis that pauses writes still answers it), and the
   * subscribers summed over every node; `exists`: a key of it or a live member was found.
   */
  private async read(names: readonly string[], known?: readonly RedisClientAdapter[]): Promise<{ listing: CircuitListing; exists: boolean }[]> {
    if (names.length === 0) return [];
    const nodes = known ?? (await this.client.nodes('all'));
    const channels = names.map((name) => this.keys(name)[3]);
    const [circuits, counts] = await Promise.all([
      Promise.all(
        names.map((name) => {
          const [state, wait, lease, , window, meta] = this.keys(name);
          const commands = [['GET', state], ['PTTL', wait], ['GET', lease], ['PTTL', lease], ['HGETALL', window], ['GET', meta], ['TIME']];
          return this.client.multi(commands, state);
        }),
      ),
      Promise.all(nodes.map(async (node) => (await node.command(['PUBSUB', 'NUMSUB', ...channels])) as (string | number)[])),
    ]);
    return names.map((name, n) => {
      const replies = circuits[n]!;
      const failed = replies.find((reply) => reply instanceof Error);
      if (failed !== undefined) throw failed;
      const [state, wait, holder, leaseTtl, window, meta, time] = replies as [string | null, number, string | null, number, unknown, string | null, unknown];
      const members = counts.reduce((sum, reply) => sum + Number(reply[2 * n + 1] ?? 0), 0);
      // PTTL is -2 for a key that does not exist.
      const rate = windowRate(window, meta, time);
      const exists = state !== null || holder !== null || Number(wait) !== -2 || members > 0 || rate !== null;
      return { listing: listing(name, state, Number(wait), holder, Number(leaseTtl), members, rate), exists };
    });
  }

  private keys(name: string): [state: string, wait: string, lease: string, channel: string, window: string, meta: string, trips: string] {
    const base = circuitBase(this.prefix, name);
    return [`${base}:state`, `${base}:wait`, `${base}:lease`, `${base}:events`, `${base}:window`, `${base}:window:meta`, `${base}:trips`];
  }

  /** The write deadline in Redis's clock ('0': none), the scripts' last-but-one argument. */
  private async deadline(): Promise<string> {
    if (this.deadlineAt === undefined) return '0';
    if (this.clockOffset === undefined) {
      const sent = performance.now();
      const redisNow = await this.client.time();
      const received = performance.now();
      this.clockOffset = redisNow - (sent + received) / 2;
    }
    return String(Math.floor(this.deadlineAt + this.clockOffset));
  }
}

function listing(name: string, state: string | null, wait: number, holder: string | null, leaseTtl: number, members: number, failureRate: number | null): CircuitListing {
  const leaseHolder = holder;
  const leaseMs = leaseHolder === null ? null : Math.max(0, leaseTtl);
  // Absent: CLOSED, whatever else is left (ACQUIRE_SCRIPT reads it so too).
  if (state === null) return { name, state: 'CLOSED', isolated: false, waitMs: 0, leaseHolder, leaseMs, members, failureRate };
  if (state === 'ISOLATED') return { name, state: 'OPEN', isolated: true, waitMs: null, leaseHolder, leaseMs, members, failureRate };
  const waitMs = Math.max(0, wait);
  const reported = waitMs === 0 && leaseHolder !== null ? 'HALF_OPEN' : 'OPEN';
  return { name, state: reported, isolated: false, waitMs, leaseHolder, leaseMs, members, failureRate };
}
