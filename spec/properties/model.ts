/**
 * A small, pure reference model of the state table, plus the manual controls
 * (isolate/dispose, reset, disable/enable) and `isFailure`, written to be read
 * beside src/breaker/rules.ts: the same states (`ModelState` is rules.ts's
 * `BreakerState` without the fleet), the same probe vocabulary (HALF_OPEN with
 * the probe `'due'` or `'here'`), and the same decisions under the same names
 * (`publicState`, `openFor`, `arrive`, `onSuccess`, `onCountedFailure`,
 * `onIgnoredError`, `afterRelease`). It is written apart from rules.ts and
 * imports nothing of it, so that a mistake there is not copied here.
 *
 * | state                      | a call arrives (`arrive`)             | it succeeds (`onSuccess`) | it fails, counted (`onCountedFailure`) |
 * | -------------------------- | ------------------------------------- | ------------------------- | -------------------------------------- |
 * | CLOSED                     | invoke                                | count := 0                | count += 1; count >= threshold: OPEN   |
 * | OPEN, before probeAt       | refuse, retryAfter = probeAt - now    |                           |                                        |
 * | OPEN, probeAt passed       | the probe is due: HALF_OPEN `here`, invoke it |                   |                                        |
 * | HALF_OPEN, probe `due`     | invoke it as the probe (HALF_OPEN `here`) |                       |                                        |
 * | HALF_OPEN, probe `here`    | refuse, retryAfter 0                  | CLOSED, count := 0        | OPEN again, fresh resetTimeout         |
 * | ISOLATED (reported OPEN)   | refuse, retryAfter Infinity           |                           |                                        |
 * | DISABLED (reported CLOSED) | invoke                                | stats only                | stats only                             |
 *
 * What rules.ts has and the model leaves out: the fleet (HALF_OPEN `elsewhere`,
 * `leaseUntil`); OPEN's `openedAt`, which rules.ts keeps for a clock that steps
 * back (the harness's clock only moves forward); `backedOff` (the model's
 * breakers have no maxResetTimeout, so every wait is resetTimeout).
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
      /** Clock time from which the next call is let through as the probe. */
      readonly probeAt: number;
    }
  | {
      readonly kind: 'HALF_OPEN';
      /** `'due'`: the next call probes (after a probe whose error `isFailure` did not count). `'here'`: a probe is in flight. */
      readonly probe: 'due' | 'here';
    }
  /** Forced open by hand (`isolate()`) until released. */
  | { readonly kind: 'ISOLATED' }
  /** Passing every call through (`disable()`) until `enable()`. */
  | { readonly kind: 'DISABLED' };

const CLOSED: ModelState = { kind: 'CLOSED' };
const ISOLATED: ModelState = { kind: 'ISOLATED' };
const DISABLED: ModelState = { kind: 'DISABLED' };
/** A probe in flight. */
const PROBING: ModelState = { kind: 'HALF_OPEN', probe: 'here' };
/** The next call probes. */
const PROBE_DUE: ModelState = { kind: 'HALF_OPEN', probe: 'due' };

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
  /** The wait is over: the probe is due (without a store, HALF_OPEN `here`, a transition, and invoke it). */
  | { readonly kind: 'probe-due' };

/** What a call arriving at `now` gets in `state`. */
export function arrive(state: ModelState, now: number): ModelArrival {
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
      if (state.probe === 'here') return { kind: 'refuse', retryAfter: 0 };
      // Due: a probe whose error did not count decided nothing; this call probes, in the same period.
      return { kind: 'invoke', next: PROBING };
  }
}

/** What a counted success of a call admitted in the current period does. */
export function onSuccess(state: ModelState): 'count' | 'close' | 'nothing' {
  if (state.kind === 'CLOSED') return 'count';
  return state.kind === 'HALF_OPEN' ? 'close' : 'nothing';
}

/** What a counted failure of a call admitted in the current period does. */
export function onCountedFailure(state: ModelState): 'count' | 'reopen' | 'nothing' {
  if (state.kind === 'CLOSED') return 'count';
  return state.kind === 'HALF_OPEN' ? 'reopen' : 'nothing';
}

/** An error `isFailure` did not count: a probe that ends so decided nothing, and the next call probes. */
export function onIgnoredError(state: ModelState): ModelState {
  return state.kind === 'HALF_OPEN' && state.probe === 'here' ? PROBE_DUE : state;
}

/** Where releasing the last isolation leads: CLOSED, or, when failures had opened the circuit, OPEN with the probe due at once. */
export function afterRelease(wasOpen: boolean, now: number): ModelState {
  return wasOpen ? openFor(now, 0) : CLOSED;
}

/** What the model says about an arriving call. */
export type Admission =
  | { readonly admitted: true; readonly period: number }
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
}

export interface IsolationHandle {
  readonly epoch: number;
  released: boolean;
}

/** The decisions above carried out, with the counts, the periods and the isolation handles a breaker keeps. */
export class BreakerModel {
  state: ModelState = CLOSED;
  count = 0;
  period = 0;
  private isolations = 0;
  private isolationEpoch = 0;
  /** Whether failures had opened the circuit when the first live isolation began. */
  private isolatedWhileOpen = false;
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

  constructor(
    readonly threshold: number,
    readonly resetTimeout: number,
  ) {}

  /** A transition: the state changes and a new period starts. */
  private enter(state: ModelState): void {
    this.state = state;
    this.period++;
  }

  private trip(now: number): void {
    this.stats.opened++;
    this.count = 0;
    this.enter(openFor(now, this.resetTimeout));
  }

  arrive(now: number): Admission {
    const arrival = arrive(this.state, now);
    switch (arrival.kind) {
      case 'refuse':
        return this.refuse(arrival.retryAfter);
      case 'probe-due':
        this.enter(PROBING);
        return this.admit();
      case 'invoke':
        this.state = arrival.next;
        return this.admit();
    }
  }

  private admit(): Admission {
    this.stats.calls++;
    return { admitted: true, period: this.period };
  }

  private refuse(retryAfter: number): Admission {
    this.stats.refusals++;
    return { admitted: false, retryAfter };
  }

  settle(period: number, outcome: Outcome, now: number): void {
    const late = period !== this.period;
    switch (outcome) {
      case 'success':
        this.stats.successes++;
        if (late) this.stats.lateOutcomes++;
        else {
          const decision = onSuccess(this.state);
          if (decision === 'count') this.count = 0;
          else if (decision === 'close') {
            this.count = 0;
            this.enter(CLOSED);
          }
        }
        return;
      case 'ignored':
        this.stats.ignored++;
        if (late) this.stats.lateOutcomes++;
        else this.state = onIgnoredError(this.state);
        return;
      case 'failure':
        this.stats.failures++;
        this.stats.lastFailureAt = now;
        if (late) this.stats.lateOutcomes++;
        else {
          const decision = onCountedFailure(this.state);
          if (decision === 'count') {
            if (++this.count >= this.threshold) this.trip(now);
          } else if (decision === 'reopen') this.trip(now);
        }
        return;
    }
  }

  isolate(): IsolationHandle {
    if (this.isolations++ === 0) this.isolatedWhileOpen = this.state.kind === 'OPEN' || this.state.kind === 'HALF_OPEN';
    if (this.state.kind !== 'ISOLATED') this.enter(ISOLATED);
    return { epoch: this.isolationEpoch, released: false };
  }

  /** Released: where `afterRelease` says. */
  dispose(handle: IsolationHandle, now: number): void {
    if (handle.released || handle.epoch !== this.isolationEpoch) return;
    handle.released = true;
    if (--this.isolations === 0 && this.state.kind === 'ISOLATED') {
      this.count = 0;
      this.enter(afterRelease(this.isolatedWhileOpen, now));
    }
  }

  reset(): void {
    this.isolations = 0;
    this.isolationEpoch++;
    this.count = 0;
    this.enter(CLOSED);
  }

  disable(): void {
    if (this.state.kind === 'DISABLED') return;
    this.isolations = 0;
    this.isolationEpoch++;
    this.count = 0;
    this.enter(DISABLED);
  }

  enable(): void {
    if (this.state.kind !== 'DISABLED') return;
    this.enter(CLOSED);
  }

  snapshot(): ModelStats {
    const state = this.state;
    return {
      state: publicState(state),
      isolated: state.kind === 'ISOLATED',
      disabled: state.kind === 'DISABLED',
      consecutiveFailures: this.count,
      ...this.stats,
      nextProbeAt: state.kind === 'OPEN' ? state.probeAt : null,
    };
  }
}
