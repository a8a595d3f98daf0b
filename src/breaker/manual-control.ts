import type { Disposable } from '../events/listeners';
import type { TransitionReason } from '../events/types';
import type { Trip } from './announce';
import type { FleetLink } from './fleet-link';
import { CLOSED, DISABLED, ISOLATED, afterRelease, type BreakerState } from './rules';

/**
 * An operator's controls of a breaker: `isolate()` (with its handles),
 * `reset()`, `disable()` and `enable()`. Each is a visible state change, told
 * to the fleet when the breaker has a store.
 */

/** The open `isolate()` handles: reset() and disable() drop the group, so older handles release nothing. */
export interface IsolationGroup {
  handles: number;
  /** Failures had opened the circuit: released, it is due for a probe, not CLOSED. */
  readonly wasOpen: boolean;
}

/** What the controls need of a breaker. */
export interface Controlled {
  readonly current: BreakerState;
  isolation: IsolationGroup | undefined;
  readonly fleet: FleetLink | undefined;
  now(): number;
  transition(next: BreakerState, reason: TransitionReason, trip?: Trip): void;
}

export function isolate(breaker: Controlled): Disposable {
  const kind = breaker.current.kind;
  const group = (breaker.isolation ??= { handles: 0, wasOpen: kind === 'OPEN' || kind === 'HALF_OPEN' });
  group.handles++;
  if (breaker.current !== ISOLATED) breaker.transition(ISOLATED, 'isolated');
  breaker.fleet?.tellIsolated();
  let released = false;
  return {
    dispose: () => {
      if (released || breaker.isolation !== group) return; // reset() or disable() released it already
      released = true;
      if (--group.handles !== 0) return;
      breaker.isolation = undefined;
      const next = afterRelease(group.wasOpen, breaker.now());
      breaker.transition(next, 'released');
      if (group.wasOpen) breaker.fleet?.tellOpened(next, 0, 'operator');
      else breaker.fleet?.tellClosed('operator');
    },
  };
}

export function reset(breaker: Controlled): void {
  breaker.isolation = undefined;
  breaker.transition(CLOSED, 'reset');
  breaker.fleet?.tellClosed('operator');
}

export function disable(breaker: Controlled): void {
  if (breaker.current === DISABLED) return;
  breaker.isolation = undefined;
  breaker.transition(DISABLED, 'disabled');
}

export function enable(breaker: Controlled): void {
  if (breaker.current === DISABLED) breaker.transition(CLOSED, 'enabled');
}
