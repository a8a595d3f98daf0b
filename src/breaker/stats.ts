import type { CircuitState } from '../events/types';

/** A snapshot of a breaker, from `breaker.stats()` (and `toJSON()`). */
export interface CircuitBreakerStats {
  readonly name: string;
  readonly state: CircuitState;
  /** Forced OPEN by `isolate()` until released. */
  readonly isolated: boolean;
  /** Passing every call through by `disable()`. */
  readonly disabled: boolean;
  /** Failures counted towards the next trip. */
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
}
