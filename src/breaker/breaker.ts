import { describeValue } from '../common/describe-value';
import type { Disposable } from '../events/listeners';
import type { CircuitState, CloseEvent, FailureEvent, HalfOpenEvent, OpenEvent, RefusalEvent } from '../events/types';
import type { StateChangeEvent, SuccessEvent, TransitionReason } from '../events/types';
import { admit } from './admission';
import { BreakerEvents, announceTransition, type Trip } from './announce';
import { readClock } from './clock';
import { FleetLink } from './fleet-link';
import { disable, enable, isolate, reset, type IsolationGroup } from './manual-control';
import { Deadlines, callGuarded, isThenable, type AnyFunction } from './guarded-call';
import { resolveOnce, slowCallOf, withName, type CircuitBreakerOptions, type ResolvedOptions } from './options';
import { settleFulfilled, settleRejected, strategyOf } from './outcomes';
import { CLOSED, DISABLED, ISOLATED, publicState, type BreakerState } from './rules';
import { windowStats, type CircuitBreakerStats } from './stats';
import { Seldom } from './seldom';
import type { Tally, TripStrategy } from './trip-strategy';

type Settle = (value: unknown) => void;

/** How an admitted call runs (see `path`). */
type CallPath = typeof PLAIN | typeof OWN_PROMISE | typeof NOTING_START;
const PLAIN = 0;
/** `timeout` or `fallbackOnFailure`: a promise of its own. */
const OWN_PROMISE = 1;
/** `slowCall`: each call notes when it started. */
const NOTING_START = 2;

/**
 * A circuit breaker. After `failureThreshold` consecutive failures it OPENs
 * and refuses calls with `CircuitBreakerOpenException` until `resetTimeout`
 * has passed; then one probe call is let through (HALF_OPEN): success CLOSEs
 * it, failure re-OPENs it. The state table is in rules.ts.
 *
 * Its states keep no timers: time is read from the clock when a call arrives
 * (a `timeout` arms one timer, only while calls with it are pending). Jobs
 * live beside it: rules.ts (the state table), admission.ts (a call arriving
 * while not CLOSED, refusals, the fallback), outcomes.ts (what an outcome
 * does: counting, the trip rule, tripping), guarded-call.ts (timeout and
 * fallback), fleet-link.ts (a store), manual-control.ts (an operator's
 * controls), announce.ts (events), seldom.ts (what few breakers use).
 * Construct it through the exported `CircuitBreaker` (`new CircuitBreaker(options)`).
 *
 * @typeParam F - what the `fallback` option returns (`never` without one).
 */
export class CircuitBreaker<F = never> {
  /** The validated options, frozen. */
  readonly options!: ResolvedOptions;

  /** @internal The state; rules.ts decides what it does. */
  current: BreakerState = CLOSED;
  /** @internal Bumped on every transition: an outcome from an earlier period decides nothing. */
  period = 0;
  /** The current period's promise reactions: made on its first call, never per call. */
  private onFulfilled: Settle | undefined;
  private onRejected: Settle | undefined;
  /** @internal The trip rule's strategy (shared by the breakers with the rule). */
  strategy!: TripStrategy;
  /** @internal This breaker's counts under it. */
  tally!: Tally;
  /** How an admitted call runs: the hot path, with a promise of its own (guarded-call.ts), or noting when it started. */
  private path!: CallPath;

  /**
   * What a breaker that runs CLOSED and succeeds never needs (listeners, a
   * fleet, the counts of failures and refusals, a backoff): made on first
   * use, as a field each it would cost every breaker 8 bytes a field.
   */
  private seldom: Seldom | undefined;

  private calls = 0;
  /** @internal Outcomes of admitted calls (outcomes.ts counts them). */
  successes = 0;
  /** @internal */
  failures = 0;

  /** @internal Use the exported `CircuitBreaker`. `extraOptionNames` are options a decorator handles. */
  constructor(options?: CircuitBreakerOptions<F>, extraOptionNames?: readonly string[]) {
    this.configure(resolveOnce(options, extraOptionNames));
  }

  /** @internal Sets the options; after construction, only for a breaker not yet called (decorator defaults). */
  configure(options: ResolvedOptions): void {
    if (this.fleet !== undefined && options.store !== this.options.store) {
      this.fleet.leave();
      this.fleet = undefined;
    }
    // A breaker keeps its name (a decorated one learns `Class#method` after it is made; defaults carry none).
    const named = this.options === undefined || options.name === this.options.name ? options : withName(options, this.options.name);
    (this as { options: ResolvedOptions }).options = named;
    this.strategy = strategyOf(this);
    this.tally = this.strategy.tally();
    // A fallback for refusals alone leaves the CLOSED path as it is.
    this.path = options.timeout !== undefined || options.fallbackOnFailure ? OWN_PROMISE : slowCallOf(options) === undefined ? PLAIN : NOTING_START;
    if (this.seldom !== undefined) this.seldom.deadlines = undefined; // none pending: configure() only reaches a breaker not called yet
  }

  /** The name in events, logs, metrics and refusals (`Class#method` for a decorated method). */
  get name(): string {
    return this.options.name;
  }

  /** @internal Names a decorated breaker once its class is known (before it joins a fleet). */
  rename(name: string): void {
    (this as { options: ResolvedOptions }).options = withName(this.options, name);
  }

  /** @internal Made when a `store` is set and the breaker is named. */
  get fleet(): FleetLink | undefined {
    return this.seldom?.fleet;
  }

  /** @internal */
  set fleet(link: FleetLink | undefined) {
    if (link !== undefined || this.seldom !== undefined) this.extras().fleet = link;
  }

  /** @internal The wait of the next opening: `resetTimeout`, longer after failed probes with a backoff. */
  get resetTimeoutNow(): number {
    return this.seldom?.backedOff ?? this.options.resetTimeout;
  }

  /** @internal Joins the fleet circuit of this breaker's name, when a `store` is set. */
  joinFleet(): void {
    const store = this.options.store;
    if (store === undefined || this.fleet !== undefined) return;
    this.fleet = new FleetLink(this, store, this.name);
    this.strategy = strategyOf(this); // over the same rule: the tally stays
  }

  /** `'CLOSED' | 'OPEN' | 'HALF_OPEN'`, as of the last call (OPEN turns HALF_OPEN when a call arrives after `resetTimeout`). */
  get state(): CircuitState {
    return publicState(this.current);
  }

  /**
   * Calls `fn(...args)` through the breaker.
   *
   * @returns `fn`'s own promise when it returns a native one (the result and
   *   rejection unchanged), else a promise of the same outcome; or a promise
   *   rejected with `CircuitBreakerOpenException` (or the fallback's result)
   *   without calling `fn` while the circuit is open.
   * @example const user = await breaker.call(fetchUser, id);
   */
  call<A extends unknown[], R>(fn: (this: void, ...args: A) => PromiseLike<R>, ...args: A): Promise<R | F> {
    // A misuse, not an outcome of the dependency: neither invoked, refused nor counted.
    if (typeof fn !== 'function') {
      return Promise.reject(new TypeError(`circuit breaker "${this.name}": call() needs a function to call, got ${describeValue(fn)}`));
    }
    return this.execute(fn as AnyFunction, undefined, args) as Promise<R | F>;
  }

  /** @internal `fn.apply(thisArg, args)` through the breaker (`call`, and the decorated method when not plainly CLOSED). */
  execute(fn: AnyFunction, thisArg: unknown, args: ArrayLike<unknown>): Promise<unknown> {
    if (this.current !== CLOSED) {
      const instead = admit(this, fn, thisArg, args);
      if (instead !== undefined) return instead;
    }
    this.admitted();
    if (this.path !== PLAIN) return this.path === OWN_PROMISE ? callGuarded(this, fn, thisArg, args) : this.callNotingStart(fn, thisArg, args);
    let result: unknown;
    try {
      result = fn.apply(thisArg, args as unknown[]);
    } catch (error) {
      return this.thrown(error);
    }
    return this.observe(result);
  }

  /**
   * @internal The hot path's admission, for the decorated method: true when
   * the call is admitted CLOSED on the plain path. The wrapper then applies
   * the method from its own frame (passing `arguments` on would make an
   * array) and hands the result to `observe`, a throw to `thrown`.
   */
  enterClosed(): boolean {
    if (this.current !== CLOSED || this.path !== PLAIN) return false;
    this.admitted();
    return true;
  }

  /** Counts an admitted call. */
  private admitted(): void {
    this.calls++;
    if (this.onRejected === undefined) this.makeReactions();
  }

  /** The period's promise reactions, made on its first admitted call (a transition clears them). */
  private makeReactions(): void {
    const period = this.period;
    this.onFulfilled = () => settleFulfilled(this, period);
    this.onRejected = (error: unknown) => void settleRejected(this, period, error, false);
  }

  /** @internal What the function returned, observed beside the caller, who gets a native promise back unchanged. */
  observe(result: unknown): Promise<unknown> {
    if (result instanceof Promise) {
      result.then(this.onFulfilled, this.onRejected);
      return result;
    }
    return this.adopt(result);
  }

  /** A thenable is adopted; anything else is a programming error, reported as one. */
  private adopt(result: unknown): Promise<unknown> {
    let thenable: boolean;
    try {
      thenable = isThenable(result);
    } catch (error) {
      // Its `then` getter threw: the call failed, as Promise.resolve() would report it (never a synchronous throw).
      return this.thrown(error);
    }
    if (!thenable) return this.thrown(this.notAPromise(result));
    const promise = Promise.resolve(result);
    promise.then(this.onFulfilled, this.onRejected);
    return promise;
  }

  /** With `slowCall`: each call notes when it started, so its outcome knows whether it was slow. */
  private callNotingStart(fn: AnyFunction, thisArg: unknown, args: ArrayLike<unknown>): Promise<unknown> {
    const period = this.period;
    const startedAt = this.now();
    let outcome: Promise<unknown>;
    try {
      const result = fn.apply(thisArg, args as unknown[]);
      if (!isThenable(result)) throw this.notAPromise(result);
      outcome = Promise.resolve(result);
    } catch (error) {
      outcome = Promise.reject(error);
    }
    outcome.then(
      () => settleFulfilled(this, period, startedAt),
      (error: unknown) => void settleRejected(this, period, error, false, startedAt),
    );
    return outcome;
  }

  /** @internal A synchronous throw of the function: a failure, re-raised as a rejection. */
  thrown(error: unknown): Promise<unknown> {
    this.onRejected!(error);
    return Promise.reject(error);
  }

  /** @internal */
  notAPromise(result: unknown): TypeError {
    return new TypeError(`circuit breaker "${this.name}" guards functions that return a promise, but the function returned ${describeValue(result)}`);
  }

  /** @internal */
  deadlines(): Deadlines {
    return (this.extras().deadlines ??= new Deadlines(this));
  }

  /** @internal The listeners, when any were added. */
  get events(): BreakerEvents | undefined {
    return this.seldom?.events;
  }

  /** @internal What few breakers use (seldom.ts), made on first use. */
  extras(): Seldom {
    return (this.seldom ??= new Seldom());
  }

  /** @internal The open `isolate()` handles (manual-control.ts); the fleet ends them when it closes or opens the circuit. */
  get isolation(): IsolationGroup | undefined {
    return this.seldom?.isolation;
  }

  /** @internal */
  set isolation(group: IsolationGroup | undefined) {
    if (group !== undefined || this.seldom !== undefined) this.extras().isolation = group;
  }

  /** @internal Swaps the state, starts a period (new reactions, an empty count), announces a change of kind. */
  transition(next: BreakerState, reason: TransitionReason, trip?: Trip): void {
    const previous = this.current;
    this.current = next;
    this.period++;
    this.onFulfilled = undefined;
    this.onRejected = undefined;
    // A new period counts afresh; an isolation keeps the count it interrupted on show (stats), until released.
    if (next !== ISOLATED) this.strategy.reset(this.tally);
    // Closing, however it happens (probe, reset, release, enable), ends the backoff.
    if ((next === CLOSED || next === DISABLED) && this.seldom !== undefined) this.seldom.backedOff = undefined;
    // Not when an OPEN wait is re-read, nor between HALF_OPEN's probe states.
    if (previous.kind === next.kind) return;
    const change: StateChangeEvent = { breaker: this.name, from: publicState(previous), to: publicState(next), reason };
    const probeAt = next.kind === 'OPEN' ? next.probeAt : Infinity;
    announceTransition(this.events, this.options.logger, change, next.kind, probeAt, trip ?? { failures: 0, error: undefined, wait: this.resetTimeoutNow });
  }

  /** @internal The clock, as a finite number (clock.ts). */
  now(): number {
    return readClock(this.options.clock, this);
  }

  // ---- manual control (manual-control.ts) ----------------------------------

  /**
   * Forces the circuit OPEN until every handle returned so far is disposed
   * (or `reset()` is called): calls are refused with `retryAfter: Infinity`.
   * @example const handle = breaker.isolate(); // ... incident over: handle.dispose();
   */
  isolate(): Disposable {
    return isolate(this);
  }

  /** Closes the circuit now and clears the failure count, isolation and backoff. */
  reset(): void {
    reset(this);
  }

  /** Lets every call through, still recording stats, until `enable()`. */
  disable(): void {
    disable(this);
  }

  /** Ends `disable()`: the breaker resumes, CLOSED with a zero count. */
  enable(): void {
    enable(this);
  }

  // ---- observation ----------------------------------------------------------

  private listeners(): BreakerEvents {
    return (this.extras().events ??= new BreakerEvents());
  }

  /** Every transition. @returns a handle whose `dispose()` stops listening. */
  onStateChange(listener: (event: StateChangeEvent) => void): Disposable { return this.listeners().stateChange.add(listener); }

  /** The circuit opened (by failures, a failed probe, or `isolate()`). */
  onOpen(listener: (event: OpenEvent) => void): Disposable { return this.listeners().open.add(listener); }

  /** A probe is let through. */
  onHalfOpen(listener: (event: HalfOpenEvent) => void): Disposable { return this.listeners().halfOpen.add(listener); }

  /** The circuit closed. */
  onClose(listener: (event: CloseEvent) => void): Disposable { return this.listeners().close.add(listener); }

  /** A call admitted in the current period succeeded. */
  onSuccess(listener: (event: SuccessEvent) => void): Disposable { return this.listeners().success.add(listener); }

  /** A call admitted in the current period failed and counted. */
  onFailure(listener: (event: FailureEvent) => void): Disposable { return this.listeners().failure.add(listener); }

  /** A call was refused without invoking the function. */
  onRefusal(listener: (event: RefusalEvent) => void): Disposable { return this.listeners().refusal.add(listener); }

  /** A snapshot of counters and state. */
  stats(): CircuitBreakerStats {
    const state = this.current;
    return {
      name: this.name,
      state: publicState(state),
      isolated: state === ISOLATED,
      disabled: state === DISABLED,
      alone: state.kind === 'OPEN' && state.alone,
      consecutiveFailures: this.strategy.consecutive(this.tally),
      calls: this.calls,
      successes: this.successes,
      failures: this.failures,
      ignored: this.seldom?.ignored ?? 0,
      refusals: this.seldom?.refusals ?? 0,
      timeouts: this.seldom?.timeouts ?? 0,
      fallbacks: this.seldom?.fallbacks ?? 0,
      lateOutcomes: this.seldom?.lateOutcomes ?? 0,
      opened: this.seldom?.opened ?? 0,
      lastFailureAt: this.seldom?.lastFailureAt ?? null,
      nextProbeAt: state.kind === 'OPEN' ? state.probeAt : null,
      resetTimeout: this.resetTimeoutNow,
      ...windowStats(this.options.rule, this.strategy.window(this.tally, this.strategy.timed ? this.now() : 0)),
    };
  }

  /** `stats()`, for `JSON.stringify(breaker)`. */
  toJSON(): CircuitBreakerStats {
    return this.stats();
  }
}
