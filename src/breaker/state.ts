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
  | { readonly kind: 'ISOLATED' }
  | { readonly kind: 'DISABLED' };

export const CLOSED: BreakerState = Object.freeze({ kind: 'CLOSED' });
export const ISOLATED: BreakerState = Object.freeze({ kind: 'ISOLATED' });
export const DISABLED: BreakerState = Object.freeze({ kind: 'DISABLED' });
/** A probe in flight, decided by this process alone. */
export const PROBING: BreakerState = Object.freeze({ kind: 'HALF_OPEN', probe: 'here', leaseUntil: Infinity });
/** The next call probes (this process alone). */
export const PROBE_DUE: BreakerState = Object.freeze({ kind: 'HALF_OPEN', probe: 'due', leaseUntil: Infinity });

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
    // Stryker disable next-line ConditionalExpression: unreachable, the cases cover every kind (assertNever type-checks it)
    default:
      return assertNever(state);
  }
}

// Stryker disable next-line BlockStatement: called only where the types prove it unreachable
export function assertNever(value: never): never {
  // Stryker disable next-line StringLiteral,CallExpression: called only where the types prove it unreachable
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
