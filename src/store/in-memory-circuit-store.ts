import type { WindowCounts } from '../breaker/trip-strategy';
import type { CircuitStore, CircuitStoreMembership, FleetState, FleetUpdate, ProbeLease } from './circuit-store';

/** A real microtask: sinon's fake clock fakes `queueMicrotask`, but not promise jobs. */
function later(run: () => void): void {
  void Promise.resolve().then(run);
}

interface Circuit {
  state: 'OPEN' | 'ISOLATED' | undefined;
  /** Clock time the wait ends (a TTL, in Redis). */
  waitUntil: number;
  lease: { readonly holder: object; readonly until: number } | undefined;
  readonly members: Set<Member>;
  /** With a quorum: when each member last tripped. */
  readonly trips: Map<Member, number>;
  /** The fleet window: counts by bucket number (`floor(time / width)`). */
  readonly window: Map<number, { calls: number; failures: number; slow: number }>;
}

interface Member {
  readonly onFleet: (fleet: FleetState, update: FleetUpdate) => void;
}

/**
 * A circuit store in this process's memory: breakers of the same name share
 * one circuit with the same rules as the Redis store (a wait that is a TTL,
 * a probe lease, pushed transitions). Pushes are delivered on a microtask,
 * as a network would deliver them later. `available = false` simulates a
 * store that cannot be reached.
 *
 * @example const store = new InMemoryCircuitStore(); new CircuitBreaker({ name: 'api', store });
 */
export class InMemoryCircuitStore implements CircuitStore {
  private readonly circuits = new Map<string, Circuit>();
  /** Set false to simulate an outage of the store: every operation fails. */
  available = true;
  /** Operations received, to show that calls do not reach the store. */
  operations = 0;

  private readonly clock: () => number;
  private readonly probeLease: number;

  /**
   * @param options.clock - the time in ms (default `Date.now`, looked up at each read)
   * @param options.probeLease - ms a probe lease lasts, at least (default 10_000, as RedisCircuitStore)
   */
  constructor(options: { readonly clock?: () => number; readonly probeLease?: number } = {}) {
    this.clock = options.clock ?? (() => Date.now());
    this.probeLease = options.probeLease ?? 10_000;
  }

  /** Joins the circuit `name` (see {@link CircuitStore.join}); the current state is delivered on a microtask. */
  join(name: string, onFleet: (fleet: FleetState, update: FleetUpdate) => void): CircuitStoreMembership {
    const circuit = this.circuit(name);
    const member: Member = { onFleet };
    circuit.members.add(member);
    const store = this;
    // Once "connected", the member learns the current state.
    later(() => {
      if (circuit.members.has(member) && store.available) onFleet(store.view(circuit), 'sync');
    });
    return {
      get available() {
        return store.available;
      },
      open: (wait, by) => this.operation(() => this.open(circuit, member, wait, by)),
      trip: (wait, by, quorum, within) =>
        this.operation(() => {
          const now = this.clock();
          if (circuit.state !== undefined) return this.open(circuit, member, wait, by);
          for (const [other, at] of circuit.trips) if (at <= now - within) circuit.trips.delete(other);
          circuit.trips.set(member, now);
          if (circuit.trips.size < quorum) return undefined;
          circuit.trips.clear();
          return this.open(circuit, member, wait, 'trip', true);
        }),
      addToWindow: (counts, window) => this.operation(() => this.addToWindow(circuit, counts, window)),
      acquireProbe: (leaseMs) => this.operation((): ProbeLease => this.acquire(circuit, member, leaseMs)),
      close: (by) =>
        this.operation(() => {
          if (circuit.state === 'ISOLATED' && by !== 'operator') return;
          // Closing an open circuit empties the fleet's window, as it empties each member's (a member that
          // closes what only it had opened leaves the others' counts); an operator's reset empties the trips too.
          if (circuit.state !== undefined || by === 'operator') circuit.window.clear();
          if (by === 'operator') circuit.trips.clear();
          circuit.state = undefined;
          circuit.lease = undefined;
          this.push(circuit, member, by === 'operator' ? { state: 'CLOSED', reset: true } : { state: 'CLOSED' });
        }),
      isolate: () =>
        this.operation(() => {
          circuit.state = 'ISOLATED';
          circuit.lease = undefined;
          this.push(circuit, member, { state: 'ISOLATED' });
        }),
      leave: () => {
        circuit.members.delete(member);
        this.forgetIfIdle(name, circuit);
      },
    };
  }

  /** The fleet state of `name`, as a new member would read it. Reading keeps no circuit nobody is in. */
  state(name: string): FleetState {
    const circuit = this.circuit(name);
    const fleet = this.view(circuit);
    this.forgetIfIdle(name, circuit);
    return fleet;
  }

  /** Circuits kept now: one a member is in, or whose OPEN wait or isolation outlives its members. */
  get size(): number {
    return this.circuits.size;
  }

  /**
   * A circuit nobody is in is forgotten once nothing of it is left to tell a
   * member that joins later: CLOSED, or OPEN with its wait over (Redis's
   * keys expire the same way). An isolation stays until an operator ends it.
   * Keyed breakers' keys come and go: without this, each would stay forever.
   */
  private forgetIfIdle(name: string, circuit: Circuit): void {
    if (circuit.members.size > 0 || circuit.state === 'ISOLATED') return;
    if (circuit.state === 'OPEN' && circuit.waitUntil > this.clock()) return;
    if (this.circuits.get(name) === circuit) this.circuits.delete(name); // not a newer circuit of that name
  }

  /** Simulates the store being restarted empty (Redis without persistence). */
  flush(): void {
    for (const circuit of this.circuits.values()) {
      circuit.state = undefined;
      circuit.lease = undefined;
      circuit.trips.clear();
      circuit.window.clear();
    }
  }

  /** Simulates a reconnect: every member re-reads the current state. */
  reconnect(): void {
    this.available = true;
    for (const circuit of this.circuits.values()) {
      const fleet = this.view(circuit);
      for (const member of circuit.members) later(() => member.onFleet(fleet, 'sync'));
    }
  }

  private open(circuit: Circuit, member: Member, wait: number, by: 'trip' | 'probe' | 'operator', quorum = false): number {
    const now = this.clock();
    if (circuit.state === 'ISOLATED' && by !== 'operator') return Infinity;
    if (by === 'trip' && circuit.state === 'OPEN' && circuit.waitUntil > now) return circuit.waitUntil - now;
    circuit.state = 'OPEN';
    circuit.waitUntil = now + wait;
    circuit.lease = undefined;
    this.push(circuit, member, quorum ? { state: 'OPEN', remaining: wait, quorum } : { state: 'OPEN', remaining: wait });
    return wait;
  }

  private addToWindow(circuit: Circuit, counts: WindowCounts, window: { readonly duration: number; readonly buckets: number }): WindowCounts {
    const width = window.duration / window.buckets;
    const newest = Math.floor(this.clock() / width);
    const bucket = circuit.window.get(newest) ?? { calls: 0, failures: 0, slow: 0 };
    bucket.calls += counts.calls;
    bucket.failures += counts.failures;
    bucket.slow += counts.slow;
    circuit.window.set(newest, bucket);
    const total = { calls: 0, failures: 0, slow: 0 };
    for (const [number, held] of circuit.window) {
      if (number <= newest - window.buckets) {
        circuit.window.delete(number); // left the window: nothing of it stays behind
        continue;
      }
      total.calls += held.calls;
      total.failures += held.failures;
      total.slow += held.slow;
    }
    return total;
  }

  private acquire(circuit: Circuit, member: Member, leaseMs: number): ProbeLease {
    const now = this.clock();
    if (circuit.state === undefined) return { granted: false, fleet: { state: 'CLOSED' }, retryIn: 0 };
    if (circuit.state === 'ISOLATED') return { granted: false, fleet: { state: 'ISOLATED' }, retryIn: Infinity };
    if (circuit.waitUntil > now) {
      const remaining = circuit.waitUntil - now;
      return { granted: false, fleet: { state: 'OPEN', remaining }, retryIn: remaining };
    }
    if (circuit.lease !== undefined && circuit.lease.until > now && circuit.lease.holder !== member) {
      return { granted: false, fleet: { state: 'OPEN', remaining: 0 }, retryIn: circuit.lease.until - now };
    }
    const lease = Math.max(this.probeLease, leaseMs);
    circuit.lease = { holder: member, until: now + lease };
    return { granted: true, lease };
  }

  private view(circuit: Circuit): FleetState {
    if (circuit.state === undefined) return { state: 'CLOSED' };
    if (circuit.state === 'ISOLATED') return { state: 'ISOLATED' };
    return { state: 'OPEN', remaining: Math.max(0, circuit.waitUntil - this.clock()) };
  }

  private operation<T>(run: () => T): Promise<T> {
    this.operations++;
    if (!this.available) return Promise.reject(new Error('in-memory circuit store unavailable'));
    return Promise.resolve().then(run);
  }

  private push(circuit: Circuit, from: Member, fleet: FleetState): void {
    for (const member of circuit.members) {
      if (member !== from) later(() => member.onFleet(fleet, 'event'));
    }
  }

  private circuit(name: string): Circuit {
    let circuit = this.circuits.get(name);
    if (circuit === undefined) {
      circuit = { state: undefined, waitUntil: 0, lease: undefined, members: new Set(), trips: new Map(), window: new Map() };
      this.circuits.set(name, circuit);
    }
    return circuit;
  }
}
