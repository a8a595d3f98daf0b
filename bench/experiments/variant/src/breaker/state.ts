/** The state a breaker reports: the three states of the seed's state table. */
export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/**
 * The breaker's internal state: a discriminated union in which each state
 * carries only its own data. `ISOLATED` (forced open by hand) reports as
 * `'OPEN'`; `DISABLED` (pass-through) reports as `'CLOSED'`.
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
      /** False only after a probe whose error `isFailure` did not count: the next call probes. */
      readonly probeInFlight: boolean;
    }
  | { readonly kind: 'ISOLATED' }
  | { readonly kind: 'DISABLED' };

export const CLOSED: BreakerState = Object.freeze({ kind: 'CLOSED' });
export const ISOLATED: BreakerState = Object.freeze({ kind: 'ISOLATED' });
export const DISABLED: BreakerState = Object.freeze({ kind: 'DISABLED' });
export const PROBING: BreakerState = Object.freeze({ kind: 'HALF_OPEN', probeInFlight: true });
export const PROBE_DUE: BreakerState = Object.freeze({ kind: 'HALF_OPEN', probeInFlight: false });

/** The public name of an internal state. */
export function publicState(state: BreakerState): CircuitState {
  switch (state.kind) {
    case 'CLOSED':
    case 'DISABLED':
      return 'CLOSED';
    case 'OPEN':
    case 'ISOLATED':
      return 'OPEN';
    case 'HALF_OPEN':
      return 'HALF_OPEN';
    default:
      return assertNever(state);
  }
}

export function assertNever(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
