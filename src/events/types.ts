/** The state a breaker reports: the three states of the state table. */
export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/** Why a breaker changed state. */
export type TransitionReason =
  | 'threshold'
  | 'failure-rate'
  | 'slow-calls'
  | 'probe-failed'
  | 'probe-succeeded'
  | 'reset-timeout'
  | 'isolated'
  | 'released'
  | 'reset'
  | 'disabled'
  | 'enabled'
  | 'store'
  /** The fleet opened: a quorum of its members tripped. */
  | 'quorum';

/** Every transition, whatever the states. */
export interface StateChangeEvent {
  readonly breaker: string;
  readonly from: CircuitState;
  readonly to: CircuitState;
  readonly reason: TransitionReason;
}

/** The circuit opened: calls are refused until `probeAt`. */
export interface OpenEvent {
  readonly breaker: string;
  readonly reason: TransitionReason;
  /** Failures that tripped it: consecutive ones, or the window's under `failureRate` (0 when opened by a probe, by hand or by the store). */
  readonly failures: number;
  /** This period's wait in ms (grows with backoff after failed probes; `Infinity` when isolated). */
  readonly resetTimeout: number;
  /** Clock time from which a probe is let through (`Infinity` when isolated). */
  readonly probeAt: number;
  /** The failure that tripped it, when a failure did. */
  readonly error?: unknown;
}

/** A probe is let through. */
export interface HalfOpenEvent {
  readonly breaker: string;
}

/** The circuit closed. */
export interface CloseEvent {
  readonly breaker: string;
  readonly reason: TransitionReason;
}

/** A call admitted in the current state period succeeded. */
export interface SuccessEvent {
  readonly breaker: string;
  readonly state: CircuitState;
}

/** A call failed (and `isFailure` counted it). */
export interface FailureEvent {
  readonly breaker: string;
  readonly state: CircuitState;
  readonly error: unknown;
  /** Failures now counted towards a trip: consecutive ones, or the window's under `failureRate`. */
  readonly failures: number;
}

/** A call was refused without invoking the function. */
export interface RefusalEvent {
  readonly breaker: string;
  readonly state: CircuitState;
  readonly retryAfter: number;
}
