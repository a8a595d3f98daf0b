/**
 * A small, pure reference model of DESIGN.md's state table, plus the manual
 * controls the README documents (isolate/dispose, reset, disable/enable) and
 * `isFailure`. It knows nothing of promises: the harness tells it, in order,
 * that a call arrived, that an admitted call settled, that time passed.
 *
 * | state | a call arrives | the call succeeds | the call fails |
 * | CLOSED | invoke | count := 0 | count += 1; count >= threshold: OPEN, remember the time |
 * | OPEN, before resetTimeout | refuse | | |
 * | OPEN, resetTimeout passed | HALF_OPEN; invoke this call as the probe | | |
 * | HALF_OPEN, probe in flight | refuse | CLOSED, count := 0 | OPEN again, fresh resetTimeout |
 *
 * Every transition starts a new "state period": the outcome of a call admitted
 * in an earlier period is returned to its caller but decides nothing, and is
 * counted in `lateOutcomes`.
 */

export type ModelState =
  | { readonly kind: 'CLOSED' }
  | { readonly kind: 'OPEN'; readonly probeAt: number }
  | { readonly kind: 'HALF_OPEN'; readonly probeInFlight: boolean }
  | { readonly kind: 'ISOLATED' }
  | { readonly kind: 'DISABLED' };

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

export class BreakerModel {
  state: ModelState = { kind: 'CLOSED' };
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

  private enter(state: ModelState): void {
    this.state = state;
    this.period++;
  }

  private open(now: number): void {
    this.stats.opened++;
    this.count = 0;
    this.enter({ kind: 'OPEN', probeAt: now + this.resetTimeout });
  }

  arrive(now: number): Admission {
    const state = this.state;
    switch (state.kind) {
      case 'CLOSED':
      case 'DISABLED':
        return this.admit();
      case 'OPEN':
        if (now < state.probeAt) return this.refuse(state.probeAt - now);
        this.enter({ kind: 'HALF_OPEN', probeInFlight: true });
        return this.admit();
      case 'HALF_OPEN':
        if (state.probeInFlight) return this.refuse(0);
        // A probe whose error did not count decided nothing: this call probes, in the same period.
        this.state = { kind: 'HALF_OPEN', probeInFlight: true };
        return this.admit();
      case 'ISOLATED':
        return this.refuse(Infinity);
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
        else if (this.state.kind === 'CLOSED') this.count = 0;
        else if (this.state.kind === 'HALF_OPEN') {
          this.count = 0;
          this.enter({ kind: 'CLOSED' });
        }
        return;
      case 'ignored':
        this.stats.ignored++;
        if (late) this.stats.lateOutcomes++;
        else if (this.state.kind === 'HALF_OPEN') this.state = { kind: 'HALF_OPEN', probeInFlight: false };
        return;
      case 'failure':
        this.stats.failures++;
        this.stats.lastFailureAt = now;
        if (late) this.stats.lateOutcomes++;
        else if (this.state.kind === 'CLOSED') {
          if (++this.count >= this.threshold) this.open(now);
        } else if (this.state.kind === 'HALF_OPEN') this.open(now);
        return;
    }
  }

  isolate(): IsolationHandle {
    if (this.isolations++ === 0) this.isolatedWhileOpen = this.state.kind === 'OPEN' || this.state.kind === 'HALF_OPEN';
    if (this.state.kind !== 'ISOLATED') this.enter({ kind: 'ISOLATED' });
    return { epoch: this.isolationEpoch, released: false };
  }

  /** Released: back to CLOSED, or, when failures had opened it, OPEN with a probe due at once. */
  dispose(handle: IsolationHandle, now: number): void {
    if (handle.released || handle.epoch !== this.isolationEpoch) return;
    handle.released = true;
    if (--this.isolations === 0 && this.state.kind === 'ISOLATED') {
      this.count = 0;
      this.enter(this.isolatedWhileOpen ? { kind: 'OPEN', probeAt: now } : { kind: 'CLOSED' });
    }
  }

  reset(): void {
    this.isolations = 0;
    this.isolationEpoch++;
    this.count = 0;
    this.enter({ kind: 'CLOSED' });
  }

  disable(): void {
    if (this.state.kind === 'DISABLED') return;
    this.isolations = 0;
    this.isolationEpoch++;
    this.count = 0;
    this.enter({ kind: 'DISABLED' });
  }

  enable(): void {
    if (this.state.kind !== 'DISABLED') return;
    this.enter({ kind: 'CLOSED' });
  }

  snapshot(): ModelStats {
    const state = this.state;
    const publicState =
      state.kind === 'ISOLATED' ? 'OPEN' : state.kind === 'DISABLED' ? 'CLOSED' : state.kind;
    return {
      state: publicState,
      isolated: state.kind === 'ISOLATED',
      disabled: state.kind === 'DISABLED',
      consecutiveFailures: this.count,
      ...this.stats,
      nextProbeAt: state.kind === 'OPEN' ? state.probeAt : null,
    };
  }
}
