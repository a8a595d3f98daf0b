import { CircuitBreakerOpenException } from '../errors/circuit-breaker-open-exception';
import { CircuitBreakerTimeoutException } from '../errors/circuit-breaker-timeout-exception';
import { channels, debug } from '../events/channels';
import { Listeners, describe, rethrowLater, type Disposable } from '../events/listeners';
import type { CircuitBreakerLogRecord } from '../events/logger';
import type {
  CloseEvent,
  FailureEvent,
  HalfOpenEvent,
  OpenEvent,
  RefusalEvent,
  StateChangeEvent,
  SuccessEvent,
  TransitionReason,
} from '../events/types';
import type { CircuitStoreMembership, FleetState, FleetUpdate, ProbeLease } from '../store/circuit-store';
import { DEFAULT_NAME, resolveOptions, type CircuitBreakerOptions, type ResolvedOptions } from './options';
import { CLOSED, DISABLED, ISOLATED, PROBE_DUE, PROBING, assertNever, publicState, type BreakerState, type CircuitState } from './state';
import type { CircuitBreakerStats } from './stats';
import { ConsecutiveFailures, type TripStrategy } from './trip-strategy';

type Settle = (value: unknown) => void;

/** Breakers waiting for the fleet's answer to a probe-lease request: rare and short, so kept off the breaker. */
const leaseRequests = new WeakSet<object>();
type AnyFunction = (this: unknown, ...args: any[]) => unknown;

/**
 * A circuit breaker: the seed's `CircuitBreaker`. After `failureThreshold`
 * consecutive failures it OPENs and refuses calls with
 * `CircuitBreakerOpenException` until `resetTimeout` has passed; then one
 * probe call is let through (HALF_OPEN): success CLOSEs it, failure re-OPENs it.
 *
 * It keeps no timers: time is read from the clock when a call arrives.
 *
 * Construct it through the exported `CircuitBreaker` (`new CircuitBreaker(options)`).
 *
 * @typeParam F - what the `fallback` option returns (`never` without one).
 */
export class CircuitBreaker<F = never> {
  /** The validated options, frozen. */
  readonly options!: ResolvedOptions;

  private current: BreakerState = CLOSED;
  /** Bumped on every transition: an outcome from an earlier period decides nothing. */
  private period = 0;
  /** The current period's promise reactions: made on its first call, never per call. */
  private onFulfilled: Settle | undefined;
  private onRejected: Settle | undefined;
  private strategy!: TripStrategy;
  /** Calls the plain fast path, or the one with timeout and fallback. */
  private guarded!: boolean;
  /** The open `isolate()` handles; reset() and disable() drop it, so older handles release nothing. */
  private isolation: { handles: number } | undefined;
  private resetTimeoutNow!: number;
  /** This breaker's place in a fleet circuit, once joined (see `store`). */
  private membership: CircuitStoreMembership | undefined;

  private calls = 0;
  private successes = 0;
  private failures = 0;
  private ignored = 0;
  private refusals = 0;
  private timeouts = 0;
  private fallbacks = 0;
  private lateOutcomes = 0;
  private opened = 0;
  private lastFailureAt: number | null = null;

  /** Made on the first `onX()`: most breakers are never listened to, and stay small. */
  private events: BreakerEvents | undefined;

  /** @internal Use the exported `CircuitBreaker`. `extraOptionNames` are options a decorator handles. */
  constructor(options?: CircuitBreakerOptions<F>, extraOptionNames?: readonly string[]) {
    this.configure(resolveOptions(options, extraOptionNames));
    this.name = this.options.name;
    // A decorated breaker joins once its class names it (`Class#method`).
    if (this.options.store !== undefined && this.name !== DEFAULT_NAME) this.joinFleet();
  }

  /** @internal Sets the options; after construction, only for a breaker not yet called (decorator defaults). */
  configure(options: ResolvedOptions): void {
    if (this.membership !== undefined && options.store !== this.options.store) {
      this.membership.leave();
      this.membership = undefined;
    }
    (this as { options: ResolvedOptions }).options = options;
    this.strategy = new ConsecutiveFailures(options.failureThreshold);
    this.guarded = options.timeout !== undefined || options.fallback !== undefined;
    this.resetTimeoutNow = options.resetTimeout;
  }

  /** The name in events, logs, metrics and refusals (`Class#method` for a decorated method). */
  name: string;

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
  call<A extends unknown[], R>(fn: (...args: A) => PromiseLike<R>, ...args: A): Promise<R | F> {
    // A misuse, not an outcome of the dependency: neither invoked, refused nor counted.
    if (typeof fn !== 'function') {
      return Promise.reject(new TypeError(`circuit breaker "${this.name}": call() needs a function to call, got ${describe(fn)}`));
    }
    return this.execute(fn as AnyFunction, undefined, args) as Promise<R | F>;
  }

  /** @internal The decorator's entry point: `fn.apply(thisArg, args)` through the breaker. */
  execute(fn: AnyFunction, thisArg: unknown, args: ArrayLike<unknown>): Promise<unknown> {
    if (this.current !== CLOSED) {
      const refusal = this.admit(thisArg, args);
      if (refusal !== undefined) return refusal;
    }
    this.calls++;
    if (this.onRejected === undefined) this.makeReactions();
    if (this.guarded) return this.executeGuarded(fn, thisArg, args);
    let result: unknown;
    try {
      result = fn.apply(thisArg, args as unknown[]);
    } catch (error) {
      this.onRejected!(error);
      return Promise.reject(error);
    }
    if (result instanceof Promise) {
      // The caller gets `fn`'s own promise; the breaker observes it beside them.
      result.then(this.onFulfilled, this.onRejected);
      return result;
    }
    return this.adopt(result);
  }

  /** Thenables are adopted; anything else is a programming error, reported as one. */
  private adopt(result: unknown): Promise<unknown> {
    let thenable: boolean;
    try {
      thenable = isThenable(result);
    } catch (error) {
      // Its `then` getter threw: the call failed, as Promise.resolve() would report it (never a synchronous throw).
      this.onRejected!(error);
      return Promise.reject(error);
    }
    if (thenable) {
      const promise = Promise.resolve(result);
      promise.then(this.onFulfilled, this.onRejected);
      return promise;
    }
    const error = new TypeError(
      `circuit breaker "${this.name}" guards functions that return a promise, but the function returned ${describe(result)}`,
    );
    this.onRejected!(error);
    return Promise.reject(error);
  }

  /**
   * Decides a call that arrives while not CLOSED: undefined admits it,
   * else the refusal to return.
   */
  private admit(thisArg: unknown, args: ArrayLike<unknown>): Promise<unknown> | undefined {
    const state = this.current;
    switch (state.kind) {
      case 'CLOSED':
      case 'DISABLED':
        return undefined;
      case 'OPEN': {
        const now = this.now();
        if (now < state.probeAt) return this.refuse(state.probeAt - now, thisArg, args);
        const membership = this.membership;
        if (membership !== undefined && membership.available) {
          // One probe in the whole fleet: ask for the lease; this call is refused, a call after the grant probes.
          if (!leaseRequests.has(this)) this.requestProbeLease(membership, state);
          return this.refuse(0, thisArg, args);
        }
        this.transition(PROBING, 'reset-timeout');
        return undefined;
      }
      case 'HALF_OPEN':
        if (!state.probeInFlight) {
          this.current = PROBING; // the same period: the earlier probe decided nothing
          return undefined;
        }
        return this.refuse(0, thisArg, args);
      case 'ISOLATED':
        return this.refuse(Infinity, thisArg, args);
      default:
        return assertNever(state);
    }
  }

  private refuse(retryAfter: number, thisArg: unknown, args: ArrayLike<unknown>): Promise<unknown> {
    this.refusals++;
    const exception = new CircuitBreakerOpenException(this.name, retryAfter);
    if (this.events !== undefined || channels.refusal.hasSubscribers) {
      const event: RefusalEvent = { breaker: this.name, state: this.state, retryAfter };
      this.events?.refusal.emit(event);
      if (channels.refusal.hasSubscribers) channels.refusal.publish(event);
    }
    const fallback = this.options.fallback;
    if (fallback === undefined) return Promise.reject(exception);
    return this.useFallback(fallback, exception, thisArg, args);
  }

  private useFallback(
    fallback: (error: unknown, ...args: unknown[]) => unknown,
    error: unknown,
    thisArg: unknown,
    args: ArrayLike<unknown>,
  ): Promise<unknown> {
    this.fallbacks++;
    try {
      return Promise.resolve(fallback.call(thisArg, error, ...Array.prototype.slice.call(args)));
    } catch (fallbackError) {
      return Promise.reject(fallbackError);
    }
  }

  /** The path with a `timeout` or a `fallback`: it needs a promise of its own. */
  private executeGuarded(fn: AnyFunction, thisArg: unknown, args: ArrayLike<unknown>): Promise<unknown> {
    const { timeout, fallback, fallbackOnFailure } = this.options;
    const onFulfilled = this.onFulfilled!;
    const onRejected = this.onRejected!;
    let callArgs = args;
    let controller: AbortController | undefined;
    if (timeout !== undefined) {
      controller = new AbortController();
      callArgs = withSignal(args, fn.length, controller.signal);
    }
    let result: unknown;
    try {
      result = fn.apply(thisArg, callArgs as unknown[]);
      if (!isThenable(result)) {
        throw new TypeError(
          `circuit breaker "${this.name}" guards functions that return a promise, but the function returned ${describe(result)}`,
        );
      }
    } catch (error) {
      result = Promise.reject(error);
    }
    const outcome = result as PromiseLike<unknown>;
    const failed = (error: unknown): Promise<unknown> => {
      if (fallbackOnFailure && fallback !== undefined) return this.useFallback(fallback, error, thisArg, args);
      return Promise.reject(error);
    };
    if (controller === undefined) {
      return Promise.resolve(outcome).then(
        (value) => {
          onFulfilled(value);
          return value;
        },
        (error: unknown) => {
          onRejected(error);
          return failed(error);
        },
      );
    }
    const signal = controller;
    return new Promise<unknown>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        this.timeouts++;
        const error = new CircuitBreakerTimeoutException(this.name, timeout!);
        signal.abort(error);
        onRejected(error);
        failed(error).then(resolve, reject);
      }, timeout);
      // A pending call must never keep the process alive.
      if (typeof timer === 'object' && typeof timer.unref === 'function') timer.unref();
      outcome.then(
        (value) => {
          if (settled) return this.countLate();
          settled = true;
          clearTimeout(timer);
          onFulfilled(value);
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return this.countLate();
          settled = true;
          clearTimeout(timer);
          onRejected(error);
          failed(error).then(resolve, reject);
        },
      );
    });
  }

  private countLate(): void {
    this.lateOutcomes++;
  }

  /**
   * Makes the current period's promise reactions, on the period's first
   * admitted call (a breaker that is never called never makes them); a
   * transition clears them.
   */
  private makeReactions(): void {
    const period = this.period;
    this.onFulfilled = () => {
      this.successes++;
      if (period === this.period) this.recordSuccess();
      else this.lateOutcomes++;
    };
    this.onRejected = (error: unknown) => {
      if (!this.counts(error)) {
        this.ignored++;
        if (period !== this.period) this.lateOutcomes++;
        else if (this.current === PROBING) this.current = PROBE_DUE;
        return;
      }
      this.failures++;
      const now = this.now();
      this.lastFailureAt = now;
      if (period === this.period) this.recordFailure(error, now);
      else this.lateOutcomes++;
    };
  }

  private counts(error: unknown): boolean {
    const isFailure = this.options.isFailure;
    if (isFailure === undefined) return true;
    try {
      return isFailure(error) !== false;
    } catch (filterError) {
      // A broken filter must not hide an outage: count it, and surface the bug.
      rethrowLater(filterError);
      return true;
    }
  }

  private recordSuccess(): void {
    const state = this.current;
    switch (state.kind) {
      case 'CLOSED':
        this.strategy.success();
        break;
      case 'HALF_OPEN':
        this.resetTimeoutNow = this.options.resetTimeout;
        this.strategy.reset();
        this.transition(CLOSED, 'probe-succeeded');
        this.tellFleet((fleet) => fleet.close());
        break;
      case 'DISABLED':
      case 'OPEN':
      case 'ISOLATED':
        // No call is admitted in OPEN or ISOLATED; DISABLED records stats only.
        break;
      default:
        assertNever(state);
    }
    if (this.events !== undefined || channels.success.hasSubscribers) {
      const event: SuccessEvent = { breaker: this.name, state: this.state };
      this.events?.success.emit(event);
      if (channels.success.hasSubscribers) channels.success.publish(event);
    }
  }

  private recordFailure(error: unknown, now: number): void {
    const state = this.current;
    const failuresBefore = this.strategy.failures;
    switch (state.kind) {
      case 'CLOSED':
        if (this.strategy.failure(now)) this.open(now, 'threshold', failuresBefore + 1, error);
        break;
      case 'HALF_OPEN':
        // Backoff: each failed probe lengthens the wait, up to maxResetTimeout.
        this.resetTimeoutNow = Math.min(this.options.maxResetTimeout, this.resetTimeoutNow * this.options.backoffMultiplier);
        this.open(now, 'probe-failed', 0, error);
        break;
      case 'DISABLED':
      case 'OPEN':
      case 'ISOLATED':
        break;
      default:
        assertNever(state);
    }
    if (this.events !== undefined || channels.failure.hasSubscribers) {
      const event: FailureEvent = { breaker: this.name, state: this.state, error, failures: this.strategy.failures };
      this.events?.failure.emit(event);
      if (channels.failure.hasSubscribers) channels.failure.publish(event);
    }
  }

  private open(openedAt: number, reason: TransitionReason, failures: number, error?: unknown): void {
    const wait = this.resetTimeoutNow;
    this.opened++;
    this.strategy.reset();
    const opened: BreakerState = { kind: 'OPEN', openedAt, probeAt: openedAt + wait };
    this.transition(opened, reason, { failures, error, wait });
    const membership = this.membership;
    if (membership !== undefined && membership.available) {
      // A trip keeps a wait already running elsewhere (and adopts it); a failed probe starts a fresh one.
      membership.open(wait, reason === 'probe-failed').then(
        (remaining) => {
          if (this.current === opened && remaining !== wait) this.adoptOpen(remaining);
        },
        () => undefined,
      );
    }
  }

  // ---- fleet ----------------------------------------------------------------

  /** @internal Joins the fleet circuit of this breaker's name, when a `store` is set. */
  joinFleet(): void {
    const store = this.options.store;
    if (store === undefined || this.membership !== undefined) return;
    this.membership = store.join(this.name, (fleet, update) => this.applyFleet(fleet, update));
  }

  /** Tells the fleet a transition made here; a store that fails is ignored (the breaker runs alone). */
  private tellFleet(tell: (membership: CircuitStoreMembership) => Promise<unknown>): void {
    const membership = this.membership;
    if (membership !== undefined && membership.available) tell(membership).catch(() => undefined);
  }

  private requestProbeLease(membership: CircuitStoreMembership, waiting: BreakerState): void {
    leaseRequests.add(this);
    const lease = this.options.timeout === undefined ? 0 : this.options.timeout * 2;
    membership.acquireProbe(lease).then(
      (answer: ProbeLease) => {
        leaseRequests.delete(this);
        if (this.current !== waiting) return; // something else decided meanwhile
        if (answer.granted) this.transition(PROBE_DUE, 'reset-timeout');
        else this.applyFleet(answer.fleet.state === 'OPEN' ? { state: 'OPEN', remaining: answer.retryIn } : answer.fleet, 'event');
      },
      () => {
        // The store failed: decide alone, as without one.
        leaseRequests.delete(this);
        if (this.current === waiting) this.transition(PROBE_DUE, 'reset-timeout');
      },
    );
  }

  /** A fleet state pushed or read from the store. */
  private applyFleet(fleet: FleetState, update: FleetUpdate): void {
    const state = this.current;
    // Disabled breakers ignore the fleet; our own probe's outcome will tell it.
    if (state === DISABLED || state === PROBING) return;
    switch (fleet.state) {
      case 'CLOSED':
        if (state.kind === 'CLOSED') return;
        if (update === 'sync' && state === ISOLATED) {
          this.tellFleet((membership) => membership.isolate());
          return;
        }
        if (update === 'sync' && state.kind === 'OPEN') {
          // The store knows nothing (it restarted, or this process tripped while it was away): tell it.
          const remaining = Math.max(0, state.probeAt - this.now());
          this.tellFleet((membership) => membership.open(remaining, false));
          return;
        }
        this.isolation = undefined;
        this.strategy.reset();
        this.resetTimeoutNow = this.options.resetTimeout;
        this.transition(CLOSED, 'store');
        return;
      case 'OPEN':
        this.adoptOpen(fleet.remaining);
        return;
      case 'ISOLATED':
        if (state !== ISOLATED) this.transition(ISOLATED, 'store');
        return;
      default:
        assertNever(fleet);
    }
  }

  private adoptOpen(remaining: number): void {
    const now = this.now();
    if (this.current.kind === 'CLOSED') {
      this.opened++;
      this.strategy.reset();
    }
    this.transition({ kind: 'OPEN', openedAt: now, probeAt: now + remaining }, 'store', { failures: 0, error: undefined, wait: remaining });
  }

  private transition(
    next: BreakerState,
    reason: TransitionReason,
    trip?: { readonly failures: number; readonly error: unknown; readonly wait: number },
  ): void {
    const from = publicState(this.current);
    this.current = next;
    // Closing, however it happens (probe, reset, release, enable), ends the backoff.
    if (next === CLOSED || next === DISABLED) this.resetTimeoutNow = this.options.resetTimeout;
    // A new period: calls admitted from now on get new reactions; earlier ones' outcomes decide nothing.
    this.period++;
    this.onFulfilled = undefined;
    this.onRejected = undefined;
    const to = publicState(next);
    if (from === to) return;
    const name = this.name;
    const change: StateChangeEvent = { breaker: name, from, to, reason };
    debug('%s %s -> %s (%s)', name, from, to, reason);
    const logger = this.options.logger;
    switch (next.kind) {
      case 'OPEN':
      case 'ISOLATED': {
        const resetTimeout = next.kind === 'OPEN' ? (trip?.wait ?? this.resetTimeoutNow) : Infinity;
        const probeAt = next.kind === 'OPEN' ? next.probeAt : Infinity;
        const failures = trip?.failures ?? 0;
        this.log(logger, 'warn', { event: 'circuit_breaker_opened', message: 'circuit_breaker_opened', breaker: name, from, to, reason, failures, resetTimeout });
        this.emitTransition(change);
        const event: OpenEvent = trip?.error === undefined
          ? { breaker: name, reason, failures, resetTimeout, probeAt }
          : { breaker: name, reason, failures, resetTimeout, probeAt, error: trip.error };
        this.events?.open.emit(event);
        if (channels.open.hasSubscribers) channels.open.publish(event);
        break;
      }
      case 'HALF_OPEN': {
        this.log(logger, 'info', { event: 'circuit_breaker_half_open', message: 'circuit_breaker_half_open', breaker: name, from, to, reason });
        this.emitTransition(change);
        const event: HalfOpenEvent = { breaker: name };
        this.events?.halfOpen.emit(event);
        if (channels.halfOpen.hasSubscribers) channels.halfOpen.publish(event);
        break;
      }
      case 'CLOSED':
      case 'DISABLED': {
        this.log(logger, 'info', { event: 'circuit_breaker_closed', message: 'circuit_breaker_closed', breaker: name, from, to, reason });
        this.emitTransition(change);
        const event: CloseEvent = { breaker: name, reason };
        this.events?.close.emit(event);
        if (channels.close.hasSubscribers) channels.close.publish(event);
        break;
      }
      default:
        assertNever(next);
    }
  }

  private emitTransition(change: StateChangeEvent): void {
    this.events?.stateChange.emit(change);
    if (channels.stateChange.hasSubscribers) channels.stateChange.publish(change);
  }

  private log(
    logger: ResolvedOptions['logger'],
    level: 'warn' | 'info',
    record: CircuitBreakerLogRecord,
  ): void {
    if (logger === undefined) return;
    try {
      logger[level](record);
    } catch (error) {
      rethrowLater(error);
    }
  }

  private now(): number {
    const clock = this.options.clock;
    return clock === undefined ? Date.now() : clock();
  }

  // ---- manual control -------------------------------------------------------

  /**
   * Forces the circuit OPEN until every handle returned so far is disposed
   * (or `reset()` is called): calls are refused with `retryAfter: Infinity`.
   * @example const handle = breaker.isolate(); // ... incident over: handle.dispose();
   */
  isolate(): Disposable {
    const group = (this.isolation ??= { handles: 0 });
    group.handles++;
    if (this.current !== ISOLATED) this.transition(ISOLATED, 'isolated');
    this.tellFleet((membership) => membership.isolate());
    let released = false;
    return {
      dispose: () => {
        if (released || this.isolation !== group) return; // reset() or disable() released it already
        released = true;
        if (--group.handles !== 0) return;
        this.isolation = undefined;
        if (this.current === ISOLATED) {
          this.strategy.reset();
          this.transition(CLOSED, 'released');
          this.tellFleet((membership) => membership.close());
        }
      },
    };
  }

  /** Closes the circuit now and clears the failure count, isolation and backoff. */
  reset(): void {
    this.isolation = undefined;
    this.strategy.reset();
    this.resetTimeoutNow = this.options.resetTimeout;
    this.transition(CLOSED, 'reset');
    this.tellFleet((membership) => membership.close());
  }

  /** Lets every call through, still recording stats, until `enable()`. */
  disable(): void {
    if (this.current === DISABLED) return;
    this.isolation = undefined;
    this.strategy.reset();
    this.transition(DISABLED, 'disabled');
  }

  /** Ends `disable()`: the breaker resumes, CLOSED with a zero count. */
  enable(): void {
    if (this.current !== DISABLED) return;
    this.transition(CLOSED, 'enabled');
  }

  // ---- observation ----------------------------------------------------------

  /** Every transition. @returns a handle whose `dispose()` stops listening. */
  onStateChange(listener: (event: StateChangeEvent) => void): Disposable {
    return (this.events ??= new BreakerEvents()).stateChange.add(listener);
  }

  /** The circuit opened (by failures, a failed probe, or `isolate()`). */
  onOpen(listener: (event: OpenEvent) => void): Disposable {
    return (this.events ??= new BreakerEvents()).open.add(listener);
  }

  /** A probe is let through. */
  onHalfOpen(listener: (event: HalfOpenEvent) => void): Disposable {
    return (this.events ??= new BreakerEvents()).halfOpen.add(listener);
  }

  /** The circuit closed. */
  onClose(listener: (event: CloseEvent) => void): Disposable {
    return (this.events ??= new BreakerEvents()).close.add(listener);
  }

  /** A call admitted in the current period succeeded. */
  onSuccess(listener: (event: SuccessEvent) => void): Disposable {
    return (this.events ??= new BreakerEvents()).success.add(listener);
  }

  /** A call admitted in the current period failed and counted. */
  onFailure(listener: (event: FailureEvent) => void): Disposable {
    return (this.events ??= new BreakerEvents()).failure.add(listener);
  }

  /** A call was refused without invoking the function. */
  onRefusal(listener: (event: RefusalEvent) => void): Disposable {
    return (this.events ??= new BreakerEvents()).refusal.add(listener);
  }

  /** A snapshot of counters and state. */
  stats(): CircuitBreakerStats {
    const state = this.current;
    return {
      name: this.name,
      state: publicState(state),
      isolated: state === ISOLATED,
      disabled: state === DISABLED,
      consecutiveFailures: this.strategy.failures,
      calls: this.calls,
      successes: this.successes,
      failures: this.failures,
      ignored: this.ignored,
      refusals: this.refusals,
      timeouts: this.timeouts,
      fallbacks: this.fallbacks,
      lateOutcomes: this.lateOutcomes,
      opened: this.opened,
      lastFailureAt: this.lastFailureAt,
      nextProbeAt: state.kind === 'OPEN' ? state.probeAt : null,
      resetTimeout: this.resetTimeoutNow,
    };
  }

  /** `stats()`, for `JSON.stringify(breaker)`. */
  toJSON(): CircuitBreakerStats {
    return this.stats();
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * The arguments with the signal at the method's last declared parameter
 * when the caller left it out, else after the caller's arguments.
 */
function withSignal(args: ArrayLike<unknown>, declared: number, signal: AbortSignal): unknown[] {
  const copy = Array.prototype.slice.call(args) as unknown[];
  const position = Math.max(copy.length, declared - 1);
  copy.length = position;
  copy.push(signal);
  return copy;
}

/** A breaker's typed listeners, made on the first `onX()`. */
class BreakerEvents {
  readonly stateChange = new Listeners<StateChangeEvent>();
  readonly open = new Listeners<OpenEvent>();
  readonly halfOpen = new Listeners<HalfOpenEvent>();
  readonly close = new Listeners<CloseEvent>();
  readonly success = new Listeners<SuccessEvent>();
  readonly failure = new Listeners<FailureEvent>();
  readonly refusal = new Listeners<RefusalEvent>();
}
