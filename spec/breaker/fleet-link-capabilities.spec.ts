/**
 * What a breaker asks of its store, and when it does not ask (src/breaker/fleet-link.ts): nothing while the
 * store is away (every command would fail), no trip() or addToWindow() of a store that has none (the member
 * decides alone), no timer left once the lease is answered, and a member OPEN alone below the quorum keeps its
 * own wait when the store re-syncs. Several breakers of one name share an InMemoryCircuitStore under sinon's
 * fake clock, each standing for a process; the fleet rules themselves: spec/store/fleet.spec.ts.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, InMemoryCircuitStore, type CircuitStore, type StateChangeEvent } from '../../src';
import { storeWith } from '../support/stores';

const WAIT = 1_000;
/** The real one: sinon's fake clock replaces the global while a spec runs. */
const realSetImmediate = setImmediate;
const NAME = 'orders-api';

describe('fleet link: what a breaker asks of its store', () => {
  let clock: sinon.SinonFakeTimers;
  let store: InMemoryCircuitStore;

  beforeEach(() => {
    clock = sinon.useFakeTimers();
    store = new InMemoryCircuitStore();
  });
  afterEach(() => clock.restore());

  const settle = () => clock.tickAsync(0);
  const fail = (breaker: CircuitBreaker) => breaker.call(() => Promise.reject(new Error('down'))).catch((error: unknown) => error);
  const succeed = (breaker: CircuitBreaker) => breaker.call(() => Promise.resolve('ok')).catch((error: unknown) => error);
  const changesOf = (breaker: CircuitBreaker) => {
    const changes: string[] = [];
    breaker.onStateChange(({ from, to, reason }: StateChangeEvent) => changes.push(`${from}>${to}:${reason}`));
    return changes;
  };
  /** The store without its optional trip() and addToWindow() (a third-party store). */
  const basic = (of: CircuitStore): CircuitStore => storeWith(of, () => ({ trip: undefined, addToWindow: undefined }));

  describe('a store that is away is not asked', () => {
    it('a trip, with or without a quorum, sends nothing', async () => {
      const plain = new CircuitBreaker({ name: NAME, store, failureThreshold: 1, resetTimeout: WAIT });
      const quorate = new CircuitBreaker({ name: 'quorate', store, failureThreshold: 1, resetTimeout: WAIT, quorum: 2 });
      await settle();
      store.available = false;
      const before = store.operations;
      await fail(plain);
      await fail(quorate);
      await settle();
      expect([plain.state, quorate.state]).to.deep.equal(['OPEN', 'OPEN']);
      expect(store.operations - before).to.equal(0);
    });

    it('a probe that closes the circuit, and an isolation, send nothing', async () => {
      const breaker = new CircuitBreaker({ name: NAME, store, failureThreshold: 1, resetTimeout: WAIT });
      await settle();
      store.available = false;
      await fail(breaker);
      clock.tick(WAIT);
      const before = store.operations;
      expect(await succeed(breaker)).to.equal('ok');
      expect(breaker.state).to.equal('CLOSED');
      breaker.isolate();
      await settle();
      expect(breaker.state).to.equal('OPEN');
      expect(store.operations - before).to.equal(0);
    });
  });

  describe("a store without the optional commands", () => {
    it('without trip(), a quorum cannot be counted: a trip opens the fleet at once', async () => {
      const a = new CircuitBreaker({ name: NAME, store: basic(store), failureThreshold: 1, resetTimeout: WAIT, quorum: 2 });
      const b = new CircuitBreaker({ name: NAME, store: basic(store), failureThreshold: 1, resetTimeout: WAIT, quorum: 2 });
      await settle();
      await fail(a);
      await settle();
      expect([a.state, b.state]).to.deep.equal(['OPEN', 'OPEN']);
      expect(a.stats().alone).to.equal(false);
    });

    it('without addToWindow(), a time-window rate decides on the member\'s own window', async () => {
      const breaker = new CircuitBreaker({
        name: NAME,
        store: basic(store),
        resetTimeout: WAIT,
        failureRate: { threshold: 0.5, minimumCalls: 4, window: { duration: 10_000, buckets: 10 } },
      });
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        await settle();
        for (let i = 0; i < 3; i++) {
          expect(await succeed(breaker)).to.equal('ok');
          clock.tick(1_000); // buckets roll over: a fleet window would send
        }
        for (let i = 0; i < 2; i++) expect(await fail(breaker)).to.have.property('message', 'down');
        expect(breaker.state).to.equal('CLOSED', '2 of 5');
        expect(await fail(breaker)).to.have.property('message', 'down');
        await settle();
        expect(breaker.state).to.equal('OPEN', '3 of 6');
        await new Promise((resolve) => realSetImmediate(resolve)); // unhandled rejections are reported then
        expect(unhandled).to.deep.equal([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });
  });

  it('once the lease is answered, no timer is left', async () => {
    const breaker = new CircuitBreaker({ name: NAME, store, failureThreshold: 1, resetTimeout: WAIT });
    await settle();
    await fail(breaker);
    await settle();
    clock.tick(WAIT);
    expect(await succeed(breaker)).to.equal('ok');
    await settle();
    expect(breaker.state).to.equal('CLOSED');
    expect(clock.countTimers()).to.equal(0);
  });

  it('a member OPEN alone below the quorum keeps its wait when the store re-syncs a CLOSED fleet, and tells it nothing', async () => {
    const a = new CircuitBreaker({ name: NAME, store, failureThreshold: 1, resetTimeout: WAIT, quorum: 2 });
    const b = new CircuitBreaker({ name: NAME, store, failureThreshold: 1, resetTimeout: WAIT, quorum: 2 });
    await settle();
    await fail(a);
    await settle();
    expect([a.state, b.state]).to.deep.equal(['OPEN', 'CLOSED']);
    const changes = changesOf(a);
    store.reconnect();
    await settle();
    expect([a.state, b.state]).to.deep.equal(['OPEN', 'CLOSED']);
    expect(store.state(NAME).state).to.equal('CLOSED');
    expect(changes).to.deep.equal([]);
  });

  it("a member probing turns ISOLATED when an operator isolates the fleet: only isolation overrides its probe", async () => {
    const a = new CircuitBreaker({ name: NAME, store, failureThreshold: 1, resetTimeout: WAIT });
    const b = new CircuitBreaker({ name: NAME, store, failureThreshold: 1, resetTimeout: WAIT });
    await settle();
    await fail(a);
    await settle();
    clock.tick(WAIT);
    let release!: () => void;
    const probing = a.call(() => new Promise<string>((resolve) => (release = () => resolve('ok'))));
    await settle();
    expect(a.state).to.equal('HALF_OPEN');
    b.isolate();
    await settle();
    expect(a.stats().isolated).to.equal(true);
    release();
    await probing;
  });
});
