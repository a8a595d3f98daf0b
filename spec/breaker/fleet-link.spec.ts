/**
 * What a breaker does with its store (src/breaker/fleet-link.ts: the reply to tellOpened, the probe
 * lease of askToProbe, adopt of what the fleet pushes, what it tells the store), beyond the fleet
 * rules spec/store/fleet.spec.ts checks: several breakers of one name share an InMemoryCircuitStore
 * under sinon's fake clock, each standing for a process.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import {
  CircuitBreaker,
  InMemoryCircuitStore,
  getCircuitBreaker,
  setCircuitBreakerDefaults,
  isCircuitBreakerOpenException,
  type CircuitStore,
  type CircuitStoreMembership,
  type ProbeLease,
  type OpenEvent,
  type StateChangeEvent,
} from '../../src';
import { deferred } from '../support/helpers';
import { storeWith } from '../support/stores';

const WAIT = 1_000;
const NAME = 'payments-api';


/** The store, with each membership's `acquireProbe` replaced (a store that fails, hangs or answers late). */
function overridingAcquireProbe(
  store: CircuitStore,
  acquireProbe: (membership: CircuitStoreMembership, lease: number) => Promise<ProbeLease>,
): CircuitStore {
  return storeWith(store, (membership) => ({ acquireProbe: (lease) => acquireProbe(membership, lease) }));
}

describe('fleet link: a breaker and its store', () => {
  let clock: sinon.SinonFakeTimers;
  let store: InMemoryCircuitStore;

  beforeEach(() => {
    clock = sinon.useFakeTimers();
    store = new InMemoryCircuitStore();
  });
  afterEach(() => clock.restore());

  /** Lets pushes and store replies (microtasks) arrive. */
  const settle = () => clock.tickAsync(0);
  const member = (options: { failureThreshold?: number; resetTimeout?: number; timeout?: number } = {}, on: CircuitStore = store) =>
    new CircuitBreaker({ name: NAME, store: on, failureThreshold: 1, resetTimeout: WAIT, ...options });
  const fail = (breaker: CircuitBreaker) => breaker.call(() => Promise.reject(new Error('down'))).catch((error: unknown) => error);
  const succeed = (breaker: CircuitBreaker) => breaker.call(() => Promise.resolve('ok')).catch((error: unknown) => error);
  const changesOf = (breaker: CircuitBreaker) => {
    const changes: string[] = [];
    breaker.onStateChange(({ from, to, reason }: StateChangeEvent) => changes.push(`${from}>${to}:${reason}`));
    return changes;
  };

  describe("a trip answered by the fleet's wait (tellOpened's reply)", () => {
    it('a member that trips while the fleet is already OPEN adopts the wait left, not a fresh one', async () => {
      const a = member();
      const b = member();
      await settle();
      b.disable(); // b hears nothing while disabled
      await fail(a);
      await settle();
      b.enable();
      clock.tick(300);
      await fail(b);
      await settle();
      expect(b.state).to.equal('OPEN');
      expect(b.stats().nextProbeAt, 'the fleet wait ends when a tripped it + WAIT').to.equal(Date.now() + WAIT - 300);
      expect(store.state(NAME)).to.deep.equal({ state: 'OPEN', remaining: WAIT - 300 });
      clock.tick(WAIT - 300 - 1);
      expect(isCircuitBreakerOpenException(await succeed(b))).to.equal(true);
    });

    it('a member that trips while an operator isolated the fleet becomes isolated too', async () => {
      const a = member();
      const b = member();
      await settle();
      b.disable();
      a.isolate();
      await settle();
      b.enable();
      const changes = changesOf(b);
      await fail(b);
      await settle();
      expect(b.stats().isolated).to.equal(true);
      expect(changes).to.deep.equal(['CLOSED>OPEN:threshold', 'OPEN>OPEN:store']);
      const refusal = (await succeed(b)) as { retryAfter: number };
      expect(refusal.retryAfter).to.equal(Infinity);
      expect(store.state(NAME)).to.deep.equal({ state: 'ISOLATED' });
    });

    it('a trip the fleet answers after an operator reset the member leaves it CLOSED', async () => {
      const a = member();
      const b = member();
      await settle();
      b.disable();
      await fail(a);
      await settle();
      b.enable();
      clock.tick(300);
      await fail(b); // the fleet will answer with the 700 ms left...
      b.reset(); // ...after an operator closed b
      await settle();
      expect(b.state).to.equal('CLOSED');
    });

    it("a member's own trip into an empty store keeps its own wait and says nothing more", async () => {
      const a = member();
      await settle();
      const changes = changesOf(a);
      await fail(a);
      await settle();
      expect(a.stats().nextProbeAt).to.equal(Date.now() + WAIT);
      expect(changes).to.deep.equal(['CLOSED>OPEN:threshold']);
    });

    it('a failed probe starts a new fleet wait, even over a wait another member started meanwhile', async () => {
      const a = member();
      const b = member();
      await settle();
      await fail(a);
      await settle();
      clock.tick(WAIT);
      const probe = deferred<string>();
      const probing = a.call(() => probe.promise).catch((error: unknown) => error); // granted the lease: probes
      await settle();
      // b, disabled and enabled, knows nothing of the outage and trips anew while a probes.
      b.disable();
      b.enable();
      await fail(b);
      await settle();
      expect(a.state, "a's own probe decides").to.equal('HALF_OPEN');
      clock.tick(100);
      probe.reject(new Error('still down'));
      await probing;
      await settle();
      expect(a.stats().nextProbeAt, 'a fresh wait from the failed probe').to.equal(Date.now() + WAIT);
      expect(store.state(NAME)).to.deep.equal({ state: 'OPEN', remaining: WAIT });
      expect(b.stats().nextProbeAt).to.equal(Date.now() + WAIT);
    });
  });

  describe('the probe lease (askToProbe)', () => {
    /** Counts the lease requests a breaker sends through it. */
    function countingLeases(on: CircuitStore, requests: number[]): CircuitStore {
      return overridingAcquireProbe(on, (membership, lease) => (requests.push(lease), membership.acquireProbe(lease)));
    }
    /** `a` trips and, once its wait is over, starts a probe that stays in flight. */
    async function probeInFlight(a: CircuitBreaker): Promise<void> {
      await fail(a);
      await settle();
      clock.tick(WAIT);
      void a.call(() => new Promise(() => undefined));
      await settle();
      expect(a.state).to.equal('HALF_OPEN');
    }

    it('a breaker with a timeout asks for a lease of twice its timeout, so the lease outlives its probe', async () => {
      const requests: number[] = [];
      const small = countingLeases(new InMemoryCircuitStore({ probeLease: 100 }), requests);
      const a = member({ timeout: 5_000 }, small);
      const b = member({ timeout: 5_000 }, small);
      await settle();
      await probeInFlight(a); // granted for max(100, 2 * 5_000)
      expect(requests).to.deep.equal([10_000]);
      expect(((await succeed(b)) as { retryAfter: number }).retryAfter, 'refused: a holds the lease').to.equal(0);
      clock.tick(4_999);
      await succeed(b);
      expect(requests, 'no request while the lease holds').to.have.length(2);
      await clock.tickAsync(1); // a's probe times out: a failed probe, the fleet opens again
      expect(b.stats().nextProbeAt).to.equal(Date.now() + WAIT);
    });

    it('without a timeout the store decides the lease length', async () => {
      const requests: number[] = [];
      const small = countingLeases(new InMemoryCircuitStore({ probeLease: 100 }), requests);
      const a = member({}, small);
      const b = member({}, small);
      await settle();
      await probeInFlight(a);
      await succeed(b);
      clock.tick(99);
      await succeed(b);
      expect(requests).to.deep.equal([0, 0]);
      clock.tick(1);
      expect(await succeed(b), "a's lease ended: b probes").to.equal('ok');
      expect(requests).to.deep.equal([0, 0, 0]);
    });

    it('a member refused the lease refuses with retryAfter 0 and asks no more until the holder lease ends', async () => {
      const a = member();
      const b = member();
      await settle();
      await probeInFlight(a); // a holds the lease (10 s)
      await succeed(b); // b asks, is told the holder's lease has 10 s left
      await settle();
      const operations = store.operations;
      clock.tick(4_000);
      const refusal = (await succeed(b)) as { retryAfter: number };
      await settle();
      expect(refusal.retryAfter).to.equal(0);
      expect(b.state).to.equal('HALF_OPEN');
      expect(store.operations, 'no lease request before the holder lease ends').to.equal(operations);
    });

    it('a member whose wait ends after the store restarted empty learns the circuit is closed, and its call runs', async () => {
      const a = member();
      const b = member();
      await settle();
      await fail(a);
      await settle();
      store.flush();
      clock.tick(WAIT);
      const changes = changesOf(b);
      expect(await succeed(b), 'asks for the lease: the store knows no outage').to.equal('ok');
      expect(b.state).to.equal('CLOSED');
      expect(changes).to.deep.equal(['OPEN>CLOSED:store']);
    });

    it('a lease granted after the breaker decided otherwise is not acted on: the call follows the new state', async () => {
      const a = member();
      await settle();
      await fail(a);
      await settle();
      clock.tick(WAIT);
      const changes = changesOf(a);
      const asking = succeed(a); // asks for the lease
      a.reset(); // before the answer, an operator closes it
      expect(await asking, 'runs as a CLOSED call').to.equal('ok');
      await settle();
      expect(a.state).to.equal('CLOSED');
      expect(changes).to.deep.equal(['OPEN>CLOSED:reset']);
    });

    it('a store that fails the lease request lets the asking call probe alone', async () => {
      const flaky = overridingAcquireProbe(store, () => Promise.reject(new Error('store timed out')));
      const a = member({}, flaky);
      await settle();
      const changes = changesOf(a);
      await fail(a);
      await settle();
      clock.tick(WAIT);
      expect(await succeed(a)).to.equal('ok'); // asks; the store fails; probes alone
      expect(a.state).to.equal('CLOSED');
      expect(changes).to.deep.equal(['CLOSED>OPEN:threshold', 'OPEN>HALF_OPEN:reset-timeout', 'HALF_OPEN>CLOSED:probe-succeeded']);
    });

    it('after a failed lease request, the next wait asks the store again', async () => {
      let failing = true;
      const requests: number[] = [];
      const flaky = overridingAcquireProbe(store, (membership, lease) => {
        requests.push(lease);
        return failing ? Promise.reject(new Error('store timed out')) : membership.acquireProbe(lease);
      });
      const a = member({}, flaky);
      await settle();
      await fail(a);
      await settle();
      clock.tick(WAIT);
      await fail(a); // asks; the store fails; probes alone, and fails
      await settle();
      expect(a.state).to.equal('OPEN');
      failing = false;
      clock.tick(WAIT);
      expect(await succeed(a), 'asks the store, granted, probes').to.equal('ok');
      expect(requests).to.have.length(2);
      expect(a.state).to.equal('CLOSED');
    });

    it('a failed lease request answered after the breaker moved on changes nothing: the call follows the new state', async () => {
      let rejectLease!: (error: unknown) => void;
      const slow = overridingAcquireProbe(store, () => new Promise((_, reject) => (rejectLease = reject)));
      const a = member({}, slow);
      await settle();
      await fail(a);
      await settle();
      clock.tick(WAIT);
      const asking = succeed(a); // asks; no answer yet
      a.isolate();
      rejectLease(new Error('store timed out'));
      expect((await asking) as { retryAfter: number }).to.have.property('retryAfter', Infinity);
      expect(a.stats().isolated).to.equal(true);
    });

    it('while one call waits for the lease answer, other calls here are refused with retryAfter 0 and send nothing', async () => {
      const lease = deferred<ProbeLease>();
      const requests: number[] = [];
      const slow = overridingAcquireProbe(store, (_, ms) => (requests.push(ms), lease.promise));
      const a = member({}, slow);
      await settle();
      await fail(a);
      await settle();
      clock.tick(WAIT);
      const asking = succeed(a);
      const refusals = (await Promise.all([succeed(a), succeed(a)])) as { retryAfter: number }[];
      expect(refusals.map((refusal) => refusal.retryAfter)).to.deep.equal([0, 0]);
      expect(requests).to.have.length(1);
      lease.resolve({ granted: true, lease: 10_000 });
      expect(await asking).to.equal('ok');
    });

    it("a probe whose error isFailure ignores keeps the fleet's lease: the next call probes without asking", async () => {
      const ignored = new Error('not found');
      const a = new CircuitBreaker({ name: NAME, store, failureThreshold: 1, resetTimeout: WAIT, isFailure: (error) => error !== ignored });
      const b = member();
      await settle();
      await fail(a);
      await settle();
      clock.tick(WAIT);
      expect(await a.call(() => Promise.reject(ignored)).catch((error: unknown) => error)).to.equal(ignored);
      expect(a.state).to.equal('HALF_OPEN');
      expect(((await succeed(b)) as { retryAfter: number }).retryAfter, "b: a's lease holds").to.equal(0);
      clock.tick(9_999);
      const operations = store.operations;
      expect(await succeed(a)).to.equal('ok');
      expect(store.operations, 'no lease request').to.equal(operations + 1); // the close it tells the fleet
      await settle();
      expect(b.state).to.equal('CLOSED');
    });

    it('past its unused lease, the next call asks the fleet again, and probes once granted', async () => {
      const ignored = new Error('not found');
      const a = new CircuitBreaker({ name: NAME, store, failureThreshold: 1, resetTimeout: WAIT, isFailure: (error) => error !== ignored });
      const b = member();
      await settle();
      await fail(a);
      await settle();
      clock.tick(WAIT);
      await a.call(() => Promise.reject(ignored)).catch(() => undefined);
      clock.tick(10_000); // the lease ends unused
      const operations = store.operations;
      const asking = succeed(a);
      expect(store.operations, 'asks the fleet again').to.equal(operations + 1);
      expect(await asking).to.equal('ok');
      await settle();
      expect([a.state, b.state]).to.deep.equal(['CLOSED', 'CLOSED']);
    });

    it('a lease request the store never answered is forgotten once the breaker decides alone: the next wait asks again', async () => {
      let hang = true;
      const requests: number[] = [];
      const hung = overridingAcquireProbe(store, (membership, lease) => {
        requests.push(lease);
        return hang ? new Promise<never>(() => undefined) : membership.acquireProbe(lease);
      });
      const a = member({}, hung);
      await settle();
      await fail(a);
      await settle();
      clock.tick(WAIT);
      const asking = fail(a); // asks; no answer
      await clock.tickAsync(1_000); // decides alone: probes, and fails
      await asking;
      await settle();
      expect(a.state).to.equal('OPEN');
      hang = false;
      clock.tick(WAIT);
      expect(await succeed(a), 'asks the store again, granted, probes').to.equal('ok');
      expect(requests).to.have.length(2);
      expect(a.state).to.equal('CLOSED');
    });
  });

  describe('what the fleet pushes (adopt)', () => {
    it('a disabled member passes every call through whatever the fleet says', async () => {
      const a = member();
      const b = member();
      await settle();
      b.disable();
      await fail(a);
      await settle();
      expect(b.state).to.equal('CLOSED');
      expect(await succeed(b)).to.equal('ok');
      expect(b.stats().disabled).to.equal(true);
    });

    it("a member probing ignores another member's trip: its own probe's outcome decides", async () => {
      const a = member();
      const b = member();
      await settle();
      await fail(a);
      await settle();
      clock.tick(WAIT);
      const probe = deferred<string>();
      const probing = a.call(() => probe.promise); // granted the lease: probes
      await settle();
      b.disable();
      b.enable();
      await fail(b); // b trips: the fleet is OPEN again, pushed to a
      await settle();
      probe.resolve('ok');
      expect(await probing).to.equal('ok');
      await settle();
      expect(a.state).to.equal('CLOSED');
      expect(store.state(NAME)).to.deep.equal({ state: 'CLOSED' });
    });

    it('a member OPEN by the fleet reports it with reason store, the remaining wait, and no failures', async () => {
      const a = member();
      const b = member();
      await settle();
      const opens: OpenEvent[] = [];
      b.onOpen((event) => opens.push(event));
      const changes = changesOf(b);
      await fail(a);
      await settle();
      clock.tick(WAIT);
      await fail(a); // a probes and fails: the fleet re-opens
      await settle();
      expect(changes).to.deep.equal(['CLOSED>OPEN:store']);
      expect(opens).to.deep.equal([{ breaker: NAME, reason: 'store', failures: 0, resetTimeout: WAIT, probeAt: WAIT }]);
      expect(b.stats().opened, 'a re-read wait is not a new opening').to.equal(1);
      expect(b.stats().nextProbeAt).to.equal(2 * WAIT);
    });

    it('a late joiner that learns the wait left reports that wait', async () => {
      const a = member();
      await settle();
      await fail(a);
      await settle();
      clock.tick(400);
      const late = member();
      const opens: OpenEvent[] = [];
      late.onOpen((event) => opens.push(event));
      await settle();
      expect(opens).to.have.length(1);
      expect(opens[0]).to.include({ reason: 'store', failures: 0, resetTimeout: WAIT - 400, probeAt: Date.now() + WAIT - 400 });
      expect(opens[0]).to.not.have.property('error');
    });

    it("a CLOSED member opened by the fleet counts the opening and forgets its own failures", async () => {
      const a = member({ failureThreshold: 2 });
      const b = member({ failureThreshold: 2 });
      await settle();
      await fail(b); // one failure of two
      expect(b.stats().consecutiveFailures).to.equal(1);
      await fail(a);
      await fail(a); // a trips
      await settle();
      expect(b.state).to.equal('OPEN');
      expect(b.stats()).to.include({ opened: 1, consecutiveFailures: 0 });
      clock.tick(WAIT);
      await succeed(b); // b is granted the lease
      await settle();
      expect(await succeed(b)).to.equal('ok');
      await settle();
      expect(b.state).to.equal('CLOSED');
      await fail(b);
      expect(b.state, 'one failure after closing: the earlier one was forgotten').to.equal('CLOSED');
    });

    it('a fleet-wide reset ends an isolation here: its old handle releases nothing, a new isolation has its own', async () => {
      const a = member({ failureThreshold: 2 });
      const b = member({ failureThreshold: 2 });
      await settle();
      await fail(a); // one failure, kept while isolated
      const old = a.isolate();
      await settle();
      const changes = changesOf(a);
      b.reset(); // the fleet closes
      await settle();
      expect(a.state).to.equal('CLOSED');
      expect(changes).to.deep.equal(['OPEN>CLOSED:store']);
      await fail(a);
      expect(a.state, 'the failure before the isolation was forgotten').to.equal('CLOSED');
      const fresh = a.isolate();
      old.dispose();
      expect(a.state, 'the old handle releases nothing').to.equal('OPEN');
      fresh.dispose();
      expect(a.state, 'the new handle releases its isolation').to.equal('CLOSED');
    });

    it('an isolation released elsewhere into OPEN ends here too: a new isolation is released by its own handle', async () => {
      const a = member();
      const b = member();
      await settle();
      await fail(b); // the fleet is OPEN
      await settle();
      const release = b.isolate();
      await settle();
      const old = a.isolate();
      await settle();
      release.dispose(); // the operator releases the fleet from b: OPEN, the probe due
      await settle();
      expect(a.stats()).to.include({ state: 'OPEN', isolated: false });
      const fresh = a.isolate();
      fresh.dispose();
      expect(a.stats().isolated, 'the new handle releases its isolation').to.equal(false);
      const again = a.isolate();
      old.dispose();
      expect(a.stats().isolated, 'the old handle releases nothing').to.equal(true);
      again.dispose();
      expect(a.stats().isolated).to.equal(false);
    });

    it('an isolated member whose store restarted empty isolates the fleet again', async () => {
      const a = member();
      const b = member();
      await settle();
      a.isolate();
      await settle();
      store.flush();
      store.reconnect();
      await settle();
      expect(store.state(NAME)).to.deep.equal({ state: 'ISOLATED' });
      expect(a.stats().isolated).to.equal(true);
      expect(b.stats().isolated).to.equal(true);
    });

    it('a member that tripped while the store was down tells it the wait left when it is back', async () => {
      const a = member();
      const b = member();
      await settle();
      store.available = false;
      await fail(a);
      clock.tick(300);
      store.reconnect();
      await settle();
      expect(store.state(NAME)).to.deep.equal({ state: 'OPEN', remaining: WAIT - 300 });
      expect(a.stats().nextProbeAt).to.equal(Date.now() + WAIT - 300);
      expect(b.stats().nextProbeAt).to.equal(Date.now() + WAIT - 300);
    });

    it('an isolation pushed by the fleet is reported once, with reason store', async () => {
      const a = member();
      const b = member();
      await settle();
      const changes = changesOf(b);
      a.isolate();
      await settle();
      store.reconnect(); // b re-reads ISOLATED: nothing new
      await settle();
      expect(changes).to.deep.equal(['CLOSED>OPEN:store']);
      expect(b.stats().isolated).to.equal(true);
    });

    it("a CLOSED member keeps its own failure count when a probe closes the fleet, and its calls in flight count", async () => {
      const a = member({ failureThreshold: 2, resetTimeout: 1_000 });
      const b = member({ failureThreshold: 2, resetTimeout: 1_000 });
      await settle();
      await fail(a);
      await fail(a); // a trips: the fleet OPEN
      await settle();
      b.disable();
      b.enable(); // b alone: CLOSED again, the fleet still OPEN
      await fail(b); // one of two
      const slow = deferred<never>();
      const inFlight = b.call(() => slow.promise).catch((error: unknown) => error);
      clock.tick(1_000);
      await a.call(() => Promise.resolve('ok')); // a probes and closes the fleet: b was CLOSED already
      await settle();
      expect(a.state).to.equal('CLOSED');
      expect(b.stats().consecutiveFailures).to.equal(1);
      slow.reject(new Error('down'));
      await inFlight;
      expect(b.state, 'the call in flight counted: the second failure trips').to.equal('OPEN');
    });

    it("an operator's reset in one member is a reset() in a CLOSED one: its count empties, its calls in flight come late", async () => {
      const a = member({ failureThreshold: 2 });
      const b = member({ failureThreshold: 2 });
      await settle();
      await fail(b); // one of two
      const slow = deferred<never>();
      const inFlight = b.call(() => slow.promise).catch((error: unknown) => error);
      a.reset();
      await settle();
      expect(b.stats().consecutiveFailures).to.equal(0);
      slow.reject(new Error('down'));
      await inFlight;
      expect(b.state).to.equal('CLOSED');
      expect(b.stats().lateOutcomes).to.equal(1);
    });

    it('a member granted the lease, not yet probing again, closes when its restarted store says CLOSED', async () => {
      const ignored = new Error('not found');
      const a = new CircuitBreaker({ name: NAME, store, failureThreshold: 1, resetTimeout: WAIT, isFailure: (error) => error !== ignored });
      await settle();
      await fail(a);
      await settle();
      clock.tick(WAIT);
      const changes = changesOf(a);
      expect(await a.call(() => Promise.reject(ignored)).catch((error: unknown) => error)).to.equal(ignored); // the probe decided nothing
      expect(changes).to.deep.equal(['OPEN>HALF_OPEN:reset-timeout']);
      store.flush();
      store.reconnect();
      await settle();
      expect(a.state).to.equal('CLOSED');
    });
  });

  describe('what the breaker tells the store (tellOpened, tellClosed, tellIsolated)', () => {
    /** A store that records what its members tell it (a custom CircuitStore sees the same calls). */
    function recording(told: string[]): CircuitStore {
      return storeWith(store, (membership) => ({
        open: (wait, by) => (told.push(`open ${wait} ${by}`), membership.open(wait, by)),
        acquireProbe: (lease) => (told.push(`acquireProbe ${lease}`), membership.acquireProbe(lease)),
        close: (by) => (told.push(`close ${by}`), membership.close(by)),
        isolate: () => (told.push('isolate'), membership.isolate()),
      }));
    }

    it('says who: a trip, a failed or successful probe, an operator', async () => {
      const told: string[] = [];
      const a = member({}, recording(told));
      await settle();
      await fail(a);
      await settle();
      clock.tick(WAIT);
      await fail(a); // asks for the lease; the probe fails
      await settle();
      clock.tick(WAIT);
      await succeed(a); // asks for the lease; the probe succeeds
      await settle();
      const handle = a.isolate();
      handle.dispose(); // released from CLOSED
      await fail(a);
      a.isolate().dispose(); // released from OPEN: the probe is due
      a.reset();
      await settle();
      expect(told).to.deep.equal([
        `open ${WAIT} trip`,
        'acquireProbe 0',
        `open ${WAIT} probe`,
        'acquireProbe 0',
        'close probe',
        'isolate',
        'close operator',
        `open ${WAIT} trip`,
        'isolate',
        'open 0 operator',
        'close operator',
      ]);
    });

    it('a member back from a store outage tells it the wait left as a trip', async () => {
      const told: string[] = [];
      const a = member({}, recording(told));
      await settle();
      store.available = false;
      await fail(a);
      clock.tick(250);
      store.reconnect();
      await settle();
      expect(told).to.deep.equal([`open ${WAIT - 250} trip`]);
    });
  });

  describe('switching stores', () => {
    afterEach(() => setCircuitBreakerDefaults({}));

    it('a named decorated breaker given another default store leaves the first one too', async () => {
      const other = new InMemoryCircuitStore();
      setCircuitBreakerDefaults({ store });
      class Payments {
        @CircuitBreaker({ name: 'payments-named', failureThreshold: 1, resetTimeout: WAIT })
        async charge(): Promise<string> {
          return 'charged';
        }
      }
      const payments = new Payments();
      const b = getCircuitBreaker(payments, 'charge');
      const first = new CircuitBreaker({ name: 'payments-named', store, failureThreshold: 1 });
      await settle();
      setCircuitBreakerDefaults({ store: other });
      await settle();
      await fail(first);
      await settle();
      expect(b.state, 'the first store no longer reaches b').to.equal('CLOSED');
    });

    it('a decorated breaker given another default store leaves the first one: its trips no longer reach it', async () => {
      const other = new InMemoryCircuitStore();
      setCircuitBreakerDefaults({ store });
      class Payments {
        @CircuitBreaker({ failureThreshold: 1, resetTimeout: WAIT })
        async charge(): Promise<string> {
          return 'charged';
        }
      }
      const payments = new Payments();
      const b = getCircuitBreaker(payments, 'charge');
      const first = new CircuitBreaker({ name: 'Payments#charge', store, failureThreshold: 1 });
      await settle();
      setCircuitBreakerDefaults({ store: other }); // b was never called: it takes the new default
      await settle();
      await fail(first);
      await settle();
      expect(b.state, 'the first store no longer reaches b').to.equal('CLOSED');
      expect(await payments.charge()).to.equal('charged');
      const second = new CircuitBreaker({ name: 'Payments#charge', store: other, failureThreshold: 1 });
      await settle();
      await fail(second);
      await settle();
      expect(b.state, 'the new store does').to.equal('OPEN');
    });
  });
});
