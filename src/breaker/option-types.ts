import type { CircuitBreakerLogger } from '../events/logger';
import type { CircuitStore } from '../store/circuit-store';
import type { FailureRateOptions, HalfOpenOptions, SlowCallOptions, TripRule } from './trip-options';

/**
 * Options of a breaker, for `new CircuitBreaker(options)` and `@CircuitBreaker(options)`.
 * Every option is checked when the breaker or decorator is created; a wrong
 * type, range or unknown name throws a `TypeError`/`RangeError` naming it.
 * The object passed in is copied, never changed.
 *
 * @typeParam F - what `fallback` returns.
 * @typeParam FA - the arguments `fallback` takes after the error (for a decorated method, checked against its parameters).
 */
export interface CircuitBreakerOptions<F = never, FA extends unknown[] = any[]> {
  /**
   * Consecutive failures, while CLOSED, that open the circuit. A positive integer.
   * Not with `failureRate`, which replaces this rule.
   * @default 3
   */
  readonly failureThreshold?: number;
  /**
   * Open on the failure rate over a window instead of consecutive failures:
   * `{ threshold: 0.5, minimumCalls: 20, window: { calls: 100 } }` or `window: { duration: 10_000, buckets: 10 }`.
   * @default undefined (the consecutive rule, `failureThreshold`)
   */
  readonly failureRate?: FailureRateOptions;
  /**
   * With `failureRate`: calls settling `duration` ms or more after they started are slow, and
   * the circuit also opens when the window's share of slow calls reaches `threshold`.
   */
  readonly slowCall?: SlowCallOptions;
  /**
   * How many probes decide when the wait is over: `{ probes: 3 }`.
   * @default { probes: 1 }
   */
  readonly halfOpen?: HalfOpenOptions;
  /**
   * Milliseconds the circuit stays OPEN before one probe is let through. Finite, >= 0.
   * @default 60_000
   */
  readonly resetTimeout?: number;
  /**
   * The breaker's name, in events, logs, metrics and refusals.
   * @default 'Class#method' for a decorated method (`Class.method` for a static one), else 'circuit-breaker'
   */
  readonly name?: string;
  /**
   * Reads the time in ms, called as `clock()` (no receiver). Read once when
   * the breaker is made (anything but a finite number is a `TypeError`), then
   * when a call arrives while not CLOSED and when a call fails (every outcome
   * under a time-window `failureRate` or `slowCall`, and when such a call starts).
   * @default Date.now (looked up at each read, so sinon fake timers drive it)
   */
  readonly clock?: () => number;
  /** Receives `circuit_breaker_opened` (at `warn`), `circuit_breaker_half_open` and `circuit_breaker_closed` (at `info`). Silent when absent. */
  readonly logger?: CircuitBreakerLogger;
  /**
   * Whether an error means the dependency failed. An error for which it returns
   * false is re-raised but counts neither as a failure nor as a success.
   * @default () => true
   */
  readonly isFailure?: (error: unknown) => boolean;
  /**
   * Milliseconds a call may take. A call that outlives it rejects with
   * `CircuitBreakerTimeoutException`, counts as a failure, and its `AbortSignal`
   * is aborted. No timer exists when it is not set.
   * @default undefined (no limit)
   */
  readonly timeout?: number;
  /**
   * Upper bound, in ms, of the wait after repeated failed probes: each failed
   * probe multiplies the wait by `backoffMultiplier` up to this; closing
   * returns it to `resetTimeout`.
   * @default resetTimeout (no backoff)
   */
  readonly maxResetTimeout?: number;
  /**
   * Factor applied to the wait after each failed probe. >= 1. Needs
   * `maxResetTimeout` in the same options (a `TypeError` without it).
   * @default 2
   */
  readonly backoffMultiplier?: number;
  /**
   * Its result is returned instead of a refusal (and, with `fallbackOnFailure`,
   * instead of a failure). Called with the error and the call's arguments,
   * with the call's `this`.
   */
  readonly fallback?: (error: unknown, ...args: FA) => F | PromiseLike<F>;
  /**
   * Also use `fallback` when a call fails (the failure is still counted).
   * @default false
   */
  readonly fallbackOnFailure?: boolean;
  /**
   * Shares this breaker's circuit with every breaker of the same `name` on
   * the same store, across processes (`RedisCircuitStore` from
   * `circuit-breaker-decorator/redis`). A plain breaker needs a `name`.
   * @default undefined (this process only)
   */
  readonly store?: CircuitStore;
  /**
   * With a `store`: this many distinct members must trip within one `resetTimeout` before the circuit
   * opens fleet-wide; a member that trips alone opens only itself and probes alone after its wait.
   * @default 1 (any member's trip opens every member)
   */
  readonly quorum?: number;
}

/** The options after validation, with defaults in place. */
export interface ResolvedOptions {
  readonly failureThreshold: number;
  /** The trip rule: consecutive failures, or a failure rate (with slow calls) over a window. */
  readonly rule: TripRule;
  readonly halfOpenProbes: number;
  readonly resetTimeout: number;
  readonly name: string;
  readonly clock: (() => number) | undefined;
  readonly logger: CircuitBreakerLogger | undefined;
  readonly isFailure: ((error: unknown) => boolean) | undefined;
  readonly timeout: number | undefined;
  readonly maxResetTimeout: number;
  readonly backoffMultiplier: number;
  readonly fallback: ((error: unknown, ...args: any[]) => unknown) | undefined;
  readonly fallbackOnFailure: boolean;
  readonly store: CircuitStore | undefined;
  readonly quorum: number;
}
