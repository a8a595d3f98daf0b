import { describeValue } from '../common/describe-value';
import type { CircuitState } from '../events/types';
import { CircuitBreaker } from './breaker';
import type { AnyFunction } from './guarded-call';
import { withName, type CircuitBreakerOptions, type ResolvedOptions } from './options';
import { CLOSED } from './rules';
import type { KeyedCircuitBreakerStats } from './stats';

/** At most this many keys' breakers per keyed breaker, unless `maxKeys` says otherwise. */
export const DEFAULT_MAX_KEYS = 1_000;

/**
 * Options of a plain keyed breaker, `new CircuitBreaker({ key: true, maxKeys })`:
 * a breaker's options, which every key's breaker gets, and the bound on keys.
 */
export interface KeyedCircuitBreakerOptions<F = never> extends CircuitBreakerOptions<F> {
  /** One breaker per key, the key given as `call`'s first argument: `hosts.call(host, fetchFrom, url)`. */
  readonly key: true;
  /**
   * At most this many keys' breakers; past it the least recently used CLOSED
   * key with nothing counted is dropped first (docs/keyed.md). A positive integer.
   * @default 1_000
   */
  readonly maxKeys?: number;
}

/** One key in the recency list: the oldest is the least recently used. */
interface KeyEntry<F> {
  readonly key: string;
  readonly breaker: CircuitBreaker<F>;
  readonly keyed: KeyedCircuitBreaker<F>;
  older: KeyEntry<F> | undefined;
  newer: KeyEntry<F> | undefined;
}

/** The entry of a key's breaker, for metrics and health (a `key` label of its own). */
const keyOfBreaker = new WeakMap<CircuitBreaker<unknown>, KeyEntry<unknown>>();

/**
 * @internal The keyed breaker and key of a key's breaker (undefined for any other breaker).
 * `name` is the keyed breaker's own (`Class#method`), without the key.
 */
export function keyOf(breaker: CircuitBreaker<unknown>): { readonly name: string; readonly key: string } | undefined {
  const found = keyOfBreaker.get(breaker);
  return found === undefined ? undefined : { name: found.keyed.name, key: found.key };
}

/**
 * @internal `maxKeys` as given (undefined: the default), checked.
 * @throws TypeError for a non-number, RangeError for anything but a positive integer
 */
export function checkMaxKeys(maxKeys: unknown): number {
  if (maxKeys === undefined) return DEFAULT_MAX_KEYS;
  if (typeof maxKeys !== 'number') throw new TypeError(`maxKeys must be a number, got ${describeValue(maxKeys)}`);
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) throw new RangeError(`maxKeys must be a positive integer, got ${maxKeys}`);
  return maxKeys;
}

/**
 * One circuit breaker per key (an upstream host, a tenant, a shard), made on
 * the key's first call, named `name[key]`, each with the same options and its
 * own state, counts and window: one dead host opens its own circuit while the
 * others keep flowing. At most `maxKeys` are kept, in least-recently-used
 * order; a lookup is O(1). Made by `new CircuitBreaker({ key: true })`, and
 * by `@CircuitBreaker({ key })` for a decorated method.
 *
 * Past `maxKeys`, a new key drops one: the least recently used of the keys
 * that are CLOSED with no failure counted; else the least recently used
 * CLOSED one; else (every key is OPEN, HALF_OPEN, isolated or disabled) the
 * least recently used, counted in `stats().evictedOpen`. A dropped key's
 * breaker leaves its fleet circuit; its key starts afresh on its next call.
 *
 * @typeParam F - what the `fallback` option returns (`never` without one).
 * @example
 * const hosts = new CircuitBreaker({ key: true, maxKeys: 1_000, failureThreshold: 5, resetTimeout: 10_000 });
 * await hosts.call(new URL(url).host, fetch, url);
 * hosts.breaker('api.example.com')?.state;
 */
export class KeyedCircuitBreaker<F = never> {
  /** The most keys' breakers kept at once. */
  readonly maxKeys: number;
  private keyOptions: ResolvedOptions;
  private baseName: string;
  /** False while a decorated method's class is not known yet: its breakers join no fleet under a provisional name. */
  private named: boolean;
  private readonly entries = new Map<string, KeyEntry<F>>();
  private oldest: KeyEntry<F> | undefined;
  private newest: KeyEntry<F> | undefined;
  private evicted = 0;
  private evictedOpen = 0;

  /** @internal Use the exported `CircuitBreaker`: `new CircuitBreaker({ key: true })`. */
  constructor(options: ResolvedOptions, maxKeys: number, named = true) {
    this.keyOptions = options;
    this.baseName = options.name;
    this.maxKeys = maxKeys;
    this.named = named;
  }

  /** The name of the keyed breaker; a key's breaker is named `name[key]`. */
  get name(): string {
    return this.baseName;
  }

  /** The options every key's breaker is made with (its `name` aside). */
  get options(): ResolvedOptions {
    return this.keyOptions;
  }

  /** Keys whose breakers are kept now (at most `maxKeys`). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Calls `fn(...args)` through the breaker of `key`, made on the key's first
   * call (its circuit alone decides; the other keys' are not touched).
   *
   * @returns as `breaker.call`; a promise rejected with a `TypeError` for a
   *   key that is not a string (nothing invoked, nothing counted)
   * @example await hosts.call('api.example.com', fetchFrom, url);
   */
  call<A extends unknown[], R>(key: string, fn: (this: void, ...args: A) => PromiseLike<R>, ...args: A): Promise<R | F> {
    if (typeof key !== 'string') {
      return Promise.reject(new TypeError(`circuit breaker "${this.baseName}": call(key, fn, ...args) needs a string key, got ${describeValue(key)}`));
    }
    if (typeof fn !== 'function') {
      return Promise.reject(new TypeError(`circuit breaker "${this.baseName}": call(key, fn, ...args) needs a function to call, got ${describeValue(fn)}`));
    }
    return this.breakerFor(key).execute(fn as AnyFunction, undefined, args) as Promise<R | F>;
  }

  /**
   * The breaker of `key`, or undefined until the key is called (or after it
   * was dropped). Looking does not count as using: it does not keep a key.
   * @throws TypeError for a key that is not a string
   */
  breaker(key: string): CircuitBreaker<F> | undefined {
    if (typeof key !== 'string') throw new TypeError(`circuit breaker "${this.baseName}": breaker(key) needs a string key, got ${describeValue(key)}`);
    return this.entries.get(key)?.breaker;
  }

  /** The keys kept now, the most recently used first. */
  keys(): string[] {
    const keys: string[] = [];
    for (let entry = this.newest; entry !== undefined; entry = entry.older) keys.push(entry.key);
    return keys;
  }

  /** The keys' breakers kept now, the most recently used first. */
  breakers(): CircuitBreaker<F>[] {
    const breakers: CircuitBreaker<F>[] = [];
    for (let entry = this.newest; entry !== undefined; entry = entry.older) breakers.push(entry.breaker);
    return breakers;
  }

  /** A snapshot: the keys kept (most recently used first), how many are in each state, and the evictions. */
  stats(): KeyedCircuitBreakerStats {
    const states: Record<CircuitState, number> = { CLOSED: 0, OPEN: 0, HALF_OPEN: 0 };
    const keys: string[] = [];
    for (let entry = this.newest; entry !== undefined; entry = entry.older) {
      keys.push(entry.key);
      states[entry.breaker.state]++;
    }
    return { name: this.baseName, keys, maxKeys: this.maxKeys, states, evicted: this.evicted, evictedOpen: this.evictedOpen };
  }

  /** `stats()`, for `JSON.stringify(keyed)`. */
  toJSON(): KeyedCircuitBreakerStats {
    return this.stats();
  }

  /**
   * @internal The breaker of `key`, made on its first use, and now the most
   * recently used: a Map lookup and, unless it already is the newest, a move
   * in the recency list (no allocation).
   */
  breakerFor(key: string): CircuitBreaker<F> {
    const entry = this.entries.get(key);
    if (entry === undefined) return this.add(key);
    if (entry !== this.newest) this.touch(entry);
    return entry.breaker;
  }

  /** @internal A decorated method's key function threw: the call's rejection (not counted, the method not invoked). */
  keyThrew(error: unknown): Promise<never> {
    const said = error instanceof Error ? error.message : describeValue(error);
    return Promise.reject(new TypeError(`circuit breaker "${this.baseName}": its key function threw: ${said}`, { cause: error }));
  }

  /** @internal A decorated method's key function returned something else than a string. */
  notAKey(value: unknown): Promise<never> {
    return Promise.reject(new TypeError(`circuit breaker "${this.baseName}": its key function must return a string, got ${describeValue(value)}`));
  }

  /** @internal Names the keyed breaker (a decorated method's class is known now): its keys' breakers are renamed and join their fleet circuits. */
  rename(name: string): void {
    this.baseName = name;
    this.keyOptions = withName(this.keyOptions, name);
    this.named = true;
    for (let entry = this.oldest; entry !== undefined; entry = entry.newer) {
      entry.breaker.rename(`${name}[${entry.key}]`);
      entry.breaker.joinFleet();
    }
  }

  /** @internal Options for keys made from now on (`setCircuitBreakerDefaults`); keys' breakers made so far keep theirs. */
  configure(options: ResolvedOptions): void {
    this.keyOptions = withName(options, this.baseName);
  }

  private add(key: string): CircuitBreaker<F> {
    if (this.entries.size >= this.maxKeys) this.evictOne();
    const breaker = new CircuitBreaker<F>(withName(this.keyOptions, `${this.baseName}[${key}]`) as CircuitBreakerOptions<F>);
    // Each key is its own fleet circuit, `name[key]`.
    if (this.named) breaker.joinFleet();
    const entry: KeyEntry<F> = { key, breaker, keyed: this, older: this.newest, newer: undefined };
    keyOfBreaker.set(breaker as CircuitBreaker<unknown>, entry as KeyEntry<unknown>);
    if (this.newest === undefined) this.oldest = entry;
    else this.newest.newer = entry;
    this.newest = entry;
    this.entries.set(key, entry);
    return breaker;
  }

  /** Moves `entry` (not the newest) to the newest end. */
  private touch(entry: KeyEntry<F>): void {
    const older = entry.older;
    const newer = entry.newer!;
    newer.older = older;
    if (older === undefined) this.oldest = newer;
    else older.newer = newer;
    entry.older = this.newest;
    entry.newer = undefined;
    this.newest!.newer = entry;
    this.newest = entry;
  }

  /**
   * Drops one key to make room: the least recently used CLOSED key with
   * nothing counted, else the least recently used CLOSED one, else the least
   * recently used of all (every key OPEN, HALF_OPEN, isolated or disabled).
   * One pass from the oldest; a key that is not CLOSED costs one comparison.
   */
  private evictOne(): void {
    let counting: KeyEntry<F> | undefined;
    for (let entry = this.oldest; entry !== undefined; entry = entry.newer) {
      if (entry.breaker.current !== CLOSED) continue; // OPEN, HALF_OPEN, ISOLATED, DISABLED: kept while others can go
      if (nothingCounted(entry.breaker)) return this.drop(entry, false);
      counting ??= entry;
    }
    if (counting !== undefined) return this.drop(counting, false);
    this.drop(this.oldest!, true);
  }

  private drop(entry: KeyEntry<F>, open: boolean): void {
    const { older, newer } = entry;
    if (older === undefined) this.oldest = newer;
    else older.newer = newer;
    if (newer === undefined) this.newest = older;
    else newer.older = older;
    this.entries.delete(entry.key);
    this.evicted++;
    if (open) this.evictedOpen++;
    const breaker = entry.breaker;
    keyOfBreaker.delete(breaker as CircuitBreaker<unknown>);
    // Its fleet circuit is left (a call still in flight may settle here, and tells the fleet nothing).
    const fleet = breaker.fleet;
    if (fleet !== undefined) {
      breaker.fleet = undefined;
      fleet.leave();
    }
  }
}

/** A CLOSED breaker with no failure counted towards a trip: dropping it forgets nothing that would open it. */
function nothingCounted(breaker: CircuitBreaker<unknown>): boolean {
  const stats = breaker.stats();
  const window = stats.window;
  return stats.consecutiveFailures === 0 && (window === null || (window.failures === 0 && window.slow === 0));
}
