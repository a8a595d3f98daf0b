/**
 * A small, pure reference model of the state table and its trip rules, plus
 * the manual controls (isolate/dispose, reset, disable/enable) and
 * `isFailure`, written to be read beside src/breaker/rules.ts and
 * trip-strategy.ts: the same states (`ModelState` is rules.ts's
 * `BreakerState` without the fleet), the same probe vocabulary (HALF_OPEN
 * with probes in flight and probes that succeeded, a place `'due'` or every
 * place taken, `'here'`), and the same decisions under the same names
 * (`publicState`, `openFor`, `arrive`, `onSuccess`, `onCountedFailure`,
 * `onIgnoredError`, `afterRelease`). It is written apart from src/ and
 * imports nothing of it, so that a mistake there is not copied here.
 *
 * | state                      | a call arrives (`arrive`)             | it succeeds (`onSuccess`)      | it fails, counted (`onCountedFailure`) |
 * | -------------------------- | ------------------------------------- | ------------------------------ | -------------------------------------- |
 * | CLOSED                     | invoke                                | the rule counts it (`tripReason`) | the rule counts it; tripped: OPEN   |
 * | OPEN, before probeAt       | refuse, retryAfter = probeAt - now    |                                |                                        |
 * | OPEN, probeAt passed       | HALF_OPEN, this call the first probe  |                                |                                        |
 * | HALF_OPEN, a place free    | invoke it as a probe                  | the `probes`th success: CLOSED | OPEN again, the wait backed off        |
 * | HALF_OPEN, every place taken | refuse, retryAfter 0                |                                |                                        |
 * | ISOLATED (reported OPEN)   | refuse, retryAfter Infinity           |                                |                                        |
 * | DISABLED (reported CLOSED) | invoke                                | stats only                     | stats only                             |
 *
 * The trip rules (DESIGN.md, "Trip rules"; issue 15), kept as plainly as
 * possible: the outcomes counted in the current CLOSED period are a plain
 * array of `{ at, failed, slow }`, and the window is a filter of it:
 * - consecutive (`failureThreshold`): `threshold` counted failures in a row open the circuit;
 * - a count window (`failureRate.window.calls`): the last `calls` outcomes;
 * - a time window (`failureRate.window.duration`, `buckets`): time is cut in buckets of
 *   `duration / buckets` ms, bucket `floor(t / width)`; the window at `now` holds the outcomes
 *   settled in the last `buckets` buckets, `now`'s included;
 * - after each outcome enters, the circuit opens when the window holds >= `minimumCalls`
 *   outcomes and failures / outcomes >= `threshold` ('failure-rate'), else when
 *   slow / outcomes >= `slowCall.threshold` ('slow-calls');
 * - a call is slow when it settled `slowCall.duration` ms or more after it started.
 * Every transition but one into ISOLATED starts the count afresh.
 *
 * What rules.ts has and the model leaves out: the fleet (HALF_OPEN
 * `elsewhere`, `leaseUntil`); OPEN's `openedAt`, which rules.ts keeps for a
 * clock that steps back (the harness's clock only moves forward).
 *
 * It knows nothing of promises: the harness tells it, in order, that a call
 * arrived, that an admitted call settled, that time passed. Every transition
 * starts a new "state period": the outcome of a call admitted in an earlier
 * period is returned to its caller but decides nothing, and is counted in
 * `lateOutcomes`.
 */

/** The states of rules.ts's `BreakerState`, without the fleet. */
export type ModelState =
  | { readonly kind: 'CLOSED' }
  | {
      readonly kind: 'OPEN';
      /** Clock time from which the next call is let through as the (first) probe. */
      readonly probeAt: number;
    }
  | {
      readonly kind: 'HALF_OPEN';
      /** Probes in flight, and probes that succeeded (of `probes` places). */
      readonly inFlight: number;
      readonly succeeded: number;
    }
  /** Forced open by hand (`isolate()`) until released. */
  | { readonly kind: 'ISOLATED' }
  /** Passing every call through (`disable()`) until `enable()`. */
  | { readonly kind: 'DISABLED' };

const CLOSED: ModelState = { kind: 'CLOSED' };
const ISOLATED: ModelState = { kind: 'ISOLATED' };
const DISABLED: ModelState = { kind: 'DISABLED' };

/** HALF_OPEN with `inFlight` probes running and `succeeded` done. */
function halfOpen(inFlight: number, succeeded: number): ModelState {
  return { kind: 'HALF_OPEN', inFlight, succeeded };
}

/** The public name of a state: the three states of the state table. */
export function publicState(state: ModelState): 'CLOSED' | 'OPEN' | 'HALF_OPEN' {
  if (state.kind === 'DISABLED') return 'CLOSED';
  if (state.kind === 'ISOLATED') return 'OPEN';
  return state.kind;
}

/** OPEN for `wait` ms from `now`. */
export function openFor(now: number, wait: number): ModelState {
  return { kind: 'OPEN', probeAt: now + wait };
}

/** What a call arriving gets, as rules.ts's `Arrival`. */
export type ModelArrival =
  /** Invoke it, the state becoming `next` (no transition: the same period). */
  | { readonly kind: 'invoke'; readonly next: ModelState }
  /** Refuse it: the caller may retry after `retryAfter` ms. */
  | { readonly kind: 'refuse'; readonly retryAfter: number }
  /** The wait is over: HALF_OPEN (a transition), this call the first probe. */
  | { readonly kind: 'probe-due' };

/** What a call arriving at `now` gets in `state`, with `probes` probe places. */
export function arrive(state: ModelState, now: number, probes: number): ModelArrival {
  switch (state.kind) {
    case 'CLOSED':
    case 'DISABLED':
      return { kind: 'invoke', next: state };
    case 'ISOLATED':
      return { kind: 'refuse', retryAfter: Infinity };
    case 'OPEN':
      if (now < state.probeAt) return { kind: 'refuse', retryAfter: state.probeAt - now };
      return { kind: 'probe-due' };
    case 'HALF_OPEN':
      // The first `probes` calls probe: a place is taken by a probe running or one that succeeded.
      if (state.inFlight + state.succeeded >= probes) return { kind: 'refuse', retryAfter: 0 };
      return { kind: 'invoke', next: halfOpen(state.inFlight + 1, state.succeeded) };
  }
}

/** What a counted success of a call admitted in the current period does: count it, close, nothing, or the probe state it leaves. */
export function onSuccess(state: ModelState, probes: number): 'count' | 'close' | 'nothing' | ModelState {
  if (state.kind === 'CLOSED') return 'count';
  if (state.kind !== 'HALF_OPEN') return 'nothing';
  if (state.succeeded + 1 === probes) return 'close';
  return halfOpen(state.inFlight - 1, state.succeeded + 1);
}

/** What a counted failure of a call admitted in the current period does. */
export function onCountedFailure(state: ModelState): 'count' | 'reopen' | 'nothing' {
  if (state.kind === 'CLOSED') return 'count';
  return state.kind === 'HALF_OPEN' ? 'reopen' : 'nothing';
}

/** An error `isFailure` did not count: a probe that ends so decided nothing and frees its place. */
export function onIgnoredError(state: ModelState): ModelState {
  return state.kind === 'HALF_OPEN' ? halfOpen(state.inFlight - 1, state.succeeded) : state;
}

/** Where releasing the last isolation leads: CLOSED, or, when failures had opened the circuit, OPEN with the probe due at once. */
export function afterRelease(wasOpen: boolean, now: number): ModelState {
  return wasOpen ? openFor(now, 0) : CLOSED;
}

// ---- the trip rules --------------------------------------------------------

/** The options the model reads, as a user writes them (the breaker's `CircuitBreakerOptions`, in part). */
export interface ModelOptions {
  readonly failureThreshold?: number;
  readonly failureRate?: {
    readonly threshold: number;
    readonly minimumCalls?: number;
    readonly window: { readonly calls: number } | { readonly duration: number; readonly buckets?: number };
  };
  readonly slowCall?: { readonly duration: number; readonly threshold: number };
  readonly halfOpen?: { readonly probes?: number };
  readonly resetTimeout?: number;
  readonly maxResetTimeout?: number;
  readonly backoffMultiplier?: number;
}

/** A trip rule, its defaults in place. */
export type ModelRule =
  | { readonly kind: 'consecutive'; readonly threshold: number }
  | {
      readonly kind: 'count' | 'time';
      readonly threshold: number;
      readonly minimumCalls: number;
      /** count: the last `calls` outcomes. */
      readonly calls: number;
      /** time: `buckets` buckets of `duration / buckets` ms. */
      readonly duration: number;
      readonly buckets: number;
      readonly slowCall: { readonly duration: number; readonly threshold: number } | undefined;
    };

/** The documented defaults: 3 consecutive failures; minimumCalls 10 (at most a count window's calls); 10 buckets. */
export function ruleOf(options: ModelOptions): ModelRule {
  const rate = options.failureRate;
  if (rate === undefined) return { kind: 'consecutive', threshold: options.failureThreshold ?? 3 };
  const window = rate.window;
  const slowCall = options.slowCall;
  if ('calls' in window) {
    return { kind: 'count', threshold: rate.threshold, minimumCalls: rate.minimumCalls ?? Math.min(10, window.calls), calls: window.calls, duration: NaN, buckets: NaN, slowCall };
  }
  return { kind: 'time', threshold: rate.threshold, minimumCalls: rate.minimumCalls ?? 10, calls: NaN, duration: window.duration, buckets: window.buckets ?? 10, slowCall };
}

/** An outcome counted in the current CLOSED period. */
export interface Counted {
  /** Clock time it settled. */
  readonly at: number;
  readonly failed: boolean;
  readonly slow: boolean;
}

/** The outcomes of `counted` (oldest first) that a rate rule's window holds at `now`. */
export function inWindow(rule: Extract<ModelRule, { kind: 'count' | 'time' }>, counted: readonly Counted[], now: number): readonly Counted[] {
  if (rule.kind === 'count') return counted.slice(Math.max(0, counted.length - rule.calls));
  const width = rule.duration / rule.buckets;
  const bucket = (time: number) => Math.floor(time / width);
  return counted.filter((outcome) => bucket(now) - bucket(outcome.at) < rule.buckets);
}

export interface WindowView {
  readonly calls: number;
  readonly failures: number;
  readonly slow: number;
}

export function viewOf(window: readonly Counted[]): WindowView {
  return {
    calls: window.length,
    failures: window.filter((outcome) => outcome.failed).length,
    slow: window.filter((outcome) => outcome.slow).length,
  };
}

export type TripReason = 'threshold' | 'failure-rate' | 'slow-calls';

/** Whether a rate rule trips on the window it now holds (checked as each outcome enters). */
export function tripReason(rule: Extract<ModelRule, { kind: 'count' | 'time' }>, window: WindowView): TripReason | undefined {
  if (window.calls < rule.minimumCalls) return undefined;
  if (window.failures / window.calls >= rule.threshold) return 'failure-rate';
  if (rule.slowCall !== undefined && window.slow / window.calls >= rule.slowCall.threshold) return 'slow-calls';
  return undefined;
}

// ---- the model ---------------------------------------------------------------

/** What the model says about an arriving call. */
export type Admission =
  | { readonly admitted: true; readonly period: number; readonly startedAt: number }
  | { readonly admitted: false; readonly retryAfter: number };

/** How an admitted call ended, as the breaker should see it. */
export type Outcome = 'success' | 'failure' | 'ignored';

export interface ModelStats {
  state: 'CLOSED' | 'OPEN' | 'HALF_OPEN';
  isolated: boolean;
  disabled: boolean;
  consecutiveFailures: number;
  calls: number;
  successes: number;
  failures: number;
  ignored: number;
  refusals: number;
  lateOutcomes: number;
  opened: number;
  lastFailureAt: number | null;
  nextProbeAt: number | null;
  resetTimeout: number;
  window: WindowView | null;
  failureRate: number | null;
  slowCallRate: number | null;
}

/** An open event, as the breaker's `onOpen` listeners get it. */
export interface ModelOpening {
  readonly reason: string;
  readonly failures: number;
  readonly resetTimeout: number;
  readonly probeAt: number;
}

export interface IsolationHandle {
  readonly epoch: number;
  released: boolean;
}

/** The decisions above carried out, with the counts, the periods and the isolation handles a breaker keeps. */
export class BreakerModel {
  state: ModelState = CLOSED;
  period = 0;
  readonly rule: ModelRule;
  readonly probes: number;
  readonly resetTimeout: number;
  readonly maxResetTimeout: number;
  readonly backoffMultiplier: number;
  /** Consecutive counted failures in the current CLOSED period (every rule). */
  private consecutive = 0;
  /** The counted outcomes of the current CLOSED period, oldest first (rate rules). */
  private counted: Counted[] = [];
  /** The wait of the next trip: resetTimeout, backed off by failed probes until the circuit closes. */
  private wait: number;
  private isolations = 0;
  private isolationEpoch = 0;
  /** Whether failures had opened the circuit when the first live isolation began. */
  private isolatedWhileOpen = false;
  /** Every open event, in order. */
  readonly openings: ModelOpening[] = [];
  /** Every state change announced, as `from>to:reason`. */
  readonly changes: string[] = [];
  readonly stats = {
    calls: 0,
    successes: 0,
    failures: 0,
    ignored: 0,
    refusals: 0,
    lateOutcomes: 0,
    opened: 0,
    lastFailureAt: null as number | null,
  };

  constructor(options: ModelOptions) {
    this.rule = ruleOf(options);
    this.probes = options.halfOpen?.probes ?? 1;
    this.resetTimeout = options.resetTimeout ?? 60_000;
    this.maxResetTimeout = options.maxResetTimeout ?? this.resetTimeout;
    this.backoffMultiplier = options.backoffMultiplier ?? 2;
    this.wait = this.resetTimeout;
  }

  /** Whether a call notes when it started (its outcome may be slow). */
  get timesCalls(): boolean {
    return this.rule.kind !== 'consecutive' && this.rule.slowCall !== undefined;
  }

  /**
   * A transition: the state changes and a new period starts, counting afresh (but an isolation keeps what
   * it interrupted on show); closing ends the backoff. A change of kind is announced.
   */
  private enter(state: ModelState, reason: string, failures = 0): void {
    const previous = this.state;
    this.state = state;
    this.period++;
    if (state.kind !== 'ISOLATED') {
      this.consecutive = 0;
      this.counted = [];
    }
    if (state.kind === 'CLOSED' || state.kind === 'DISABLED') this.wait = this.resetTimeout;
    if (previous.kind === state.kind) return;
    this.changes.push(`${publicState(previous)}>${publicState(state)}:${reason}`);
    if (state.kind === 'OPEN') this.openings.push({ reason, failures, resetTimeout: this.wait, probeAt: state.probeAt });
    if (state.kind === 'ISOLATED') this.openings.push({ reason, failures, resetTimeout: Infinity, probeAt: Infinity });
  }

  private trip(now: number, reason: string, failures: number): void {
    this.stats.opened++;
    this.enter(openFor(now, this.wait), reason, failures);
  }

  arrive(now: number): Admission {
    const arrival = arrive(this.state, now, this.probes);
    switch (arrival.kind) {
      case 'refuse':
        this.stats.refusals++;
        return { admitted: false, retryAfter: arrival.retryAfter };
      case 'probe-due':
        this.enter(halfOpen(1, 0), 'reset-timeout');
        break;
      case 'invoke':
        this.state = arrival.next;
        break;
    }
    this.stats.calls++;
    return { admitted: true, period: this.period, startedAt: now };
  }

  /** An admitted call (of `period`, started at `startedAt`) settled at `now`. */
  settle(period: number, outcome: Outcome, now: number, startedAt: number): void {
    const late = period !== this.period;
    if (outcome === 'ignored') {
      this.stats.ignored++;
      if (late) this.stats.lateOutcomes++;
      else this.state = onIgnoredError(this.state);
      return;
    }
    if (outcome === 'success') this.stats.successes++;
    else {
      this.stats.failures++;
      this.stats.lastFailureAt = now;
    }
    if (late) {
      this.stats.lateOutcomes++;
      return;
    }
    const failed = outcome === 'failure';
    const decision = failed ? onCountedFailure(this.state) : onSuccess(this.state, this.probes);
    if (decision === 'count') this.count(failed, now, startedAt);
    else if (decision === 'reopen') {
      this.wait = Math.min(this.maxResetTimeout, this.wait * this.backoffMultiplier);
      this.trip(now, 'probe-failed', 0);
    } else if (decision === 'close') this.enter(CLOSED, 'probe-succeeded');
    else if (decision !== 'nothing') this.state = decision;
  }

  /** A counted outcome while CLOSED: the rule counts it, and may trip. */
  private count(failed: boolean, now: number, startedAt: number): void {
    this.consecutive = failed ? this.consecutive + 1 : 0;
    const rule = this.rule;
    if (rule.kind === 'consecutive') {
      if (this.consecutive >= rule.threshold) this.trip(now, 'threshold', this.consecutive);
      return;
    }
    const slow = rule.slowCall !== undefined && now - startedAt >= rule.slowCall.duration;
    this.counted.push({ at: now, failed, slow });
    const window = viewOf(inWindow(rule, this.counted, now));
    const reason = tripReason(rule, window);
    if (reason !== undefined) this.trip(now, reason, window.failures);
  }

  isolate(): IsolationHandle {
    if (this.isolations++ === 0) this.isolatedWhileOpen = this.state.kind === 'OPEN' || this.state.kind === 'HALF_OPEN';
    if (this.state.kind !== 'ISOLATED') this.enter(ISOLATED, 'isolated');
    return { epoch: this.isolationEpoch, released: false };
  }

  /** Released: where `afterRelease` says. */
  dispose(handle: IsolationHandle, now: number): void {
    if (handle.released || handle.epoch !== this.isolationEpoch) return;
    handle.released = true;
    if (--this.isolations === 0 && this.state.kind === 'ISOLATED') this.enter(afterRelease(this.isolatedWhileOpen, now), 'released');
  }

  reset(): void {
    this.isolations = 0;
    this.isolationEpoch++;
    this.enter(CLOSED, 'reset');
  }

  disable(): void {
    if (this.state.kind === 'DISABLED') return;
    this.isolations = 0;
    this.isolationEpoch++;
    this.enter(DISABLED, 'disabled');
  }

  enable(): void {
    if (this.state.kind !== 'DISABLED') return;
    this.enter(CLOSED, 'enabled');
  }

  snapshot(now: number): ModelStats {
    const { state, rule } = this;
    let window: WindowView | null = null;
    let failureRate: number | null = null;
    let slowCallRate: number | null = null;
    if (rule.kind !== 'consecutive') {
      window = viewOf(inWindow(rule, this.counted, now));
      if (window.calls >= rule.minimumCalls) {
        failureRate = window.failures / window.calls;
        if (rule.slowCall !== undefined) slowCallRate = window.slow / window.calls;
      }
    }
    return {
      state: publicState(state),
      isolated: state.kind === 'ISOLATED',
      disabled: state.kind === 'DISABLED',
      consecutiveFailures: this.consecutive,
      ...this.stats,
      nextProbeAt: state.kind === 'OPEN' ? state.probeAt : null,
      resetTimeout: this.wait,
      window,
      failureRate,
      slowCallRate,
    };
  }
}
