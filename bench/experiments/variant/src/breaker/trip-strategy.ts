/**
 * Decides what counts as tripping. The breaker tells it each counted outcome
 * of a call admitted while CLOSED; `failure()` answers whether to open.
 * The consecutive count is one strategy; a failure-rate window can be another.
 */
export interface TripStrategy {
  /** A counted success while CLOSED. */
  success(): void;
  /** A counted failure while CLOSED; true when the circuit must open. */
  failure(now: number): boolean;
  /** The circuit closed (or was reset): start counting afresh. */
  reset(): void;
  /** Failures counted towards the next trip, for stats. */
  readonly failures: number;
}

/** Opens after `threshold` consecutive failures; a success clears the count. */
export class ConsecutiveFailures implements TripStrategy {
  failures = 0;

  constructor(readonly threshold: number) {}

  success(): void {
    this.failures = 0;
  }

  failure(): boolean {
    return ++this.failures >= this.threshold;
  }

  reset(): void {
    this.failures = 0;
  }
}
