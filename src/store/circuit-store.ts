/**
 * The fleet contract: what a breaker tells the other processes sharing its
 * circuit, and what it asks of them. Redis is one implementation
 * (`circuit-breaker-decorator/redis`); `InMemoryCircuitStore` is another,
 * for several breakers in one process and for specs under a fake clock.
 *
 * The hot path never touches a store: a breaker talks to it only on
 * transitions, and when its wait is over and it wants the fleet's one probe.
 */
import type { WindowCounts } from '../breaker/trip-strategy';

/** The fleet's view of one circuit, as a store reports it. */
export type FleetState =
  /**
   * Calls go through. `reset`: closed by an operator (`reset()` in a member, a release, the CLI's `reset`):
   * every member applies it as its own `reset()`, so a CLOSED member's count and window empty too.
   */
  | { readonly state: 'CLOSED'; readonly reset?: boolean }
  /** Refusing; `remaining`: ms of the wait left, read from a TTL (0: a probe is due, or running). */
  | { readonly state: 'OPEN'; readonly remaining: number; /** Opened when a quorum of members tripped. */ readonly quorum?: boolean }
  /** Forced open by an operator (`isolate()`) until a `close()` by an operator. */
  | { readonly state: 'ISOLATED' };

/** The answer to a request for the fleet's single probe. */
export type ProbeLease =
  /** Granted for `lease` ms: probe within it, or ask again. */
  | { readonly granted: true; readonly lease: number }
  /** Not granted: adopt `fleet`; ask again after `retryIn` ms (the holder's lease or the fleet's wait). */
  | { readonly granted: false; readonly fleet: FleetState; readonly retryIn: number };

/** A breaker's membership of a fleet circuit, from `CircuitStore.join`. */
export interface CircuitStoreMembership {
  /** False while the store cannot be reached: the breaker then decides alone. Read synchronously. */
  readonly available: boolean;
  /**
   * This member opened the circuit: OPEN fleet-wide for `wait` ms. A `'trip'`
   * leaves a wait already running elsewhere as it is; a `'probe'` that failed
   * starts a new one; neither overrides an operator's isolation, which only
   * an `'operator'` (releasing it) does.
   * @returns the fleet's remaining wait in ms, to adopt (`Infinity`: isolated by an operator)
   */
  open(wait: number, by: 'trip' | 'probe' | 'operator'): Promise<number>;
  /** This member wants to probe; at most one member holds the lease, for `leaseMs`. */
  acquireProbe(leaseMs: number): Promise<ProbeLease>;
  /**
   * The circuit closed here: CLOSED fleet-wide. A `'probe'` that succeeded
   * does not end an operator's isolation; an `'operator'` (reset, release) does.
   */
  close(by: 'probe' | 'operator'): Promise<void>;
  /** Forced open by hand, fleet-wide, until a `close()`. */
  isolate(): Promise<void>;
  /**
   * With a `quorum` (> 1): this member tripped (`'trip'`) or its probe failed (`'probe'`). While the fleet is
   * OPEN this is `open(wait, by)`; else the trip is counted for `within` ms, and once `quorum` distinct members
   * tripped within that time the circuit opens fleet-wide for `wait` ms.
   * @returns the fleet's remaining wait to adopt, as `open` does (`Infinity`: isolated by an operator), or
   *   `undefined` when the quorum is not reached: this member is OPEN alone. Optional: a store without it
   *   leaves a breaker with a quorum deciding alone.
   */
  trip?(wait: number, by: 'trip' | 'probe', quorum: number, within: number): Promise<number | undefined>;
  /**
   * Adds this member's counts, settled since its last call, to the fleet's time window of `duration` ms in
   * `buckets` buckets, and returns what that window holds fleet-wide (this member's counts included). The
   * store buckets counts by its own clock, and drops a bucket once it left the window. Optional: without it
   * a breaker counts alone.
   */
  addToWindow?(counts: WindowCounts, window: { readonly duration: number; readonly buckets: number }): Promise<WindowCounts>;
  /** Stops receiving; the circuit's state stays in the store. */
  leave(): void;
}

/** Why a store reports a fleet state: another member's transition, or a (re)read on connecting. */
export type FleetUpdate = 'event' | 'sync';

/**
 * A place breakers of the same name share one circuit.
 * `join` subscribes `onFleet` to the transitions other members make
 * (`'event'`), and calls it with the current state once connected and after
 * each reconnect (`'sync'`), so a breaker that starts during an outage starts OPEN.
 */
export interface CircuitStore {
  /**
   * Joins the circuit `name`: `onFleet` receives the other members'
   * transitions and the state read on (re)connecting.
   * @returns this member's handle on the circuit
   */
  join(name: string, onFleet: (fleet: FleetState, update: FleetUpdate) => void): CircuitStoreMembership;
}

/** True for an object that can serve as a `store` option. */
export function isCircuitStore(value: unknown): value is CircuitStore {
  return typeof value === 'object' && value !== null && typeof (value as CircuitStore).join === 'function';
}
