import { describeValue } from '../common/describe-value';
import { checkKnownOptions } from '../common/known-options';

/**
 * The `failureRate` option: open on the failure rate over a window of recent
 * outcomes, with a minimum volume, instead of consecutive failures.
 */
export interface FailureRateOptions {
  /** Fraction of the window's counted outcomes that are failures at which the circuit opens: `0 < threshold <= 1`. */
  readonly threshold: number;
  /**
   * Counted outcomes the window must hold before it can trip (a positive integer; for a count window at most `calls`).
   * @default 10
   */
  readonly minimumCalls?: number;
  /**
   * `{ calls }`: the last `calls` counted outcomes of calls admitted while CLOSED.
   * `{ duration, buckets }`: the counted outcomes that settled in the last `duration` ms, kept in
   * `buckets` buckets (default 10): an outcome leaves between `duration - duration / buckets` and `duration` ms after it settled.
   */
  readonly window: { readonly calls: number } | { readonly duration: number; readonly buckets?: number };
}

/** The `slowCall` option (needs `failureRate`, whose window it shares): slow calls can open the circuit too. */
export interface SlowCallOptions {
  /** A call that settles, either way, this many ms or more after it started is slow. */
  readonly duration: number;
  /** Fraction of the window's outcomes that are slow at which the circuit opens: `0 < threshold <= 1`. */
  readonly threshold: number;
}

/** The `halfOpen` option. */
export interface HalfOpenOptions {
  /**
   * Calls let through as probes when the wait is over (the rest are refused); the circuit closes once this
   * many succeeded, and the first counted probe failure re-opens it. A positive integer.
   * @default 1
   */
  readonly probes?: number;
}

/** How the circuit decides to open, after validation. */
export type TripRule =
  | { readonly kind: 'consecutive'; readonly failureThreshold: number }
  | {
      readonly kind: 'rate';
      readonly threshold: number;
      readonly minimumCalls: number;
      readonly window: { readonly kind: 'calls'; readonly calls: number } | { readonly kind: 'time'; readonly duration: number; readonly buckets: number };
      readonly slowCall: { readonly duration: number; readonly threshold: number } | undefined;
    };

export const DEFAULT_MINIMUM_CALLS = 10;
export const DEFAULT_BUCKETS = 10;

/**
 * Checks `failureRate`, `slowCall` and `halfOpen` (and that `failureThreshold`
 * is not given beside `failureRate`). Errors name the option path
 * (`failureRate.window.calls`).
 *
 * @throws TypeError for a wrong type, an unknown key or a combination that cannot work
 * @throws RangeError for a value out of range
 */
export function resolveTripRule(given: Readonly<Record<string, unknown>>, failureThreshold: number): { rule: TripRule; halfOpenProbes: number } {
  const halfOpenProbes = resolveHalfOpen(given.halfOpen);
  const failureRate = given.failureRate;
  if (failureRate === undefined) {
    if (given.slowCall !== undefined) throw new TypeError('slowCall needs failureRate (slow calls are counted in its window)');
    return { rule: consecutiveRule(failureThreshold), halfOpenProbes };
  }
  if (given.failureThreshold !== undefined) {
    throw new TypeError('give failureThreshold (consecutive failures) or failureRate (a failure rate over a window), not both');
  }
  const rate = plainObject('failureRate', failureRate, ['threshold', 'minimumCalls', 'window']);
  const threshold = fraction('failureRate.threshold', rate.threshold);
  const window = resolveWindow(rate.window);
  const minimumCalls = rate.minimumCalls === undefined ? Math.min(DEFAULT_MINIMUM_CALLS, window.kind === 'calls' ? window.calls : Infinity) : rate.minimumCalls;
  positiveInteger('failureRate.minimumCalls', minimumCalls);
  if (window.kind === 'calls' && minimumCalls > window.calls) {
    throw new RangeError(`failureRate.minimumCalls (${minimumCalls}) must not exceed failureRate.window.calls (${window.calls}): the window could never hold that many`);
  }
  let slowCall: { duration: number; threshold: number } | undefined;
  if (given.slowCall !== undefined) {
    const slow = plainObject('slowCall', given.slowCall, ['duration', 'threshold']);
    slowCall = { duration: positiveMilliseconds('slowCall.duration', slow.duration), threshold: fraction('slowCall.threshold', slow.threshold) };
  }
  return { rule: rateRule(threshold, minimumCalls, window, slowCall), halfOpenProbes };
}

function resolveHalfOpen(halfOpen: unknown): number {
  if (halfOpen === undefined) return 1;
  const given = plainObject('halfOpen', halfOpen, ['probes']);
  if (given.probes === undefined) return 1;
  positiveInteger('halfOpen.probes', given.probes);
  return given.probes;
}

function resolveWindow(window: unknown): { kind: 'calls'; calls: number } | { kind: 'time'; duration: number; buckets: number } {
  if (window === undefined) throw new TypeError('failureRate.window is required: { calls } or { duration, buckets }');
  const given = plainObject('failureRate.window', window, ['calls', 'duration', 'buckets']);
  const byCalls = given.calls !== undefined;
  const byTime = given.duration !== undefined;
  if (byCalls === byTime) {
    throw new TypeError(`failureRate.window must give exactly one of calls (the last N outcomes) or duration (the outcomes of the last N ms), got ${byCalls ? 'both' : 'neither'}`);
  }
  if (byCalls) {
    if (given.buckets !== undefined) throw new TypeError('failureRate.window.buckets goes with duration, not calls');
    positiveInteger('failureRate.window.calls', given.calls);
    return { kind: 'calls', calls: given.calls };
  }
  const duration = positiveMilliseconds('failureRate.window.duration', given.duration);
  const buckets = given.buckets === undefined ? DEFAULT_BUCKETS : given.buckets;
  positiveInteger('failureRate.window.buckets', buckets);
  return { kind: 'time', duration, buckets };
}

function plainObject(path: string, value: unknown, known: readonly string[]): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.prototype.toString.call(value) !== '[object Object]') {
    throw new TypeError(`${path} must be an object, got ${describeValue(value)}`);
  }
  checkKnownOptions(value, known, path);
  return value as Readonly<Record<string, unknown>>;
}

function fraction(path: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`${path} must be a number, got ${describeValue(value)}`);
  if (!(value > 0 && value <= 1)) throw new RangeError(`${path} must be a fraction: 0 < ${path} <= 1, got ${value}`);
  return value;
}

function positiveInteger(path: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${path} must be a number, got ${describeValue(value)}`);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${path} must be a positive integer, got ${value}`);
}

function positiveMilliseconds(path: string, value: unknown): number {
  if (typeof value !== 'number') throw new TypeError(`${path} must be a number, got ${describeValue(value)}`);
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${path} must be a finite number of milliseconds > 0, got ${value}`);
  return value;
}

/** One frozen rule per threshold, shared by every breaker with it: most breakers use a few thresholds. */
const consecutiveRules = new Map<number, TripRule>();
function consecutiveRule(failureThreshold: number): TripRule {
  let rule = consecutiveRules.get(failureThreshold);
  if (rule === undefined) {
    rule = Object.freeze({ kind: 'consecutive', failureThreshold });
    consecutiveRules.set(failureThreshold, rule);
  }
  return rule;
}

/**
 * One frozen rate rule per distinct value, shared by the breakers with it
 * (the keys of a keyed breaker, the methods under one set of defaults): a
 * rule is three objects and a boxed fraction, over 100 bytes a breaker.
 * Bounded: past `MAX_SHARED_RULES` distinct rules, new ones are not kept.
 */
const rateRules = new Map<string, TripRule>();
const MAX_SHARED_RULES = 256;
function rateRule(
  threshold: number,
  minimumCalls: number,
  window: { kind: 'calls'; calls: number } | { kind: 'time'; duration: number; buckets: number },
  slowCall: { duration: number; threshold: number } | undefined,
): TripRule {
  const size = window.kind === 'calls' ? window.calls : `${window.duration}/${window.buckets}`;
  const key = `${threshold} ${minimumCalls} ${window.kind} ${size} ${slowCall === undefined ? '' : `${slowCall.duration} ${slowCall.threshold}`}`;
  let rule = rateRules.get(key);
  if (rule === undefined) {
    rule = Object.freeze({ kind: 'rate', threshold, minimumCalls, window: Object.freeze(window), slowCall: slowCall && Object.freeze(slowCall) });
    if (rateRules.size < MAX_SHARED_RULES) rateRules.set(key, rule);
  }
  return rule;
}
