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
 * | HALF_OPEN, a probe place free | invoke it as a probe                |                  |                               |
 * | HALF_OPEN, every place taken | refuse, retryAfter 0                 | the last of `probes`: CLOSED | OPEN, for the backed-off wait |
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
      /** Tripped here below the fleet's `quorum`: OPEN in this member only, which probes alone after its wait. */
      readonly alone: boolean;
    }
  | {
      readonly kind: 'HALF_OPEN';
      /**
       * `'due'`: a probe place is free: the next call probes (when the wait
       * ended, after this process was granted the fleet's lease, or after a
       * probe whose error `isFailure` did not count). `'here'`: every place
       * (`halfOpen.probes`) is taken by this process's probes. `'elsewhere'`:
       * another member of the fleet holds the lease and probes; its outcome is pushed.
       */
      readonly probe: 'due' | 'here' | 'elsewhere';
      /** Clock time the fleet's probe lease ends (`Infinity` without a store). */
      readonly leaseUntil: number;
      /** This process's probes in flight, and those that succeeded. */
      readonly inFlight: number;
      readonly succeeded: number;
    }
  /** Forced open by hand (`isolate()`) until released. */
  | { readonly kind: 'ISOLATED' }
  /** Passing every call through (`disable()`) until `enable()`. */
  | { readonly kind: 'DISABLED' };

export const CLOSED: BreakerState = Object.freeze({ kind: 'CLOSED' });
export const ISOLATED: BreakerState = Object.freeze({ kind: 'ISOLATED' });
export const DISABLED: BreakerState = Object.freeze({ kind: 'DISABLED' });
/** A probe in flight, decided by this process alone. */
export const PROBING: BreakerState = Object.freeze({ kind: 'HALF_OPEN', probe: 'here', leaseUntil: Infinity, inFlight: 1, succeeded: 0 });
/** The next call probes (this process alone). */
export const PROBE_DUE: BreakerState = Object.freeze({ kind: 'HALF_OPEN', probe: 'due', leaseUntil: Infinity, inFlight: 0, succeeded: 0 });

/** HALF_OPEN with the probe due, under a lease until `leaseUntil` (Infinity: alone). */
export function probeDueUntil(leaseUntil: number): BreakerState {
  return leaseUntil === Infinity ? PROBE_DUE : { kind: 'HALF_OPEN', probe: 'due', leaseUntil, inFlight: 0, succeeded: 0 };
}

/** HALF_OPEN while another member probes, until its lease ends. */
export function probingElsewhere(leaseUntil: number): BreakerState {
  return { kind: 'HALF_OPEN', probe: 'elsewhere', leaseUntil, inFlight: 0, succeeded: 0 };
}

/** HALF_OPEN with `inFlight` probes here and `succeeded` done, of `probes` places (the first probe: 1, 0). */
export function probing(leaseUntil: number, inFlight: number, succeeded: number, probes: number): BreakerState {
  if (probes === 1 && leaseUntil === Infinity) return inFlight === 1 ? PROBING : PROBE_DUE;
  return { kind: 'HALF_OPEN', probe: inFlight + succeeded < probes ? 'due' : 'here', leaseUntil, inFlight, succeeded };
}

/** The public name of a state: the three states of the state table. */
export function publicState(state: BreakerState): CircuitState {
  const kind = state.kind;
  if (kind === 'DISABLED') return 'CLOSED';
  if (kind === 'ISOLATED') return 'OPEN';
  return kind;
}

/** OPEN for `wait` ms from `now` (`alone`: in this member only, below the fleet's quorum). */
export function openFor(now: number, wait: number, alone = false): BreakerState {
  return { kind: 'OPEN', openedAt: now, probeAt: now + wait, alone };
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

/** What a call arriving at `now` gets in `state`, with `probes` probe places (`halfOpen.probes`). */
export function arrive(state: BreakerState, now: number, probes: number): Arrival {
  switch (state.kind) {
    case 'CLOSED':
    case 'DISABLED':
      return { kind: 'invoke', next: state };
    case 'ISOLATED':
      return { kind: 'refuse', retryAfter: Infinity, next: state };
    case 'OPEN': {
      if (now < state.openedAt) {
        // The wall clock stepped back: wait at most one full wait from now, not the step as well.
        const rebased: BreakerState = { ...state, openedAt: now, probeAt: Math.min(state.probeAt, now + state.probeAt - state.openedAt) };
        return { kind: 'refuse', retryAfter: rebased.probeAt - now, next: rebased };
      }
      if (now < state.probeAt) return { kind: 'refuse', retryAfter: state.probeAt - now, next: state };
      return PROBE_IS_DUE;
    }
    case 'HALF_OPEN': {
      // Every probe place taken, here or anywhere in the fleet: their outcome comes soon, so retry at once.
      if (state.probe === 'here') return { kind: 'refuse', retryAfter: 0, next: state };
      // The lease ran out with no probe of ours in flight: ours unused, or the other member's holder went silent. Ask again.
      if (state.inFlight === 0 && now >= state.leaseUntil) return PROBE_IS_DUE;
      if (state.probe === 'elsewhere') return { kind: 'refuse', retryAfter: 0, next: state };
      // A place is free: this call probes.
      return { kind: 'invoke', next: probing(state.leaseUntil, state.inFlight + 1, state.succeeded, probes) };
    }
  }
}

/**
 * What a counted success of a call admitted in the current period does:
 * CLOSED counts it; a probe closes the circuit when it is the last of
 * `probes` to succeed, else the state it leaves; DISABLED keeps stats only.
 * (No call is admitted in OPEN or ISOLATED, and entering a state starts a period.)
 */
export function onSuccess(state: BreakerState, probes: number): 'count' | 'close' | 'nothing' | BreakerState {
  if (state.kind === 'CLOSED') return 'count';
  if (state.kind !== 'HALF_OPEN') return 'nothing';
  if (state.succeeded + 1 >= probes) return 'close';
  return probing(state.leaseUntil, state.inFlight - 1, state.succeeded + 1, probes);
}

/** What a counted failure of a call admitted in the current period does: CLOSED counts it, a probe re-opens the circuit. */
export function onCountedFailure(state: BreakerState): 'count' | 'reopen' | 'nothing' {
  if (state.kind === 'CLOSED') return 'count';
  return state.kind === 'HALF_OPEN' ? 'reopen' : 'nothing';
}

/** An error `isFailure` did not count: a probe that ends so decided nothing, and frees its place (under the same lease). */
export function onIgnoredError(state: BreakerState, probes: number): BreakerState {
  if (state.kind !== 'HALF_OPEN' || state.inFlight === 0) return state;
  return probing(state.leaseUntil, state.inFlight - 1, state.succeeded, probes);
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
