import { refusalException } from '../errors/circuit-breaker-open-exception';
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
import { resolveOptions, type CircuitBreakerOptions, type ResolvedOptions } from './options';
import { CLOSED, DISABLED, ISOLATED, PROBE_DUE, PROBING, assertNever, publicState, type BreakerState, type CircuitState } from './state';
import type { CircuitBreakerStats } from './stats';
import { ConsecutiveFailures, type TripStrategy } from './trip-strategy';

type Settle = (value: unknown) => void;

/** A call of this breaker waiting for the fleet's answer to its probe-lease request. */
interface LeaseRequest {
  /** The state the request was made in: an answer finding another state decides nothing. */
  readonly waiting: BreakerState;
  timer: ReturnType<typeof setTimeout> | undefined;
}
/** Breakers waiting for a lease answer: rare and short, so kept off the breaker. */
const leaseRequests = new WeakMap<object, LeaseRequest>();
/**
 * How long a call waits for a store's answer to a lease request before its
 * breaker decides alone: a store that hangs must not keep a circuit from probing.
 */
const LEASE_ANSWER_DEADLINE = 1_000;
/** Breakers whose clock broke after creation, warned about once. */
const warnedClocks = new WeakSet<object>();
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
  private isolation: { handles: number; readonly wasOpen: boolean } | undefined;
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
    this.breakerName = this.options.name;
  }

  /** @internal Sets the options; after construction, only for a breaker not yet called (decorator defaults). */
  configure(options: ResolvedOptions): void {
    if (this.membership !== undefined && options.store !== this.options.store) {
      this.membership.leave();
      this.membership = undefined;
    }
    (this as { options: ResolvedOptions }).options = options;
    this.strategy = new ConsecutiveFailures(options.failureThreshold);
    // A fallback for refusals alone leaves the CLOSED path as it is; only these need a promise of their own.
    this.guarded = options.timeout !== undefined || options.fallbackOnFailure;
    this.resetTimeoutNow = options.resetTimeout;
  }

  private breakerName: string;

  /** The name in events, logs, metrics and refusals (`Class#method` for a decorated method). */
  get name(): string {
    return this.breakerName;
  }

  /** @internal Names a decorated breaker once its class is known (before it joins a fleet). */
  rename(name: string): void {
    this.breakerName = name;
    (this as { options: ResolvedOptions }).options = Object.freeze({ ...this.options, name });
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
      return Promise.reject(new TypeError(`circuit breaker "${this.name}": call() needs a function to call, got ${describe(fn)}`));
    }
    return this.execute(fn as AnyFunction, undefined, args) as Promise<R | F>;
  }

  /** @internal The decorator's entry point: `fn.apply(thisArg, args)` through the breaker. */
  execute(fn: AnyFunction, thisArg: unknown, args: ArrayLike<unknown>): Promise<unknown> {
    if (this.current !== CLOSED) {
      const refusal = this.admit(fn, thisArg, args);
      if (refusal !== undefined) return refusal;
    }
    this.calls++;
    if (this.onRejected === undefined) this.makeReactions();
    if (this.guarded) return this.executeGuarded(fn, thisArg, args);
    let result: unknown;
    try {
      result = fn.apply(thisArg, args as unknown[]);
    } catch (error) {
      return this.thrown(error);
    }
    return this.observe(result);
  }

  /**
   * @internal The decorated method's CLOSED path, entered from the wrapper's
   * own frame so that it can pass `arguments` to `apply` without making an
   * array: true when the call is admitted plainly (then the wrapper calls
   * the method and hands its result to `observe`, or a throw to `thrown`).
   */
  // Stryker disable next-line BlockStatement: false sends the call to execute(), which does the same for a CLOSED breaker, only slower
  enterClosed(): boolean {
    if (this.current !== CLOSED || this.guarded) return false;
    this.calls++;
    if (this.onRejected === undefined) this.makeReactions();
    return true;
  }

  /** @internal What the function returned, observed beside the caller. */
  observe(result: unknown): Promise<unknown> {
    if (result instanceof Promise) {
      // The caller gets `fn`'s own promise; the breaker observes it beside them.
      result.then(this.onFulfilled, this.onRejected);
      return result;
    }
    return this.adopt(result);
  }

  /** @internal A synchronous throw of the function: a failure, re-raised as a rejection. */
  thrown(error: unknown): Promise<unknown> {
    this.onRejected!(error);
    return Promise.reject(error);
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
    return this.thrown(this.notAPromise(result));
  }

  private notAPromise(result: unknown): TypeError {
    return new TypeError(
      `circuit breaker "${this.name}" guards functions that return a promise, but the function returned ${describe(result)}`,
    );
  }

  /**
   * Decides a call that arrives while not CLOSED: undefined admits it, else
   * what to return instead (a refusal, or the call's outcome once the fleet
   * answered its request to probe).
   */
  private admit(fn: AnyFunction, thisArg: unknown, args: ArrayLike<unknown>): Promise<unknown> | undefined {
    const state = this.current;
    switch (state.kind) {
      // Stryker disable next-line StringLiteral: admit() is called only when not CLOSED
      case 'CLOSED':
      case 'DISABLED':
        return undefined;
      case 'OPEN': {
        const now = this.now();
        if (now < state.openedAt) {
          // The wall clock stepped back: wait at most one full wait from now, not the step as well.
          const wait = state.probeAt - state.openedAt;
          this.current = { kind: 'OPEN', openedAt: now, probeAt: Math.min(state.probeAt, now + wait) };
          return this.refuse(this.current.probeAt - now, thisArg, args);
        }
        if (now < state.probeAt) return this.refuse(state.probeAt - now, thisArg, args);
        return this.probeDue(state, fn, thisArg, args);
      }
      case 'HALF_OPEN': {
        // A probe in flight, here or anywhere in the fleet: its outcome comes soon, so retry at once.
        if (state.probe === 'here') return this.refuse(0, thisArg, args);
        if (state.leaseUntil !== Infinity && this.now() >= state.leaseUntil) {
          // The lease ran out: ours unused, or the other member's holder went silent. Ask for it again.
          return this.probeDue(state, fn, thisArg, args);
        }
        if (state.probe === 'elsewhere') return this.refuse(0, thisArg, args);
        // The same period: an earlier probe whose error did not count decided nothing.
        this.current = state.leaseUntil === Infinity ? PROBING : { kind: 'HALF_OPEN', probe: 'here', leaseUntil: state.leaseUntil };
        return undefined;
      }
      case 'ISOLATED':
        return this.refuse(Infinity, thisArg, args);
      // Stryker disable next-line ConditionalExpression: unreachable, the cases cover every kind (assertNever type-checks it)
      default:
        return assertNever(state);
    }
  }

  /**
   * The wait is over: this call probes. With a reachable fleet store, the
   * call first asks it for the fleet's one probe (a lease, held by this call)
   * and goes on as the answer says; other calls here are refused meanwhile.
   */
  private probeDue(waiting: BreakerState, fn: AnyFunction, thisArg: unknown, args: ArrayLike<unknown>): Promise<unknown> | undefined {
    const membership = this.membership;
    if (membership !== undefined && membership.available) {
      if (leaseRequests.has(this)) return this.refuse(0, thisArg, args); // another call here is asking
      return this.askToProbe(membership, waiting, fn, thisArg, args);
    }
    this.transition(PROBING, 'reset-timeout');
    return undefined;
  }

  private refuse(retryAfter: number, thisArg: unknown, args: ArrayLike<unknown>): Promise<unknown> {
    this.refusals++;
    const exception = refusalException(this.name, retryAfter);
    // Stryker disable next-line ConditionalExpression: publish() with no subscriber does nothing, and the event is only built for a listener or a subscriber: the checks save work, never change what anyone receives
    if (this.events !== undefined || channels.refusal.hasSubscribers) {
      const event: RefusalEvent = { breaker: this.name, state: this.state, retryAfter };
      this.events?.refusal.emit(event);
      // Stryker disable next-line ConditionalExpression: publish() with no subscriber does nothing, and the event is only built for a listener or a subscriber: the checks save work, never change what anyone receives
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

  /** The path with a `timeout` or `fallbackOnFailure`: it needs a promise of its own. */
  private executeGuarded(fn: AnyFunction, thisArg: unknown, args: ArrayLike<unknown>): Promise<unknown> {
    const { timeout, fallback, fallbackOnFailure } = this.options;
    const period = this.period;
    let callArgs = args;
    let controller: AbortController | undefined;
    if (timeout !== undefined) {
      controller = new AbortController();
      callArgs = withSignal(args, controller.signal);
    }
    let outcome: Promise<unknown>;
    try {
      const result = fn.apply(thisArg, callArgs as unknown[]);
      if (!isThenable(result)) throw this.notAPromise(result);
      // Adopted, so a thenable whose `then` throws is a rejection here too.
      outcome = Promise.resolve(result);
    } catch (error) {
      outcome = Promise.reject(error);
    }
    /** A counted failure may be answered by the fallback; an error `isFailure` did not count is re-raised. */
    const failed = (error: unknown, counted: boolean): Promise<unknown> => {
      // Stryker disable next-line ConditionalExpression: resolveOptions rejects fallbackOnFailure without a fallback, so fallback is set here
      if (counted && fallbackOnFailure && fallback !== undefined) return this.useFallback(fallback, error, thisArg, args);
      return Promise.reject(error);
    };
    if (controller === undefined) {
      return outcome.then(
        (value) => {
          this.settleFulfilled(period);
          return value;
        },
        (error: unknown) => failed(error, this.settleRejected(period, error, false)),
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
        // The breaker's own timeout always counts: an isFailure written for the dependency's errors must not hide a hang.
        failed(error, this.settleRejected(period, error, true)).then(resolve, reject);
      }, timeout);
      // A pending call must never keep the process alive.
      // Stryker disable next-line ConditionalExpression,LogicalOperator: Node's setTimeout (and sinon's) always returns a Timeout with unref(); the check is for runtimes whose timers are numbers
      if (typeof timer === 'object' && typeof timer.unref === 'function') timer.unref();
      outcome.then(
        (value) => {
          if (settled) return void this.lateOutcomes++;
          // Stryker disable next-line BooleanLiteral: clearTimeout below stops the only other reader (the timer), and a promise calls one handler once
          settled = true;
          clearTimeout(timer);
          this.settleFulfilled(period);
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return void this.lateOutcomes++;
          // Stryker disable next-line BooleanLiteral: clearTimeout below stops the only other reader (the timer), and a promise calls one handler once
          settled = true;
          clearTimeout(timer);
          failed(error, this.settleRejected(period, error, false)).then(resolve, reject);
        },
      );
    });
  }

  /**
   * Makes the current period's promise reactions, on the period's first
   * admitted call (a breaker that is never called never makes them); a
   * transition clears them.
   */
  private makeReactions(): void {
    const period = this.period;
    this.onFulfilled = () => this.settleFulfilled(period);
    this.onRejected = (error: unknown) => void this.settleRejected(period, error, false);
  }

  private settleFulfilled(period: number): void {
    this.successes++;
    if (period === this.period) this.recordSuccess();
    else this.lateOutcomes++;
  }

  /** @returns whether the error counted as a failure (`own`: the breaker's own timeout, which always does). */
  private settleRejected(period: number, error: unknown, own: boolean): boolean {
    if (!own && !this.counts(error)) {
      this.ignored++;
      const state = this.current;
      if (period !== this.period) this.lateOutcomes++;
      else if (state.kind === 'HALF_OPEN' && state.probe === 'here') {
        // The probe decided nothing: the next call probes (under the same lease, if any).
        this.current = state === PROBING ? PROBE_DUE : { kind: 'HALF_OPEN', probe: 'due', leaseUntil: state.leaseUntil };
      }
      return false;
    }
    this.failures++;
    const now = this.now();
    this.lastFailureAt = now;
    if (period === this.period) this.recordFailure(error, now);
    else this.lateOutcomes++;
    return true;
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
        // Stryker disable next-line CallExpression: the count is 0 already (open() reset it; only CLOSED calls count), kept so closing never depends on that
        this.strategy.reset();
        this.transition(CLOSED, 'probe-succeeded');
        this.tellFleet((fleet) => fleet.close('probe'));
        break;
      case 'DISABLED':
      // Stryker disable next-line StringLiteral,ConditionalExpression: an outcome of the current period is never recorded in OPEN or ISOLATED (entering them starts a new period)
      case 'OPEN':
      // Stryker disable next-line StringLiteral,ConditionalExpression: an outcome of the current period is never recorded in OPEN or ISOLATED (entering them starts a new period)
      case 'ISOLATED':
        // No call is admitted in OPEN or ISOLATED; DISABLED records stats only.
        break;
      // Stryker disable next-line ConditionalExpression: unreachable, the cases cover every kind (assertNever type-checks it)
      default:
        // Stryker disable next-line CallExpression: unreachable, the cases cover every kind
        assertNever(state);
    }
    // Stryker disable next-line ConditionalExpression: publish() with no subscriber does nothing, and the event is only built for a listener or a subscriber: the checks save work, never change what anyone receives
    if (this.events !== undefined || channels.success.hasSubscribers) {
      const event: SuccessEvent = { breaker: this.name, state: this.state };
      this.events?.success.emit(event);
      // Stryker disable next-line ConditionalExpression: publish() with no subscriber does nothing, and the event is only built for a listener or a subscriber: the checks save work, never change what anyone receives
      if (channels.success.hasSubscribers) channels.success.publish(event);
    }
  }

  private recordFailure(error: unknown, now: number): void {
    const state = this.current;
    let failures = 0;
    switch (state.kind) {
      case 'CLOSED': {
        const trips = this.strategy.failure(now);
        failures = this.strategy.failures;
        if (trips) this.open(now, 'threshold', failures, error);
        break;
      }
      case 'HALF_OPEN':
        // Backoff: each failed probe lengthens the wait, up to maxResetTimeout.
        this.resetTimeoutNow = Math.min(this.options.maxResetTimeout, this.resetTimeoutNow * this.options.backoffMultiplier);
        this.open(now, 'probe-failed', 0, error);
        break;
      case 'DISABLED':
      // Stryker disable next-line StringLiteral: an outcome of the current period is never recorded in OPEN or ISOLATED (entering them starts a new period)
      case 'OPEN':
      // Stryker disable next-line StringLiteral: an outcome of the current period is never recorded in OPEN or ISOLATED (entering them starts a new period)
      case 'ISOLATED':
        break;
      // Stryker disable next-line ConditionalExpression: unreachable, the cases cover every kind (assertNever type-checks it)
      default:
        // Stryker disable next-line CallExpression: unreachable, the cases cover every kind
        assertNever(state);
    }
    // Stryker disable next-line ConditionalExpression: publish() with no subscriber does nothing, and the event is only built for a listener or a subscriber: the checks save work, never change what anyone receives
    if (this.events !== undefined || channels.failure.hasSubscribers) {
      const event: FailureEvent = { breaker: this.name, state: this.state, error, failures };
      this.events?.failure.emit(event);
      // Stryker disable next-line ConditionalExpression: publish() with no subscriber does nothing, and the event is only built for a listener or a subscriber: the checks save work, never change what anyone receives
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
      membership.open(wait, reason === 'probe-failed' ? 'probe' : 'trip').then(
        (remaining) => {
          if (this.current !== opened || remaining === wait) return;
          if (remaining === Infinity) this.transition(ISOLATED, 'store'); // isolated fleet-wide by hand
          else this.adoptOpen(remaining);
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

  /**
   * Asks the fleet for the probe lease on behalf of one call, which then runs
   * as whatever the answer made of the circuit: the probe (granted), a refusal
   * (another member probes, or the fleet's wait is not over), a CLOSED call.
   * A store that fails or does not answer within LEASE_ANSWER_DEADLINE lets
   * this breaker probe alone. The lease is asked for only by a call about to
   * probe, so no process holds it without probing.
   */
  private askToProbe(
    membership: CircuitStoreMembership,
    waiting: BreakerState,
    fn: AnyFunction,
    thisArg: unknown,
    args: ArrayLike<unknown>,
  ): Promise<unknown> {
    const lease = this.options.timeout === undefined ? 0 : this.options.timeout * 2;
    const request: LeaseRequest = { waiting, timer: undefined };
    leaseRequests.set(this, request);
    return new Promise<unknown>((resolve) => {
      const answered = (decide: () => void): void => {
        if (leaseRequests.get(this) !== request) return; // the deadline came first: decided already
        leaseRequests.delete(this);
        clearTimeout(request.timer);
        if (this.current === waiting) decide(); // else decided meanwhile (a push, an operator): the call follows that
        resolve(this.execute(fn, thisArg, args));
      };
      const alone = (): void => this.transition(PROBE_DUE, 'reset-timeout');
      // A caller awaits this call: like any timer a caller awaits, it keeps the process alive, for at most the deadline.
      request.timer = setTimeout(() => answered(alone), LEASE_ANSWER_DEADLINE);
      membership.acquireProbe(lease).then(
        (answer) => answered(() => this.adoptLeaseAnswer(answer)),
        () => answered(alone),
      );
    });
  }

  private adoptLeaseAnswer(answer: ProbeLease): void {
    if (answer.granted) {
      this.transition({ kind: 'HALF_OPEN', probe: 'due', leaseUntil: this.now() + answer.lease }, 'reset-timeout');
      return;
    }
    const fleet = answer.fleet;
    if (fleet.state === 'OPEN' && fleet.remaining === 0) {
      // Another member holds the lease and probes: refuse until its outcome is pushed, or its lease runs out.
      this.transition({ kind: 'HALF_OPEN', probe: 'elsewhere', leaseUntil: this.now() + Math.max(1, answer.retryIn) }, 'store');
      return;
    }
    this.applyFleet(fleet, 'event');
  }

  /** A fleet state pushed or read from the store. */
  private applyFleet(fleet: FleetState, update: FleetUpdate): void {
    const state = this.current;
    if (state === DISABLED) return; // a disabled breaker passes every call through, whatever the fleet says
    // Our own probe's outcome will tell the fleet; only an operator's isolation overrides it.
    if (state.kind === 'HALF_OPEN' && state.probe === 'here' && fleet.state !== 'ISOLATED') return;
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
          this.tellFleet((membership) => membership.open(remaining, 'trip'));
          return;
        }
        this.isolation = undefined;
        this.strategy.reset();
        this.transition(CLOSED, 'store');
        return;
      case 'OPEN':
        this.adoptOpen(fleet.remaining);
        return;
      case 'ISOLATED':
        // Stryker disable next-line ConditionalExpression: ISOLATED to ISOLATED emits nothing, and no call of the ISOLATED period is in flight
        if (state !== ISOLATED) this.transition(ISOLATED, 'store');
        return;
      // Stryker disable next-line ConditionalExpression: unreachable, the cases cover every fleet state (assertNever type-checks it)
      default:
        // Stryker disable next-line CallExpression: unreachable, the cases cover every fleet state
        assertNever(fleet);
    }
  }

  private adoptOpen(remaining: number): void {
    const now = this.now();
    // An isolation ended fleet-wide (an operator released it elsewhere): its handles here release nothing.
    this.isolation = undefined;
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
    const previous = this.current;
    const from = publicState(previous);
    this.current = next;
    // Closing, however it happens (probe, reset, release, enable), ends the backoff.
    if (next === CLOSED || next === DISABLED) this.resetTimeoutNow = this.options.resetTimeout;
    // A new period: calls admitted from now on get new reactions; earlier ones' outcomes decide nothing.
    this.period++;
    this.onFulfilled = undefined;
    this.onRejected = undefined;
    const to = publicState(next);
    // Observable whenever the state changes, public or not (disable, isolate while OPEN); not when an OPEN wait is re-read.
    if (previous.kind === next.kind) return;
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
        // Stryker disable next-line ConditionalExpression: publish() with no subscriber does nothing, and the event is only built for a listener or a subscriber: the checks save work, never change what anyone receives
        if (channels.open.hasSubscribers) channels.open.publish(event);
        break;
      }
      case 'HALF_OPEN': {
        this.log(logger, 'info', { event: 'circuit_breaker_half_open', message: 'circuit_breaker_half_open', breaker: name, from, to, reason });
        this.emitTransition(change);
        const event: HalfOpenEvent = { breaker: name };
        this.events?.halfOpen.emit(event);
        // Stryker disable next-line ConditionalExpression: publish() with no subscriber does nothing, and the event is only built for a listener or a subscriber: the checks save work, never change what anyone receives
        if (channels.halfOpen.hasSubscribers) channels.halfOpen.publish(event);
        break;
      }
      case 'CLOSED':
      case 'DISABLED': {
        this.log(logger, 'info', { event: 'circuit_breaker_closed', message: 'circuit_breaker_closed', breaker: name, from, to, reason });
        this.emitTransition(change);
        const event: CloseEvent = { breaker: name, reason };
        this.events?.close.emit(event);
        // Stryker disable next-line ConditionalExpression: publish() with no subscriber does nothing, and the event is only built for a listener or a subscriber: the checks save work, never change what anyone receives
        if (channels.close.hasSubscribers) channels.close.publish(event);
        break;
      }
      // Stryker disable next-line ConditionalExpression: unreachable, the cases cover every kind (assertNever type-checks it)
      default:
        // Stryker disable next-line CallExpression: unreachable, the cases cover every kind
        assertNever(next);
    }
  }

  private emitTransition(change: StateChangeEvent): void {
    this.events?.stateChange.emit(change);
    // Stryker disable next-line ConditionalExpression: publish() with no subscriber does nothing, and the event is only built for a listener or a subscriber: the checks save work, never change what anyone receives
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
    if (clock === undefined) return Date.now();
    // The clock is read in promise reactions too: a broken reading must not throw from there (an uncaught rejection).
    let time: unknown;
    try {
      time = clock();
    } catch (error) {
      return this.badClock(error);
    }
    return typeof time === 'number' && Number.isFinite(time) ? time : this.badClock(time);
  }

  /** A clock that passed the check at creation broke later: warn once, and read Date.now() instead. */
  private badClock(reading: unknown): number {
    if (!warnedClocks.has(this)) {
      warnedClocks.add(this);
      const got = reading instanceof Error ? `threw ${reading.message}` : `returned ${describe(reading)}`;
      process.emitWarning(`circuit breaker "${this.name}": clock ${got}; using Date.now() instead`, { code: 'CIRCUIT_BREAKER_CLOCK' });
    }
    return Date.now();
  }

  // ---- manual control -------------------------------------------------------

  /**
   * Forces the circuit OPEN until every handle returned so far is disposed
   * (or `reset()` is called): calls are refused with `retryAfter: Infinity`.
   * @example const handle = breaker.isolate(); // ... incident over: handle.dispose();
   */
  isolate(): Disposable {
    const group = (this.isolation ??= { handles: 0, wasOpen: this.current.kind === 'OPEN' || this.current.kind === 'HALF_OPEN' });
    group.handles++;
    // Stryker disable next-line ConditionalExpression: ISOLATED to ISOLATED emits nothing, and no call of the ISOLATED period is in flight
    if (this.current !== ISOLATED) this.transition(ISOLATED, 'isolated');
    this.tellFleet((membership) => membership.isolate());
    let released = false;
    return {
      dispose: () => {
        if (released || this.isolation !== group) return; // reset() or disable() released it already
        released = true;
        if (--group.handles !== 0) return;
        this.isolation = undefined;
        // Stryker disable next-line ConditionalExpression: every way out of ISOLATED (release, reset, disable, the fleet) drops the group first, so a live group means ISOLATED
        if (this.current !== ISOLATED) return;
        this.strategy.reset();
        if (group.wasOpen) {
          // Failures had opened it: released, it is as after its wait, and the next call probes.
          const now = this.now();
          this.transition({ kind: 'OPEN', openedAt: now, probeAt: now }, 'released');
          this.tellFleet((membership) => membership.open(0, 'operator'));
        } else {
          this.transition(CLOSED, 'released');
          this.tellFleet((membership) => membership.close('operator'));
        }
      },
    };
  }

  /** Closes the circuit now and clears the failure count, isolation and backoff. */
  reset(): void {
    this.isolation = undefined;
    this.strategy.reset();
    this.transition(CLOSED, 'reset');
    this.tellFleet((membership) => membership.close('operator'));
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

/** The call's arguments with the signal after them (the function's last parameter, as cockatiel passes its context). */
function withSignal(args: ArrayLike<unknown>, signal: AbortSignal): unknown[] {
  const copy = Array.prototype.slice.call(args) as unknown[];
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
