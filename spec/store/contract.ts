import { expect } from 'chai';
import type { CircuitStore, FleetState, FleetUpdate } from '../../src';

/**
 * A store under the contract, made afresh for each spec: how to make one and how time passes for it.
 * The in-memory store moves a clock the spec owns; Redis lets real time pass.
 */
export interface StoreUnderContract {
  /** A new, empty store: its members share its circuits, which no other store sees. */
  makeStore(options?: { readonly probeLease?: number }): CircuitStore | Promise<CircuitStore>;
  /** Lets at least `ms` pass on the store's clock. */
  advance(ms: number): Promise<void>;
  /** Lets what the store delivers later arrive: a new member's sync, another member's push. */
  settle(): Promise<void>;
  /**
   * How many ms more than asked may pass between two readings: 0 for a clock the spec moves
   * itself; a bound on timer, event-loop and round-trip slack for real time. A remaining wait
   * or retry time is expected at most this much below the exact value (never above it).
   */
  readonly slack: number;
  /** Ends what the spec made (connections, stores). */
  teardown?(): void | Promise<void>;
}

/** The probe lease the contract's stores are made with (short: Redis lets it pass in real time). */
const PROBE_LEASE = 200;

/**
 * The membership contract of src/store/circuit-store.ts, asked of a store directly: what a member
 * is told and answered, without a breaker in between. Run against InMemoryCircuitStore
 * (spec/store/in-memory.spec.ts) and RedisCircuitStore on a real redis-server
 * (spec/integration/redis-store-contract.spec.ts).
 *
 * @param name - the store's name, for the suite's title
 * @param subject - called before each spec: the store under the contract
 */
export function describeCircuitStoreContract(name: string, subject: () => StoreUnderContract | Promise<StoreUnderContract>): void {
  describe(`${name}: the membership contract`, () => {
    let under: StoreUnderContract;
    let store: CircuitStore;
    const heard: [string, FleetState, FleetUpdate][] = [];
    const join = (who: string, name = 'api') => store.join(name, (fleet, update) => heard.push([who, fleet, update]));
    const settle = () => under.settle();
    const advance = (ms: number) => under.advance(ms);
    const makeStore = (options?: { readonly probeLease?: number }) => Promise.resolve(under.makeStore(options));

    /** `actual`, each number of which may be up to `slack` below the same number of `expected`, written as `expected`. */
    function near<T>(actual: T, expected: unknown): T {
      if (typeof actual === 'number' && typeof expected === 'number' && actual <= expected && actual >= expected - under.slack) return expected as T;
      if (typeof actual !== 'object' || actual === null || typeof expected !== 'object' || expected === null) return actual;
      const copy: Record<string, unknown> = { ...(actual as Record<string, unknown>) };
      for (const [key, value] of Object.entries(expected)) copy[key] = near(copy[key], value);
      return copy as T;
    }

    /** The fleet state of `name`, as a new member reads it on joining. */
    async function stateOf(name: string): Promise<FleetState | undefined> {
      let read: FleetState | undefined;
      const reader = store.join(name, (fleet, update) => {
        if (update === 'sync') read ??= fleet;
      });
      await settle();
      reader.leave();
      return read;
    }

    beforeEach(async () => {
      heard.length = 0;
      under = await subject();
      store = await makeStore({ probeLease: PROBE_LEASE });
    });
    afterEach(() => under.teardown?.());

    it('tells a new member the current state once connected ("sync"), and defaults to a 10 s lease', async () => {
      const a = join('a');
      expect(a.available).to.equal(true);
      await settle();
      expect(heard).to.deep.equal([['a', { state: 'CLOSED' }, 'sync']]);
      const plain = await makeStore();
      const m = plain.join('x', () => undefined);
      await m.open(0, 'probe');
      expect(await m.acquireProbe(0)).to.deep.equal({ granted: true, lease: 10_000 });
      const other = (await plain.join('x', () => undefined).acquireProbe(0)) as { granted: false; retryIn: number };
      expect(other.granted).to.equal(false);
      expect(other.retryIn).to.be.within(9_000, 10_000);
    });

    it('a member that leaves before it is connected hears no sync', async () => {
      const got: FleetState[] = [];
      store.join('api', (fleet) => void got.push(fleet)).leave();
      await settle();
      expect(got).to.deep.equal([]);
    });

    it('refuses the probe lease while CLOSED, ISOLATED, or before the wait is over', async () => {
      const a = join('a');
      expect(await a.acquireProbe(0)).to.deep.equal({ granted: false, fleet: { state: 'CLOSED' }, retryIn: 0 });
      expect(await a.open(300, 'probe')).to.equal(300);
      const early = { granted: false, fleet: { state: 'OPEN', remaining: 300 }, retryIn: 300 };
      expect(near(await a.acquireProbe(0), early)).to.deep.equal(early);
      await advance(299 - under.slack);
      const late = { granted: false, fleet: { state: 'OPEN', remaining: 1 + under.slack }, retryIn: 1 + under.slack };
      expect(near(await a.acquireProbe(0), late), 'a millisecond before the end (within the slack)').to.deep.equal(late);
      await a.isolate();
      expect(await stateOf('api')).to.deep.equal({ state: 'ISOLATED' });
      expect(await a.acquireProbe(0)).to.deep.equal({ granted: false, fleet: { state: 'ISOLATED' }, retryIn: Infinity });
    });

    it('grants one lease when the wait is over: the holder may ask again, others wait for it to expire', async () => {
      const a = join('a');
      const b = join('b');
      await a.open(100, 'probe');
      await advance(100);
      expect(await a.acquireProbe(0)).to.deep.equal({ granted: true, lease: PROBE_LEASE });
      expect(await a.acquireProbe(0), 'the holder again').to.deep.equal({ granted: true, lease: PROBE_LEASE });
      const leased = { granted: false, fleet: { state: 'OPEN', remaining: 0 }, retryIn: PROBE_LEASE };
      expect(near(await b.acquireProbe(0), leased)).to.deep.equal(leased);
      await advance(PROBE_LEASE - 1 - under.slack);
      expect(near(await b.acquireProbe(0), { retryIn: 1 + under.slack })).to.deep.include({ granted: false, retryIn: 1 + under.slack });
      await advance(1 + under.slack);
      expect(await b.acquireProbe(2 * PROBE_LEASE), 'the lease expired').to.deep.equal({ granted: true, lease: 2 * PROBE_LEASE });
      await advance(2 * PROBE_LEASE - 1 - under.slack);
      expect(near(await a.acquireProbe(0), { retryIn: 1 + under.slack }), 'a lease of max(probeLease, leaseMs)').to.deep.include({
        granted: false,
        retryIn: 1 + under.slack,
      });
    });

    it("an operator's isolation holds against a trip, a failed probe and a probe's close; only an operator ends it", async () => {
      const a = join('a');
      await a.isolate();
      expect(await a.open(1_000, 'trip')).to.equal(Infinity);
      expect(await a.open(1_000, 'probe')).to.equal(Infinity);
      await a.close('probe');
      expect(await stateOf('api')).to.deep.equal({ state: 'ISOLATED' });
      await a.close('operator');
      expect(await stateOf('api')).to.deep.equal({ state: 'CLOSED' });
      await a.isolate();
      expect(await a.open(0, 'operator')).to.equal(0);
      expect(await stateOf('api')).to.deep.equal({ state: 'OPEN', remaining: 0 });
    });

    it('a trip keeps a wait already running (answering what remains); a failed probe (fresh) starts a new one', async () => {
      const a = join('a');
      const b = join('b');
      expect(await a.open(300, 'trip')).to.equal(300);
      await advance(100);
      expect(near(await b.open(300, 'trip'), 200), 'a trip adopts the running wait').to.equal(200);
      expect(await b.open(300, 'probe'), 'a failed probe restarts it').to.equal(300);
      await advance(300);
      expect(await a.open(300, 'trip'), 'a wait that is over is not kept').to.equal(300);
    });

    it('a trip after a close starts a fresh wait, whatever remained of the old one', async () => {
      const member = store.join('api', () => undefined);
      expect(await member.open(1_000, 'trip')).to.equal(1_000);
      await advance(100);
      await member.close('operator');
      await advance(100);
      expect(await member.open(1_000, 'trip')).to.equal(1_000);
      const open = { state: 'OPEN', remaining: 1_000 };
      expect(near(await stateOf('api'), open)).to.deep.equal(open);
    });

    it("counts each member's trip towards the quorum once; reaching it opens the fleet and starts the count afresh; a probe's close leaves the count", async () => {
      const [a, b, c] = [join('a'), join('b'), join('c')];
      await settle();
      expect(await a.trip!(1_000, 'trip', 2, 10_000), 'one of two').to.equal(undefined);
      expect(await a.trip!(1_000, 'trip', 2, 10_000), 'the same member again').to.equal(undefined);
      expect(await b.trip!(1_000, 'trip', 2, 10_000), 'two of two: OPEN').to.equal(1_000);
      expect(near(await c.trip!(1_000, 'trip', 2, 10_000), 1_000), 'while OPEN, a trip adopts the wait').to.equal(1_000);
      await c.close('probe');
      expect(await a.trip!(1_000, 'trip', 2, 10_000), 'the trips that opened it were spent').to.equal(undefined);
      await b.close('probe'); // a member closing what only it had opened: the fleet circuit was CLOSED already
      expect(await c.trip!(1_000, 'trip', 2, 10_000), "a's trip still counts").to.equal(1_000);
    });

    it('sums the counts of the buckets in the window, slow calls too, and drops each bucket once it left', async () => {
      const member = join('a');
      await settle();
      // Buckets of 200 ms: the first counts are one bucket old (at most two, with the slack) when the second come.
      const window = { duration: 600, buckets: 3 } as const;
      expect(await member.addToWindow!({ calls: 2, failures: 1, slow: 1 }, window)).to.deep.equal({ calls: 2, failures: 1, slow: 1 });
      expect(await member.addToWindow!({ calls: 3, failures: 0, slow: 2 }, window), 'the same bucket').to.deep.equal({ calls: 5, failures: 1, slow: 3 });
      await advance(200);
      expect(await member.addToWindow!({ calls: 1, failures: 1, slow: 0 }, window), 'the next bucket').to.deep.equal({ calls: 6, failures: 2, slow: 3 });
      await advance(600);
      const none = { calls: 0, failures: 0, slow: 0 };
      expect(await member.addToWindow!(none, window), 'a whole window later, every bucket left').to.deep.equal(none);
      expect(await member.addToWindow!({ calls: 1, failures: 0, slow: 1 }, window)).to.deep.equal({ calls: 1, failures: 0, slow: 1 });
    });

    it("closing an open circuit empties the fleet's window; a close of one the fleet never opened leaves it; an operator's close always empties it", async () => {
      const member = join('a');
      await settle();
      const window = { duration: 10_000, buckets: 10 } as const;
      const none = { calls: 0, failures: 0, slow: 0 };
      await member.addToWindow!({ calls: 3, failures: 3, slow: 0 }, window);
      await member.close('probe'); // a member closing what only it had opened (tripped below a quorum)
      expect(await member.addToWindow!(none, window)).to.deep.equal({ calls: 3, failures: 3, slow: 0 });
      await member.open(1_000, 'trip');
      await member.close('probe');
      expect(await member.addToWindow!(none, window), 'the failures that tripped it are gone').to.deep.equal(none);
      await member.addToWindow!({ calls: 2, failures: 1, slow: 0 }, window);
      await member.close('operator');
      expect(await member.addToWindow!(none, window)).to.deep.equal(none);
    });

    it('pushes a transition to every other member ("event"), not to the one that made it; a member that left hears nothing', async () => {
      const a = join('a');
      join('b');
      const c = join('c');
      await settle();
      heard.length = 0;
      c.leave();
      await a.open(50, 'probe');
      await settle();
      expect(heard).to.deep.equal([['b', { state: 'OPEN', remaining: 50 }, 'event']]);
      heard.length = 0;
      await a.close('operator');
      await settle();
      expect(heard).to.deep.equal([['b', { state: 'CLOSED', reset: true }, 'event']], "an operator's close is a reset everywhere");
      heard.length = 0;
      await a.open(50, 'probe');
      await a.close('probe');
      await settle();
      expect(heard).to.deep.equal([
        ['b', { state: 'OPEN', remaining: 50 }, 'event'],
        ['b', { state: 'CLOSED' }, 'event'],
      ]);
    });
  });
}
