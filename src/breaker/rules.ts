import type { CircuitState } from '../events/types';

/**
 * The state table, as data and pure functions: the breaker's states (each
 * carries only its own data) and what a call arriving, a success, a counted
 * failure and an ignored error do in each. `now` is passed in: nothing here
 * reads a clock, makes a promise or talks to a store; breaker.ts carries the
 * decisions out.
 *
 * | state                       | a call arrives                        | it succeeds      | it fails (counted)            |
 * | --------------------------- | ------------------------------------- | ---------------- | ----------------------------- |
 * | CLOSED                      | invoke                                | the trip rule counts it | the trip rule counts it; tripped: OPEN |
 * | OPEN, before probeAt        | refuse, retryAfter = probeAt - now    |                  |                               |
 * | OPEN, probeAt passed        | the probe is due (with a store: the fleet's lease first) |  |                        |
 * | HALF_OPEN, probe due        | invoke it as the probe                |                  |                               |
 * | HALF_OPEN, probe in flight  | refuse, retryAfter 0                  | CLOSED           | OPEN, for the backed-off wait |
 * | ISOLATED (reported OPEN)    | refuse, retryAfter Infinity           |                  |                               |
 * | DISABLED (reported CLOSED)  | invoke                                | stats only       | stats only                    |
 */
export type BreakerState =
  | { readonly kind: 'CLOSED' }
  | {
      readonly kind: 'OPEN';
      /** Clock time the circuit opened. */
      readonly openedAt: number;
      /** Clock time from which the next call is let through as the probe. */
      readonly probeAt: number;
    }
  | {
      readonly kind: 'HALF_OPEN';
      /**
       * `'due'`: the next call probes (after this process was granted the
       * fleet's lease, or after a probe whose error `isFailure` did not count).
       * `'here'`: this process's probe is in flight. `'elsewhere'`: another
       * member of the fleet holds the lease and probes; its outcome is pushed.
       */
      readonly probe: 'due' | 'here' | 'elsewhere';
      /** Clock time the fleet's probe lease ends (`Infinity` without a store). */
      readonly leaseUntil: number;
    }
  /** Forced open by hand (`isolate()`) until released. */
  | { readonly kind: 'ISOLATED' }
  /** Passing every call through (`disable()`) until `enable()`. */
  | { readonly kind: 'DISABLED' };

export const CLOSED: BreakerState = Object.freeze({ kind: 'CLOSED' });
export const ISOLATED: BreakerState = Object.freeze({ kind: 'ISOLATED' });
export const DISABLED: BreakerState = Object.freeze({ kind: 'DISABLED' });
/** A probe in flight, decided by this process alone. */
export const PROBING: BreakerState = Object.freeze({ kind: 'HALF_OPEN', probe: 'here', leaseUntil: Infinity });
/** The next call probes (this process alone). */
export const PROBE_DUE: BreakerState = Object.freeze({ kind: 'HALF_OPEN', probe: 'due', leaseUntil: Infinity });

/** The public name of a state: the three states of the state table. */
export function publicState(state: BreakerState): CircuitState {
  const kind = state.kind;
  if (kind === 'DISABLED') return 'CLOSED';
  if (kind === 'ISOLATED') return 'OPEN';
  return kind;
}

/** OPEN for `wait` ms from `now`. */
export function openFor(now: number, wait: number): BreakerState {
  return { kind: 'OPEN', openedAt: now, probeAt: now + wait };
}

/** What a call arriving while not CLOSED gets. */
export type Arrival =
  /** Invoke it, holding `next` while it runs (HALF_OPEN with the probe here, for a probe). */
  | { readonly kind: 'invoke'; readonly next: BreakerState }
  /** Refuse it: the caller may retry after `retryAfter` ms. The state becomes `next`. */
  | { readonly kind: 'refuse'; readonly retryAfter: number; readonly next: BreakerState }
  /** The wait is over, or a probe lease ran out: the probe is due (with a store, ask the fleet). */
  | { readonly kind: 'probe-due' };

const PROBE_IS_DUE: Arrival = Object.freeze({ kind: 'probe-due' });

/** What a call arriving at `now` gets in `state`. */
export function arrive(state: BreakerState, now: number): Arrival {
  switch (state.kind) {
    case 'CLOSED':
    case 'DISABLED':
      return { kind: 'invoke', next: state };
    case 'ISOLATED':
      return { kind: 'refuse', retryAfter: Infinity, next: state };
    case 'OPEN': {
      if (now < state.openedAt) {
        // The wall clock stepped back: wait at most one full wait from now, not the step as well.
        const rebased: BreakerState = { kind: 'OPEN', openedAt: now, probeAt: Math.min(state.probeAt, now + state.probeAt - state.openedAt) };
        return { kind: 'refuse', retryAfter: rebased.probeAt - now, next: rebased };
      }
      if (now < state.probeAt) return { kind: 'refuse', retryAfter: state.probeAt - now, next: state };
      return PROBE_IS_DUE;
    }
    case 'HALF_OPEN': {
      // A probe in flight, here or anywhere in the fleet: its outcome comes soon, so retry at once.
      if (state.probe === 'here') return { kind: 'refuse', retryAfter: 0, next: state };
      // The lease ran out: ours unused, or another member's holder went silent. Ask for it again.
      if (now >= state.leaseUntil) return PROBE_IS_DUE;
      if (state.probe === 'elsewhere') return { kind: 'refuse', retryAfter: 0, next: state };
      // Due: an earlier probe's error did not count, or the lease was just granted. This call probes.
      return { kind: 'invoke', next: state.leaseUntil === Infinity ? PROBING : { kind: 'HALF_OPEN', probe: 'here', leaseUntil: state.leaseUntil } };
    }
  }
}

/**
 * What a counted success of a call admitted in the current period does:
 * CLOSED counts it, a probe closes the circuit, DISABLED keeps stats only.
 * (No call is admitted in OPEN or ISOLATED, and entering a state starts a period.)
 */
export function onSuccess(state: BreakerState): 'count' | 'close' | 'nothing' {
  if (state.kind === 'CLOSED') return 'count';
  return state.kind === 'HALF_OPEN' ? 'close' : 'nothing';
}

/** What a counted failure of a call admitted in the current period does: CLOSED counts it, a probe re-opens the circuit. */
export function onCountedFailure(state: BreakerState): 'count' | 'reopen' | 'nothing' {
  if (state.kind === 'CLOSED') return 'count';
  return state.kind === 'HALF_OPEN' ? 'reopen' : 'nothing';
}

/** An error `isFailure` did not count: a probe that ends so decided nothing, and the next call probes (under the same lease). */
export function onIgnoredError(state: BreakerState): BreakerState {
  if (state.kind !== 'HALF_OPEN' || state.probe !== 'here') return state;
  return state.leaseUntil === Infinity ? PROBE_DUE : { kind: 'HALF_OPEN', probe: 'due', leaseUntil: state.leaseUntil };
}

/** The wait after a failed probe: the last wait times `multiplier`, at most `max`. */
export function backedOff(wait: number, multiplier: number, max: number): number {
  return Math.min(max, wait * multiplier);
}

/**
 * Where releasing the last `isolate()` handle leads: back to CLOSED, or, when
 * failures had opened the circuit, to OPEN with the probe due at once.
 */
export function afterRelease(wasOpen: boolean, now: number): BreakerState {
  return wasOpen ? openFor(now, 0) : CLOSED;
}
