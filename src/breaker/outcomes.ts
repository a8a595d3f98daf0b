import type { TransitionReason } from '../events/types';
import { announceFailure, announceSuccess } from './announce';
import type { CircuitBreaker } from './breaker';
import { countsAsFailure, slowCallOf } from './options';
import { FleetWindow } from './fleet-window';
import { CLOSED, backedOff, onCountedFailure, onIgnoredError, onSuccess, openFor } from './rules';
import { tripStrategy, type TripStrategy } from './trip-strategy';

/**
 * What an outcome of an admitted call does: it is counted, the state table
 * says what it means in the state now (rules.ts), the trip rule decides
 * whether a CLOSED circuit opens (trip-strategy.ts). An outcome of a call
 * admitted in an earlier state period (`period`) is counted as late and decides nothing.
 * Also here: which strategy a breaker's rule runs on (its own window, or the fleet's).
 */

/** A success. `startedAt`: when the call started, with `slowCall` (else NaN: never slow). */
export function settleFulfilled(breaker: CircuitBreaker<unknown>, period: number, startedAt = NaN): void {
  breaker.successes++;
  if (period !== breaker.period) return void breaker.extras().lateOutcomes++;
  const state = breaker.current;
  const effect = onSuccess(state, breaker.options.halfOpenProbes);
  if (effect === 'count') {
    const strategy = breaker.strategy;
    const now = strategy.timed ? breaker.now() : 0;
    const reason = strategy.success(breaker.tally, now, isSlow(breaker, startedAt, now));
    if (reason !== undefined) trip(breaker, strategy.timed ? now : breaker.now(), reason, strategy.failures(breaker.tally), undefined);
  } else if (effect === 'close') {
    breaker.transition(CLOSED, 'probe-succeeded');
    // Only the probe of the fleet's lease closes the fleet: one made alone (tripped below the quorum, or the
    // store away when it was due) closes this member, and a fleet circuit it never held stays as it is.
    if (state.kind === 'HALF_OPEN' && state.leaseUntil !== Infinity) breaker.fleet?.tellClosed('probe');
  } else if (effect !== 'nothing') {
    breaker.current = effect; // a probe succeeded; others are still to
  }
  announceSuccess(breaker.events, breaker);
}

/** A rejection. @returns whether the error counted as a failure (`own`: the breaker's own timeout, which always does). */
export function settleRejected(breaker: CircuitBreaker<unknown>, period: number, error: unknown, own: boolean, startedAt = NaN): boolean {
  const options = breaker.options;
  const extras = breaker.extras();
  if (!own && !countsAsFailure(options.isFailure, error)) {
    extras.ignored++;
    if (period !== breaker.period) extras.lateOutcomes++;
    else breaker.current = onIgnoredError(breaker.current, options.halfOpenProbes);
    return false;
  }
  breaker.failures++;
  const now = breaker.now();
  extras.lastFailureAt = now;
  if (period !== breaker.period) {
    extras.lateOutcomes++;
    return true;
  }
  let failures = 0;
  const effect = onCountedFailure(breaker.current);
  if (effect === 'count') {
    const reason = breaker.strategy.failure(breaker.tally, now, isSlow(breaker, startedAt, now));
    failures = breaker.strategy.failures(breaker.tally);
    if (reason !== undefined) trip(breaker, now, reason, failures, error);
  } else if (effect === 'reopen') {
    extras.backedOff = backedOff(breaker.resetTimeoutNow, options.backoffMultiplier, options.maxResetTimeout);
    trip(breaker, now, 'probe-failed', 0, error);
  }
  announceFailure(extras.events, breaker, error, failures);
  return true;
}

/** Whether a call that started at `startedAt` (NaN: not noted, no `slowCall`) and settled `now` was slow. */
function isSlow(breaker: CircuitBreaker<unknown>, startedAt: number, now: number): boolean {
  return !Number.isNaN(startedAt) && now - startedAt >= slowCallOf(breaker.options)!.duration;
}

/** Opens the circuit: here, and fleet-wide unless a quorum is still to be reached. */
export function trip(breaker: CircuitBreaker<unknown>, openedAt: number, reason: TransitionReason, failures: number, error: unknown): void {
  const wait = breaker.resetTimeoutNow;
  breaker.extras().opened++;
  const fleet = breaker.fleet;
  const by = reason === 'probe-failed' ? 'probe' : 'trip';
  // With a quorum this member opens alone, until enough members tripped for the fleet to open.
  const quorum = breaker.options.quorum;
  const alone = quorum > 1 && fleet !== undefined && fleet.countsTrips;
  const opened = openFor(openedAt, wait, alone);
  breaker.transition(opened, reason, { failures, error, wait });
  if (alone) fleet.tellTripped(opened, wait, by, quorum, breaker.options.resetTimeout);
  else fleet?.tellOpened(opened, wait, by);
}

/** The trip rule's strategy; a time-window rate rule with a store that keeps windows decides on the fleet's window. */
export function strategyOf(breaker: CircuitBreaker<unknown>): TripStrategy {
  const rule = breaker.options.rule;
  const local = tripStrategy(rule);
  const fleet = breaker.fleet;
  if (fleet === undefined || rule.kind !== 'rate' || rule.window.kind !== 'time') return local;
  const store = fleet.windowStore(rule.window);
  if (store === undefined) return local;
  return new FleetWindow(local, rule, store, (reason, failures) => {
    if (breaker.current === CLOSED) trip(breaker, breaker.now(), reason, failures, undefined);
  });
}
