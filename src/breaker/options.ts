import { describeValue } from '../common/describe-value';
import { checkKnownOptions } from '../common/known-options';
import { rethrowLater } from '../events/listeners';
import type { CircuitBreakerLogger } from '../events/logger';
import { isCircuitStore, type CircuitStore } from '../store/circuit-store';
import type { ResolvedOptions } from './option-types';
import { resolveTripRule } from './trip-options';

export type { CircuitBreakerOptions, ResolvedOptions } from './option-types';

export const DEFAULT_FAILURE_THRESHOLD = 3;
export const DEFAULT_RESET_TIMEOUT = 60_000;
export const DEFAULT_NAME = 'circuit-breaker';
/** setTimeout's largest delay; a larger timeout would fire at once. */
const MAX_TIMER_DELAY = 2 ** 31 - 1;

const BREAKER_OPTION_NAMES: readonly string[] = [
  'failureThreshold',
  'failureRate',
  'slowCall',
  'halfOpen',
  'resetTimeout',
  'name',
  'clock',
  'logger',
  'isFailure',
  'timeout',
  'maxResetTimeout',
  'backoffMultiplier',
  'fallback',
  'fallbackOnFailure',
  'store',
  'quorum',
];

/**
 * Checks and copies options. `extraNames` are option names a caller (the
 * decorator) handles itself.
 *
 * @throws TypeError for a wrong type or an unknown option name
 * @throws RangeError for a value out of range
 */
export function resolveOptions(options: unknown, extraNames: readonly string[] = []): ResolvedOptions {
  if (options === undefined) options = {};
  checkOptionsObject('circuit breaker options', options);
  const given = options as Record<string, unknown>;
  checkKnownOptions(given, extraNames.length === 0 ? BREAKER_OPTION_NAMES : [...BREAKER_OPTION_NAMES, ...extraNames], 'circuit breaker');

  const failureThreshold = given.failureThreshold === undefined ? DEFAULT_FAILURE_THRESHOLD : given.failureThreshold;
  checkNumber('failureThreshold', failureThreshold);
  if (!Number.isInteger(failureThreshold) || failureThreshold < 1) {
    throw new RangeError(`failureThreshold must be a positive integer, got ${failureThreshold}`);
  }

  const { rule, halfOpenProbes } = resolveTripRule(given, failureThreshold);

  const resetTimeout = given.resetTimeout === undefined ? DEFAULT_RESET_TIMEOUT : given.resetTimeout;
  checkMilliseconds('resetTimeout', resetTimeout, 0);

  const name = given.name === undefined ? DEFAULT_NAME : given.name;
  if (typeof name !== 'string') throw new TypeError(`name must be a string, got ${describeValue(name)}`);
  if (name.length === 0) throw new RangeError('name must not be empty');
  if (name.trim().length === 0) throw new RangeError(`name must not be blank, got ${describeValue(name)}`);

  const clock = checkFunction('clock', given.clock);
  const isFailure = checkFunction('isFailure', given.isFailure);
  const fallback = checkFunction('fallback', given.fallback);

  const logger = given.logger;
  if (logger !== undefined) {
    if (typeof logger !== 'object' || logger === null) {
      throw new TypeError(`logger must be an object with warn and info methods, got ${describeValue(logger)}`);
    }
    for (const level of ['warn', 'info'] as const) {
      if (typeof (logger as Record<string, unknown>)[level] !== 'function') {
        throw new TypeError(`logger.${level} must be a function (console, pino and winston loggers have one)`);
      }
    }
  }

  const timeout = given.timeout;
  if (timeout !== undefined) {
    checkMilliseconds('timeout', timeout, 1);
    if (timeout > MAX_TIMER_DELAY) throw new RangeError(`timeout must be at most ${MAX_TIMER_DELAY} ms, got ${timeout}`);
  }

  const maxResetTimeout = given.maxResetTimeout === undefined ? resetTimeout : given.maxResetTimeout;
  checkMilliseconds('maxResetTimeout', maxResetTimeout, 0);
  if (maxResetTimeout < resetTimeout) {
    throw new RangeError(`maxResetTimeout (${maxResetTimeout}) must not be less than resetTimeout (${resetTimeout})`);
  }

  const backoffMultiplier = given.backoffMultiplier === undefined ? 2 : given.backoffMultiplier;
  checkNumber('backoffMultiplier', backoffMultiplier);
  if (!Number.isFinite(backoffMultiplier) || backoffMultiplier < 1) {
    throw new RangeError(`backoffMultiplier must be a finite number >= 1, got ${backoffMultiplier}`);
  }
  checkBackoffPair(given);

  const fallbackOnFailure = given.fallbackOnFailure === undefined ? false : given.fallbackOnFailure;
  if (typeof fallbackOnFailure !== 'boolean') {
    throw new TypeError(`fallbackOnFailure must be a boolean, got ${describeValue(fallbackOnFailure)}`);
  }
  if (fallbackOnFailure && fallback === undefined) {
    throw new TypeError('fallbackOnFailure needs a fallback option');
  }

  const store = given.store;
  if (store !== undefined && !isCircuitStore(store)) {
    throw new TypeError(`store must be a circuit store (an object with a join method, e.g. RedisCircuitStore), got ${describeValue(store)}`);
  }
  const quorum = given.quorum === undefined ? 1 : given.quorum;
  checkNumber('quorum', quorum);
  if (!Number.isInteger(quorum) || quorum < 1) throw new RangeError(`quorum must be a positive integer, got ${quorum}`);
  if (quorum > 1 && store === undefined) throw new TypeError('quorum needs a store: it counts the members of a fleet that tripped');

  // Last, so that a clock is read only for options otherwise valid.
  checkClockReading(clock);

  return markResolved({
    failureThreshold,
    rule,
    halfOpenProbes,
    resetTimeout,
    name,
    clock: clock as (() => number) | undefined,
    logger: logger as CircuitBreakerLogger | undefined,
    isFailure: isFailure as ((error: unknown) => boolean) | undefined,
    timeout,
    maxResetTimeout,
    backoffMultiplier,
    fallback: fallback as ((error: unknown, ...args: unknown[]) => unknown) | undefined,
    fallbackOnFailure,
    store: store as CircuitStore | undefined,
    quorum,
  });
}

/**
 * Options resolveOptions made, frozen: a breaker given them takes them as
 * they are, without checking them again. A class, so that `instanceof`
 * tells them apart: a WeakSet marking them cost every breaker ~35 bytes.
 */
class Resolved implements ResolvedOptions {
  declare readonly failureThreshold: ResolvedOptions['failureThreshold'];
  declare readonly rule: ResolvedOptions['rule'];
  declare readonly halfOpenProbes: ResolvedOptions['halfOpenProbes'];
  declare readonly resetTimeout: ResolvedOptions['resetTimeout'];
  declare readonly name: ResolvedOptions['name'];
  declare readonly clock: ResolvedOptions['clock'];
  declare readonly logger: ResolvedOptions['logger'];
  declare readonly isFailure: ResolvedOptions['isFailure'];
  declare readonly timeout: ResolvedOptions['timeout'];
  declare readonly maxResetTimeout: ResolvedOptions['maxResetTimeout'];
  declare readonly backoffMultiplier: ResolvedOptions['backoffMultiplier'];
  declare readonly fallback: ResolvedOptions['fallback'];
  declare readonly fallbackOnFailure: ResolvedOptions['fallbackOnFailure'];
  declare readonly store: ResolvedOptions['store'];
  declare readonly quorum: ResolvedOptions['quorum'];

  constructor(options: ResolvedOptions) {
    // Assigned here, one by one, so that V8 sizes the object for them (Object.assign would spill them out of it).
    this.failureThreshold = options.failureThreshold;
    this.rule = options.rule;
    this.halfOpenProbes = options.halfOpenProbes;
    this.resetTimeout = options.resetTimeout;
    this.name = options.name;
    this.clock = options.clock;
    this.logger = options.logger;
    this.isFailure = options.isFailure;
    this.timeout = options.timeout;
    this.maxResetTimeout = options.maxResetTimeout;
    this.backoffMultiplier = options.backoffMultiplier;
    this.fallback = options.fallback;
    this.fallbackOnFailure = options.fallbackOnFailure;
    this.store = options.store;
    this.quorum = options.quorum;
    Object.freeze(this);
  }
}

function markResolved(options: ResolvedOptions): ResolvedOptions {
  return new Resolved(options);
}

/** `options` as checked (resolved), or resolved now. */
export function resolveOnce(options: unknown, extraNames?: readonly string[]): ResolvedOptions {
  return options instanceof Resolved ? options : resolveOptions(options, extraNames);
}

/** Resolved options under another name (a decorated breaker learns its `Class#method` name late). */
export function withName(options: ResolvedOptions, name: string): ResolvedOptions {
  return markResolved({ ...options, name });
}

/**
 * Rejects anything but an object of options. A Date, a Map or a Promise
 * passes `typeof` but holds no options: spread or read, it would mean the
 * defaults. A class instance is an object of options like any other.
 */
export function checkOptionsObject(what: string, value: unknown): asserts value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${what} must be an object, got ${describeValue(value)}`);
  }
  const tag = toStringTag(value);
  if (tag !== 'Object') throw new TypeError(`${what} must be a plain object of options, got ${withArticle(tag)}`);
}

/** `Date` for a Date, `Object` for a plain object or a class instance (unless it sets Symbol.toStringTag). */
function toStringTag(value: object): string {
  return Object.prototype.toString.call(value).slice('[object '.length, -1);
}

function withArticle(tag: string): string {
  return `${/^[AEIOU]/.test(tag) ? 'an' : 'a'} ${tag}`;
}

/**
 * `backoffMultiplier` needs `maxResetTimeout` in the same options: the wait
 * grows only up to `maxResetTimeout`, which is `resetTimeout` when unset, so
 * a multiplier alone changes nothing. `note` is appended to the message, for
 * a caller that merges several sources of options.
 */
export function checkBackoffPair(given: Readonly<Record<string, unknown>>, note = ''): void {
  if (given.backoffMultiplier !== undefined && given.maxResetTimeout === undefined) {
    throw new TypeError(
      `backoffMultiplier needs maxResetTimeout in the same options: the wait grows by backoffMultiplier only up to maxResetTimeout, so without it the multiplier does nothing${note}`,
    );
  }
}

/**
 * Clocks already read when a breaker was made with them. A clock is read
 * once: breakers made later from the same options (one per instance, on its
 * first call; a decorator's, when the defaults change) must not fail there
 * for a later reading, which the breaker's own reads deal with.
 */
const checkedClocks = new WeakSet<Function>();

function checkClockReading(clock: unknown): void {
  if (clock === undefined || checkedClocks.has(clock as Function)) return;
  let reading: unknown;
  try {
    // Called as the breaker calls it: without a receiver.
    reading = (clock as () => unknown)();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new TypeError(`clock threw when read (it is called as clock(), without a receiver: wrap a method, e.g. () => performance.now()): ${message}`, {
      cause: error,
    });
  }
  if (typeof reading !== 'number' || !Number.isFinite(reading)) {
    let got = describeValue(reading);
    if (typeof reading === 'bigint') got = `bigint ${reading}n (for process.hrtime.bigint, pass () => Number(process.hrtime.bigint()) / 1e6)`;
    // `() => new Date()` is the likely object: name it.
    else if (got === 'object') got = withArticle(toStringTag(reading as object));
    throw new TypeError(`clock must return a finite number of milliseconds, got ${got}`);
  }
  checkedClocks.add(clock as Function);
}

function checkNumber(option: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${option} must be a number, got ${describeValue(value)}`);
  if (Number.isNaN(value)) throw new RangeError(`${option} must be a number, got NaN`);
}

function checkMilliseconds(option: string, value: unknown, min: number): asserts value is number {
  checkNumber(option, value);
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(`${option} must be a finite number of milliseconds >= ${min}, got ${value}`);
  }
}

function checkFunction(option: string, value: unknown): unknown {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${option} must be a function, got ${describeValue(value)}`);
  }
  return value;
}

/** Positional form `(failureThreshold, resetTimeout)` as an options object. */
export function positionalOptions(failureThreshold: unknown, resetTimeout: unknown): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (failureThreshold !== undefined) options.failureThreshold = failureThreshold;
  if (resetTimeout !== undefined) options.resetTimeout = resetTimeout;
  return options;
}

/** Whether `isFailure` counts `error` as the dependency's failure (every error does without one). */
export function countsAsFailure(isFailure: ((error: unknown) => boolean) | undefined, error: unknown): boolean {
  if (isFailure === undefined) return true;
  try {
    return isFailure(error) !== false;
  } catch (filterError) {
    // A broken filter must not hide an outage: count it, and surface the bug.
    rethrowLater(filterError);
    return true;
  }
}

/** The `slowCall` rule of resolved options, when set. */
export function slowCallOf(options: ResolvedOptions): { readonly duration: number; readonly threshold: number } | undefined {
  return options.rule.kind === 'rate' ? options.rule.slowCall : undefined;
}
