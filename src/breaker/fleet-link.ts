import type { CircuitStore, CircuitStoreMembership, FleetState, FleetUpdate, ProbeLease } from '../store/circuit-store';
import type { AnyFunction } from './guarded-call';
import type { TransitionReason } from '../events/types';
import type { Trip } from './announce';
import type { WindowStore } from './fleet-window';
import { CLOSED, ISOLATED, openFor, probeDueUntil, probingElsewhere, type BreakerState } from './rules';

/**
 * How long a call waits for a store's answer to its lease request before its
 * breaker decides alone: a store that hangs must not keep a circuit from probing.
 */
export const LEASE_ANSWER_DEADLINE = 1_000;

/** What the fleet reads of a breaker, and may do to it. */
export interface FleetMember {
  readonly current: BreakerState;
  /** An isolation group here ends when the fleet closes or opens the circuit. */
  isolation: unknown;
  now(): number;
  /** Runs a call through the breaker as its state now says (after a lease answer). */
  execute(fn: AnyFunction, thisArg: unknown, args: ArrayLike<unknown>): Promise<unknown>;
  transition(next: BreakerState, reason: TransitionReason, trip?: Trip): void;
  /** Where the breaker counts its openings (seldom.ts). */
  extras(): { opened: number };
}

/** A call waiting for the fleet's answer to its probe-lease request. */
interface LeaseRequest {
  /** The state the request was made in: an answer finding another state decides nothing. */
  readonly waiting: BreakerState;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Everything a breaker does with a `store`: made only when one is set. It
 * tells the fleet the transitions made here, asks for the fleet's one probe
 * when a wait is over, and applies what the fleet pushes. A store that fails
 * is ignored: the breaker then runs alone, as without one.
 *
 * The protocol: a trip here opens every member (pushed); the wait is the
 * store's, not a clock compared across machines; when it is over, the call
 * that finds it so asks for the probe lease and, granted, is the probe (a
 * lease is held by a call about to probe, never by an idle process); a
 * member refused it is HALF_OPEN, refusing with retryAfter 0 until the
 * probe's outcome is pushed or the lease runs out.
 */
export class FleetLink {
  private readonly membership: CircuitStoreMembership;
  private leaseRequest: LeaseRequest | undefined;

  constructor(
    private readonly member: FleetMember,
    store: CircuitStore,
    name: string,
  ) {
    this.membership = store.join(name, (fleet, update) => this.adopt(fleet, update));
  }

  /** False while the store cannot be reached: the breaker decides alone. */
  get available(): boolean {
    return this.membership.available;
  }

  leave(): void {
    this.membership.leave();
  }

  /** The circuit opened here (`opened`, for `wait` ms): OPEN fleet-wide, unless the fleet answers with a wait of its own. */
  tellOpened(opened: BreakerState, wait: number, by: 'trip' | 'probe' | 'operator'): void {
    if (!this.membership.available) return;
    // A trip keeps a wait already running elsewhere (and adopts it); a failed probe starts a fresh one.
    this.membership.open(wait, by).then(
      (remaining) => {
        if (this.member.current !== opened || remaining === wait) return;
        if (remaining === Infinity) this.isolatedByFleet(); // an operator isolated the fleet
        else this.openedByFleet(remaining, 'store');
      },
      () => undefined,
    );
  }

  /** Whether the store counts trips towards a quorum (else a breaker with a quorum decides alone). */
  get countsTrips(): boolean {
    return this.membership.trip !== undefined;
  }

  /**
   * With a quorum: this member tripped (`opened` alone, for `wait` ms). The fleet opens once `quorum` members
   * tripped within `within` ms; until then this member stays OPEN alone.
   */
  tellTripped(opened: BreakerState, wait: number, by: 'trip' | 'probe', quorum: number, within: number): void {
    if (!this.membership.available) return;
    this.membership.trip!(wait, by, quorum, within).then(
      (remaining) => {
        if (this.member.current !== opened || remaining === undefined) return;
        if (remaining === Infinity) this.isolatedByFleet();
        else this.openedByFleet(remaining, 'store'); // the fleet is OPEN: this member waits and probes with it
      },
      () => undefined,
    );
  }

  /** The store's side of a fleet window of `duration` ms in `buckets` buckets, when the store keeps one. */
  windowStore(window: { readonly duration: number; readonly buckets: number }): WindowStore | undefined {
    const membership = this.membership;
    if (membership.addToWindow === undefined) return undefined;
    return {
      get available() {
        return membership.available;
      },
      addToWindow: (counts) => membership.addToWindow!(counts, window),
    };
  }

  tellClosed(by: 'probe' | 'operator'): void {
    if (this.membership.available) this.membership.close(by).catch(() => undefined);
  }

  tellIsolated(): void {
    if (this.membership.available) this.membership.isolate().catch(() => undefined);
  }

  /** Whether a call here is waiting for a lease answer (other calls are refused meanwhile). */
  get asking(): boolean {
    return this.leaseRequest !== undefined;
  }

  /**
   * Asks the fleet for the probe lease on behalf of one call, which then runs
   * as whatever the answer made of the circuit: the probe (granted), a refusal
   * (another member probes, or the fleet's wait is not over), a CLOSED call.
   * A store that fails or does not answer within LEASE_ANSWER_DEADLINE lets
   * the breaker probe alone.
   */
  askToProbe(fn: AnyFunction, thisArg: unknown, args: ArrayLike<unknown>, lease: number): Promise<unknown> {
    const request: LeaseRequest = { waiting: this.member.current, timer: undefined };
    this.leaseRequest = request;
    return new Promise<unknown>((resolve) => {
      const answered = (decide: () => void): void => {
        if (this.leaseRequest !== request) return; // the deadline came first: decided already
        this.leaseRequest = undefined;
        clearTimeout(request.timer);
        if (this.member.current === request.waiting) decide(); // else decided meanwhile (a push, an operator)
        resolve(this.member.execute(fn, thisArg, args));
      };
      const alone = (): void => this.probeGranted(Infinity);
      // A caller awaits this call: like any timer a caller awaits, it keeps the process alive, for at most the deadline.
      request.timer = setTimeout(() => answered(alone), LEASE_ANSWER_DEADLINE);
      this.membership.acquireProbe(lease).then(
        (answer) => answered(() => this.adoptLeaseAnswer(answer)),
        () => answered(alone),
      );
    });
  }

  private adoptLeaseAnswer(answer: ProbeLease): void {
    if (answer.granted) return this.probeGranted(this.member.now() + answer.lease);
    const fleet = answer.fleet;
    // Another member holds the lease and probes: refuse until its outcome is pushed, or its lease runs out.
    if (fleet.state === 'OPEN' && fleet.remaining === 0) {
      return this.member.transition(probingElsewhere(this.member.now() + Math.max(1, answer.retryIn)), 'store');
    }
    this.adopt(fleet, 'event');
  }

  /** A fleet state pushed or read from the store. */
  private adopt(fleet: FleetState, update: FleetUpdate): void {
    const state = this.member.current;
    if (state.kind === 'DISABLED') return; // a disabled breaker passes every call through, whatever the fleet says
    // An operator's reset anywhere is a reset() here: whatever this member counted or decided alone goes too.
    const reset = fleet.state === 'CLOSED' && fleet.reset === true;
    // The probe of the fleet's lease will tell the fleet its outcome; only an operator (an isolation, a reset)
    // overrides it. A probe made alone (no lease: Infinity) does not hold the fleet: what the fleet says decides.
    if (state.kind === 'HALF_OPEN' && state.inFlight > 0 && state.leaseUntil !== Infinity && fleet.state !== 'ISOLATED' && !reset) return;
    // Tripped here below the quorum: this member is OPEN alone while the fleet is CLOSED.
    if (state.kind === 'OPEN' && state.alone && fleet.state === 'CLOSED' && !reset) return;
    if (fleet.state === 'OPEN') return this.openedByFleet(fleet.remaining, fleet.quorum === true ? 'quorum' : 'store');
    if (fleet.state === 'ISOLATED') return this.isolatedByFleet();
    if (state.kind === 'CLOSED' && !reset) return;
    if (update === 'sync' && state === ISOLATED) return this.tellIsolated(); // the store restarted empty: isolate it again
    if (update === 'sync' && state.kind === 'OPEN') {
      // The store knows nothing (it restarted, or this process tripped while it was away): tell it.
      if (this.membership.available) this.membership.open(Math.max(0, state.probeAt - this.member.now()), 'trip').catch(() => undefined);
      return;
    }
    this.member.isolation = undefined;
    this.member.transition(CLOSED, 'store');
  }

  /** This process holds the fleet's lease until `leaseUntil` (Infinity: it decides alone): the next call probes. */
  private probeGranted(leaseUntil: number): void {
    this.member.transition(probeDueUntil(leaseUntil), 'reset-timeout');
  }

  private openedByFleet(remaining: number, reason: 'store' | 'quorum'): void {
    const member = this.member;
    // An isolation ended fleet-wide (released elsewhere): its handles here release nothing.
    member.isolation = undefined;
    if (member.current.kind === 'CLOSED') member.extras().opened++; // the fleet opened it here: an opening, for the stats
    member.transition(openFor(member.now(), remaining), reason, { failures: 0, error: undefined, wait: remaining });
  }

  private isolatedByFleet(): void {
    if (this.member.current !== ISOLATED) this.member.transition(ISOLATED, 'store');
  }
}
