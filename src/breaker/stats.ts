import type { CircuitState } from '../events/types';
import type { TripRule } from './trip-options';
import type { WindowCounts } from './trip-strategy';

/** A snapshot of a breaker, from `breaker.stats()` (and `toJSON()`). */
export interface CircuitBreakerStats {
  readonly name: string;
  readonly state: CircuitState;
  /** Forced OPEN by `isolate()` until released. */
  readonly isolated: boolean;
  /** Passing every call through by `disable()`. */
  readonly disabled: boolean;
  /** OPEN in this member only: it tripped, but fewer than `quorum` members of its fleet did. */
  readonly alone: boolean;
  /** Consecutive counted failures while CLOSED (under any rule). */
  readonly consecutiveFailures: number;
  /** Calls that invoked the function (admitted). */
  readonly calls: number;
  readonly successes: number;
  /** Failures counted by `isFailure` (timeouts included). */
  readonly failures: number;
  /** Errors `isFailure` did not count. */
  readonly ignored: number;
  /** Calls refused without invoking the function. */
  readonly refusals: number;
  readonly timeouts: number;
  /** Results `fallback` supplied. */
  readonly fallbacks: number;
  /** Outcomes of calls admitted in an earlier state period: counted here and in the totals, never in a transition. */
  readonly lateOutcomes: number;
  /** Times the circuit opened. */
  readonly opened: number;
  /** Clock time of the last counted failure, or null. */
  readonly lastFailureAt: number | null;
  /** Clock time from which a probe is let through while OPEN, else null. */
  readonly nextProbeAt: number | null;
  /** The wait the next trip uses (grows with backoff). */
  readonly resetTimeout: number;
  /** What the `failureRate` window holds now (null under the consecutive rule). */
  readonly window: WindowCounts | null;
  /** failures / calls of the window (null below `minimumCalls`, or without `failureRate`). */
  readonly failureRate: number | null;
  /** slow / calls of the window (null below `minimumCalls`, or without `slowCall`). */
  readonly slowCallRate: number | null;
}

/** The window's part of the stats. */
export function windowStats(rule: TripRule, window: WindowCounts | null): Pick<CircuitBreakerStats, 'window' | 'failureRate' | 'slowCallRate'> {
  if (window === null || rule.kind !== 'rate') return { window: null, failureRate: null, slowCallRate: null };
  const rated = window.calls >= rule.minimumCalls;
  return {
    window,
    failureRate: rated ? window.failures / window.calls : null,
    slowCallRate: rated && rule.slowCall !== undefined ? window.slow / window.calls : null,
  };
}

/** A snapshot of a keyed breaker (one breaker per key), from `stats()` of `new CircuitBreaker({ key: true })` or `getKeyedCircuitBreaker`. */
export interface KeyedCircuitBreakerStats {
  /** The keyed breaker's name (`Class#method`); a key's breaker is named `name[key]`. */
  readonly name: string;
  /** The keys whose breakers are kept now, the most recently used first. */
  readonly keys: readonly string[];
  readonly maxKeys: number;
  /** How many of the keys' breakers are in each state. */
  readonly states: Readonly<Record<CircuitState, number>>;
  /** Keys dropped to stay within `maxKeys`. */
  readonly evicted: number;
  /** Of those, keys dropped while OPEN or HALF_OPEN (or isolated, or disabled), because every kept key was: their state was forgotten. */
  readonly evictedOpen: number;
}
