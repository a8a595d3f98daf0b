import { expect } from 'chai';
import sinon from 'sinon';
import { InMemoryCircuitStore, type FleetState, type FleetUpdate } from '../../src';
import { describeCircuitStoreContract } from './contract';

// The contract under a clock the spec moves itself: every remaining wait is exact (no slack).
describeCircuitStoreContract('InMemoryCircuitStore', () => {
  let now = 1_000;
  return {
    makeStore: ({ probeLease } = {}) => new InMemoryCircuitStore({ clock: () => now, probeLease }),
    advance: async (ms) => {
      now += ms;
    },
    settle: () => new Promise((resolve) => setImmediate(resolve)),
    slack: 0,
  };
});

/** What only the in-memory store does: the outages and restarts specs stage with it. */
describe('InMemoryCircuitStore: staging an outage or a restart', () => {
  let now: number;
  let store: InMemoryCircuitStore;
  const heard: [string, FleetState, FleetUpdate][] = [];
  const join = (who: string, name = 'api') => store.join(name, (fleet, update) => heard.push([who, fleet, update]));
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  beforeEach(() => {
    now = 1_000;
    heard.length = 0;
    store = new InMemoryCircuitStore({ clock: () => now, probeLease: 500 });
  });

  it('fails every operation while unavailable, counting it; reconnect() re-syncs every member', async () => {
    const a = join('a');
    await settle();
    heard.length = 0;
    store.available = false;
    expect(a.available).to.equal(false);
    const before = store.operations;
    for (const operation of [() => a.open(1, 'probe'), () => a.acquireProbe(0), () => a.close('operator'), () => a.isolate()]) {
      let failed = false;
      await operation().catch((error: Error) => (failed = error.message.includes('unavailable')));
      expect(failed).to.equal(true);
    }
    expect(store.operations - before).to.equal(4);
    store.reconnect();
    await settle();
    expect(heard).to.deep.equal([['a', { state: 'CLOSED' }, 'sync']]);
  });

  it('flush() forgets every circuit, as a restarted Redis without persistence', async () => {
    const a = join('a');
    await a.open(1_000, 'probe');
    expect(store.state('api')).to.deep.equal({ state: 'OPEN', remaining: 1_000 });
    now += 5_000;
    expect(store.state('api'), 'remaining never below 0').to.deep.equal({ state: 'OPEN', remaining: 0 });
    store.flush();
    expect(store.state('api')).to.deep.equal({ state: 'CLOSED' });
    expect(await a.acquireProbe(0)).to.deep.include({ granted: false, retryIn: 0 });
  });

  it('forgets a circuit nobody is in once CLOSED (keys of a keyed breaker come and go); an OPEN one once its wait is over; an isolation stays', async () => {
    for (let key = 0; key < 1_000; key++) join('k', `api[${key}]`).leave();
    expect(store.size).to.equal(0);
    const open = join('a', 'open');
    await open.open(1_000, 'probe');
    open.leave();
    expect(store.size, 'OPEN, its wait running: a member joining now must start OPEN').to.equal(1);
    expect(store.state('open')).to.deep.equal({ state: 'OPEN', remaining: 1_000 });
    const again = join('b', 'open');
    now += 1_000;
    again.leave();
    expect(store.size, 'OPEN, its wait over').to.equal(0);
    const isolated = join('c', 'isolated');
    await isolated.isolate();
    isolated.leave();
    expect(store.state('isolated')).to.deep.equal({ state: 'ISOLATED' });
  });

  it('flush() forgets the quorum\'s trips and the window too', async () => {
    const [a, b] = [join('a'), join('b')];
    const window = { duration: 10_000, buckets: 10 } as const;
    await a.addToWindow!({ calls: 5, failures: 5, slow: 0 }, window);
    expect(await a.trip!(1_000, 'trip', 2, 10_000)).to.equal(undefined);
    store.flush();
    expect(await b.trip!(1_000, 'trip', 2, 10_000), "a's trip is gone").to.equal(undefined);
    expect(await b.addToWindow!({ calls: 0, failures: 0, slow: 0 }, window)).to.deep.equal({ calls: 0, failures: 0, slow: 0 });
  });

  it('forgets a circuit closed before its wait was over; a member leaving twice forgets no newer circuit of the name', async () => {
    const a = join('a', 'early');
    await a.open(1_000, 'trip');
    await a.close('probe');
    a.leave();
    expect(store.size, 'CLOSED: its old wait tells nothing').to.equal(0);
    const b = join('b', 'early');
    await b.open(1_000, 'trip');
    a.leave();
    expect(store.state('early')).to.deep.equal({ state: 'OPEN', remaining: 1_000 });
  });

  it('keeps no circuit for reading the state of one nobody is in (a dashboard polling names)', () => {
    for (let key = 0; key < 100; key++) expect(store.state(`polled[${key}]`)).to.deep.equal({ state: 'CLOSED' });
    expect(store.size).to.equal(0);
  });
});

describe('InMemoryCircuitStore: joining while it is down', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  const heard = () => {
    const got: [FleetState, FleetUpdate][] = [];
    return { got, onFleet: (fleet: FleetState, update: FleetUpdate) => void got.push([fleet, update]) };
  };

  it('a member that joins while the store is down hears no sync until it reconnects', async () => {
    const store = new InMemoryCircuitStore();
    store.available = false;
    const { got, onFleet } = heard();
    store.join('api', onFleet);
    await clock.tickAsync(0);
    expect(got).to.deep.equal([]);
    store.reconnect();
    await clock.tickAsync(0);
    expect(got).to.deep.equal([[{ state: 'CLOSED' }, 'sync']]);
  });
});
