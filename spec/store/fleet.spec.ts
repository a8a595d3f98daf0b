/**
 * The fleet rules of DESIGN.md, with several breakers of one name sharing an
 * InMemoryCircuitStore under sinon's fake clock: each breaker stands for a process.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, InMemoryCircuitStore, isCircuitBreakerOpenException, type CircuitStore } from '../../src';
import { deferred } from '../support/helpers';

const WAIT = 1_000;

describe('fleet: breakers sharing a circuit through a store', () => {
  let clock: sinon.SinonFakeTimers;
  let store: InMemoryCircuitStore;
  let dependency: sinon.SinonStub;

  beforeEach(() => {
    clock = sinon.useFakeTimers();
    store = new InMemoryCircuitStore();
    dependency = sinon.stub().resolves('ok');
  });
  afterEach(() => clock.restore());

  /** Lets pushes and store replies (microtasks) arrive. */
  const settle = () => clock.tickAsync(0);
  const member = (name = 'payments-api') => new CircuitBreaker({ name, store, failureThreshold: 2, resetTimeout: WAIT });
  const fleetOf = async (n: number) => {
    const members = Array.from({ length: n }, () => member());
    await settle();
    return members;
  };
  const call = (breaker: CircuitBreaker) => breaker.call(() => dependency()).catch((error: unknown) => error);
  async function trip(breaker: CircuitBreaker): Promise<void> {
    dependency.rejects(new Error('down'));
    await call(breaker);
    await call(breaker);
    dependency.resolves('ok');
    await settle();
  }

  describe('CLOSED', () => {
    it('calls send the store nothing', async () => {
      const [a] = await fleetOf(1);
      const before = store.operations;
      for (let i = 0; i < 100; i++) await call(a!);
      expect(store.operations).to.equal(before);
      expect(dependency.callCount).to.equal(100);
    });

    it('counts failures per process: one failure in each of two processes trips nothing', async () => {
      const [a, b] = await fleetOf(2);
      dependency.rejects(new Error('down'));
      await call(a!);
      await call(b!);
      await settle();
      expect([a!.state, b!.state]).to.deep.equal(['CLOSED', 'CLOSED']);
    });
  });

  describe('a trip', () => {
    it('opens every member, which refuse without invoking', async () => {
      const [a, b, c, d] = await fleetOf(4);
      await trip(a!);
      expect([a, b, c, d].map((m) => m!.state)).to.deep.equal(['OPEN', 'OPEN', 'OPEN', 'OPEN']);
      const calls = dependency.callCount;
      const refusals = await Promise.all([b, c, d].map((m) => call(m!)));
      expect(refusals.every(isCircuitBreakerOpenException)).to.equal(true);
      expect(dependency.callCount).to.equal(calls);
    });

    it('gives the others the remaining wait, not a clock time', async () => {
      const [a, b] = await fleetOf(2);
      await trip(a!);
      expect(b!.stats().nextProbeAt).to.equal(Date.now() + WAIT);
    });
  });

  describe('the probe', () => {
    it('the first call after the wait probes, for a lone member too: it waits for the lease, then invokes', async () => {
      const [a] = await fleetOf(1);
      await trip(a!);
      clock.tick(WAIT);
      const calls = dependency.callCount;
      expect(await call(a!)).to.equal('ok');
      expect(dependency.callCount).to.equal(calls + 1);
      expect(a!.state).to.equal('CLOSED');
    });

    it('when the wait is over, a burst over all members invokes the dependency exactly once', async () => {
      const members = await fleetOf(4);
      await trip(members[0]!);
      clock.tick(WAIT);
      const calls = dependency.callCount;
      const probe = deferred<string>();
      dependency.returns(probe.promise);
      const burst = [];
      for (let i = 0; i < 1_000; i++) burst.push(call(members[i % members.length]!));
      await settle();
      expect(dependency.callCount - calls).to.equal(1);
      probe.resolve('ok');
      const outcomes = await Promise.all(burst);
      expect(outcomes.filter((outcome) => outcome === 'ok')).to.have.length(1);
      expect(dependency.callCount - calls).to.equal(1);
    });

    it('while a probe is in flight anywhere, a refusal says retry at once (retryAfter 0) and the state is HALF_OPEN', async () => {
      const [a, b] = await fleetOf(2);
      await trip(a!);
      clock.tick(WAIT);
      const probe = deferred<string>();
      dependency.returns(probe.promise);
      const probing = call(b!); // b probes
      await settle();
      const refusal = (await call(a!)) as { retryAfter: number };
      expect(isCircuitBreakerOpenException(refusal)).to.equal(true);
      expect(refusal.retryAfter).to.equal(0);
      expect(a!.state).to.equal('HALF_OPEN');
      clock.tick(5_000); // a slow probe, well inside its lease
      expect(((await call(a!)) as { retryAfter: number }).retryAfter).to.equal(0);
      probe.resolve('ok');
      await probing;
      await settle();
      expect([a!.state, b!.state]).to.deep.equal(['CLOSED', 'CLOSED']);
    });

    it('a successful probe closes the circuit everywhere', async () => {
      const members = await fleetOf(3);
      await trip(members[0]!);
      clock.tick(WAIT);
      expect(await call(members[1]!)).to.equal('ok');
      await settle();
      expect(members.map((m) => m.state)).to.deep.equal(['CLOSED', 'CLOSED', 'CLOSED']);
      expect(store.state('payments-api')).to.deep.equal({ state: 'CLOSED' });
    });

    it('a failed probe re-opens it everywhere with a fresh wait', async () => {
      const members = await fleetOf(3);
      await trip(members[0]!);
      clock.tick(WAIT);
      dependency.rejects(new Error('still down'));
      await Promise.all(members.map((m) => call(m)));
      await settle();
      expect(dependency.callCount).to.equal(3); // two trips + one probe
      expect(members.map((m) => m.state)).to.deep.equal(['OPEN', 'OPEN', 'OPEN']);
      for (const m of members) expect(m.stats().nextProbeAt).to.equal(Date.now() + WAIT);
    });

    it('a prober that dies mid-probe frees the lease when it expires, and another probes', async () => {
      const [a, b] = await fleetOf(2);
      await trip(a!);
      clock.tick(WAIT);
      dependency.returns(new Promise(() => undefined));
      void call(a!); // a probes, then "dies": its outcome never comes
      await settle();
      dependency.resolves('ok');
      expect(((await call(b!)) as { retryAfter: number }).retryAfter, 'lease held').to.equal(0);
      clock.tick(9_999);
      expect(isCircuitBreakerOpenException(await call(b!))).to.equal(true);
      clock.tick(1); // the lease (probeLease, 10 s) ends
      expect(await call(b!)).to.equal('ok');
      await settle();
      expect(b!.state).to.equal('CLOSED');
    });

    describe('traffic that pauses', () => {
      it('calls 15 s apart, a 30 s wait, a 10 s lease: the first call after the wait probes and closes', async () => {
        const a = new CircuitBreaker({ name: 'payments-api', store, failureThreshold: 1, resetTimeout: 30_000 });
        await settle();
        dependency.rejects(new Error('down'));
        await call(a);
        dependency.resolves('ok');
        const outcomes: unknown[] = [];
        for (let i = 0; i < 4; i++) {
          clock.tick(15_000);
          outcomes.push(await call(a));
          await settle();
        }
        expect(isCircuitBreakerOpenException(outcomes[0])).to.equal(true); // 15 s: still waiting
        expect(outcomes.slice(1)).to.deep.equal(['ok', 'ok', 'ok']); // 30 s: probes and closes
        expect(a.state).to.equal('CLOSED');
      });

      it('a member that gets one call after the wait and then no traffic does not stall the others', async () => {
        const [a, b] = await fleetOf(2);
        await trip(a!);
        clock.tick(WAIT);
        expect(await call(b!)).to.equal('ok'); // b's one call is the probe
        await settle();
        for (let i = 0; i < 10; i++) {
          clock.tick(100);
          expect(await call(a!)).to.equal('ok'); // a serves everything from then on
        }
      });

      it('a burst after a quiet spell of minutes: one probe, then every call passes', async () => {
        const [a, b] = await fleetOf(2);
        await trip(a!);
        clock.tick(5 * 60_000);
        const calls = dependency.callCount;
        const burst = [a, b, a, b].map((m) => call(m!));
        const outcomes = await Promise.all(burst);
        expect(dependency.callCount - calls).to.equal(1);
        await settle();
        expect(await Promise.all([call(a!), call(b!)])).to.deep.equal(['ok', 'ok']);
        expect(outcomes.filter((outcome) => outcome === 'ok')).to.have.length(1);
      });
    });
  });

  it('a member that starts during the outage starts OPEN', async () => {
    const [a] = await fleetOf(1);
    await trip(a!);
    clock.tick(300);
    const late = member();
    await settle();
    expect(late.state).to.equal('OPEN');
    expect(late.stats().nextProbeAt).to.equal(Date.now() + WAIT - 300);
  });

  it('isolate and reset act fleet-wide', async () => {
    const [a, b] = await fleetOf(2);
    const handle = a!.isolate();
    await settle();
    expect(b!.state).to.equal('OPEN');
    expect((await call(b!)) as { retryAfter: number }).to.have.property('retryAfter', Infinity);
    handle.dispose();
    await settle();
    expect(b!.state).to.equal('CLOSED');
    b!.isolate();
    await settle();
    a!.reset();
    await settle();
    expect(b!.state).to.equal('CLOSED');
  });

  it('a reset in one member is a reset() in every member: the count of a CLOSED member empties too', async () => {
    const [a, b] = await fleetOf(2);
    dependency.rejects(new Error('down'));
    await call(b!); // one failure of two in b
    a!.reset();
    await settle();
    await call(b!); // a first failure again, not a second
    await settle();
    expect(b!.state).to.equal('CLOSED');
    expect(b!.stats().consecutiveFailures).to.equal(1);
    await call(b!);
    await settle();
    expect(b!.state).to.equal('OPEN');
  });

  it('a reset elsewhere closes a member whose probe is in flight, as reset() there would', async () => {
    const [a, b] = await fleetOf(2);
    await trip(a!);
    clock.tick(WAIT);
    const probe = deferred<string>();
    dependency.returns(probe.promise);
    const probing = call(b!); // b holds the lease and probes
    await settle();
    expect(b!.state).to.equal('HALF_OPEN');
    a!.reset();
    await settle();
    expect(b!.state).to.equal('CLOSED');
    probe.resolve('ok');
    expect(await probing).to.equal('ok');
    expect(b!.stats().lateOutcomes).to.equal(1); // the probe's outcome came from the period before the reset
  });

  describe('a store that is down', () => {
    it('never fails a call; a lone breaker still trips and recovers by itself', async () => {
      const [a, b] = await fleetOf(2);
      store.available = false;
      await trip(a!);
      expect(a!.state).to.equal('OPEN');
      expect(b!.state).to.equal('CLOSED'); // nothing reached it
      clock.tick(WAIT);
      expect(await a!.call(() => dependency())).to.equal('ok'); // probes alone, at once
      expect(a!.state).to.equal('CLOSED');
    });

    it('catches up when the store is back: a member that tripped alone tells the fleet', async () => {
      const [a, b] = await fleetOf(2);
      store.available = false;
      await trip(a!);
      store.reconnect();
      await settle();
      expect(b!.state).to.equal('OPEN');
    });
  });

  it('rejects a plain breaker with a store but no name, and a store that is not one', () => {
    expect(() => new CircuitBreaker({ store })).to.throw(TypeError, /name/);
    expect(() => new CircuitBreaker({ name: 'x', store: {} as never })).to.throw(TypeError, /store/);
  });

  it('decorated methods share by Class#method', async () => {
    class Payments {
      @CircuitBreaker({ failureThreshold: 1, resetTimeout: WAIT, store })
      async charge(): Promise<string> {
        return dependency();
      }
    }
    const other = new CircuitBreaker({ name: 'Payments#charge', store });
    const payments = new Payments();
    await settle();
    dependency.rejects(new Error('down'));
    await payments.charge().catch(() => undefined);
    await settle();
    expect(other.state).to.equal('OPEN');
  });

  describe('an operator and a probe', () => {
    it("a probe that succeeds elsewhere does not end an operator's isolation", async () => {
      const [a, b] = await fleetOf(2);
      await trip(a!);
      clock.tick(WAIT);
      const probe = deferred<string>();
      const probing = b!.call(() => probe.promise); // b is granted the lease; its probe is in flight
      await settle();
      expect(b!.state).to.equal('HALF_OPEN');
      a!.isolate(); // meanwhile an operator isolates the circuit from a
      await settle();
      expect(b!.state).to.equal('OPEN'); // b heard it, even mid-probe
      probe.resolve('ok');
      await probing;
      await settle();
      expect(store.state('payments-api')).to.deep.equal({ state: 'ISOLATED' });
      expect([a!.state, b!.state]).to.deep.equal(['OPEN', 'OPEN']);
      expect(a!.stats().isolated).to.equal(true);
    });
  });

  it('a store that never answers a lease request: the asking call probes alone after a bounded wait, others are refused meanwhile', async () => {
    const hanging: CircuitStore = {
      join: (name, onFleet) => ({ ...store.join(name, onFleet), available: true, acquireProbe: () => new Promise<never>(() => undefined) }),
    };
    const a = new CircuitBreaker({ name: 'payments-api', store: hanging, failureThreshold: 2, resetTimeout: WAIT });
    await settle();
    await trip(a);
    clock.tick(WAIT);
    let outcome: unknown;
    void call(a).then((value) => (outcome = value)); // asks; no answer
    await settle();
    expect(((await call(a)) as { retryAfter: number }).retryAfter, 'another call meanwhile').to.equal(0);
    await clock.tickAsync(999);
    expect(outcome).to.equal(undefined);
    await clock.tickAsync(1);
    expect(outcome, 'decided alone').to.equal('ok');
    expect(a.state).to.equal('CLOSED');
  });

  it("a breaker named 'circuit-breaker' with a store joins like any other name", async () => {
    const a = new CircuitBreaker({ name: 'circuit-breaker', store, failureThreshold: 1 });
    const b = new CircuitBreaker({ name: 'circuit-breaker', store, failureThreshold: 1 });
    await settle();
    await b.call(() => Promise.reject(new Error('down'))).catch(() => undefined);
    await settle();
    expect(a.state).to.equal('OPEN');
  });
});
