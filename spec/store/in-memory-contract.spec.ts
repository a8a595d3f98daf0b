import { expect } from 'chai';
import { InMemoryCircuitStore } from '../../src';
import type { FleetState, FleetUpdate } from '../../src';

/** The store contract, asked directly: what a member is told and answered, without a breaker in between. */
describe('InMemoryCircuitStore: the membership contract', () => {
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

  it('tells a new member the current state once connected ("sync"), and defaults to Date.now and a 10 s lease', async () => {
    const a = join('a');
    expect(a.available).to.equal(true);
    await settle();
    expect(heard).to.deep.equal([['a', { state: 'CLOSED' }, 'sync']]);
    const plain = new InMemoryCircuitStore();
    const m = plain.join('x', () => undefined);
    await m.open(0, 'probe');
    expect(await m.acquireProbe(0)).to.deep.equal({ granted: true, lease: 10_000 });
    const other = (await plain.join('x', () => undefined).acquireProbe(0)) as { granted: false; retryIn: number };
    expect(other.granted).to.equal(false);
    expect(other.retryIn).to.be.within(9_000, 10_000);
  });

  it('refuses the probe lease while CLOSED, ISOLATED, or before the wait is over', async () => {
    const a = join('a');
    expect(await a.acquireProbe(0)).to.deep.equal({ granted: false, fleet: { state: 'CLOSED' }, retryIn: 0 });
    expect(await a.open(300, 'probe')).to.equal(300);
    expect(await a.acquireProbe(0)).to.deep.equal({ granted: false, fleet: { state: 'OPEN', remaining: 300 }, retryIn: 300 });
    now += 299;
    expect(await a.acquireProbe(0)).to.deep.equal({ granted: false, fleet: { state: 'OPEN', remaining: 1 }, retryIn: 1 });
    await a.isolate();
    expect(store.state('api')).to.deep.equal({ state: 'ISOLATED' });
    expect(await a.acquireProbe(0)).to.deep.equal({ granted: false, fleet: { state: 'ISOLATED' }, retryIn: Infinity });
  });

  it('grants one lease when the wait is over: the holder may ask again, others wait for it to expire', async () => {
    const a = join('a');
    const b = join('b');
    await a.open(100, 'probe');
    now += 100;
    expect(await a.acquireProbe(0)).to.deep.equal({ granted: true, lease: 500 });
    expect(await a.acquireProbe(0), 'the holder again').to.deep.equal({ granted: true, lease: 500 });
    expect(await b.acquireProbe(0)).to.deep.equal({ granted: false, fleet: { state: 'OPEN', remaining: 0 }, retryIn: 500 });
    now += 499;
    expect(await b.acquireProbe(0)).to.deep.include({ granted: false, retryIn: 1 });
    now += 1;
    expect(await b.acquireProbe(2_000), 'the lease expired').to.deep.equal({ granted: true, lease: 2_000 });
    now += 1_999;
    expect(await a.acquireProbe(0), 'a lease of max(probeLease, leaseMs)').to.deep.include({ granted: false, retryIn: 1 });
  });

  it("an operator's isolation holds against a trip, a failed probe and a probe's close; only an operator ends it", async () => {
    const a = join('a');
    await a.isolate();
    expect(await a.open(1_000, 'trip')).to.equal(Infinity);
    expect(await a.open(1_000, 'probe')).to.equal(Infinity);
    await a.close('probe');
    expect(store.state('api')).to.deep.equal({ state: 'ISOLATED' });
    await a.close('operator');
    expect(store.state('api')).to.deep.equal({ state: 'CLOSED' });
    await a.isolate();
    expect(await a.open(0, 'operator')).to.equal(0);
    expect(store.state('api')).to.deep.equal({ state: 'OPEN', remaining: 0 });
  });

  it('a trip keeps a wait already running (answering what remains); a failed probe (fresh) starts a new one', async () => {
    const a = join('a');
    const b = join('b');
    expect(await a.open(1_000, 'trip')).to.equal(1_000);
    now += 400;
    expect(await b.open(1_000, 'trip'), 'a trip adopts the running wait').to.equal(600);
    expect(await b.open(1_000, 'probe'), 'a failed probe restarts it').to.equal(1_000);
    now += 1_000;
    expect(await a.open(1_000, 'trip'), 'a wait that is over is not kept').to.equal(1_000);
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
    expect(heard).to.deep.equal([['b', { state: 'CLOSED' }, 'event']]);
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
});
