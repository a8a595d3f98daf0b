/**
 * The fleet window and the quorum through a real redis-server (src/redis/window-scripts.ts): each
 * breaker has a RedisCircuitStore of its own (its own connections, as a process would), in real time
 * kept short. The many-process suite (spec/fleet) covers the trips across processes.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { CircuitBreaker } from '../../src';
import { RedisCircuitStore } from '../../src/redis';
import { makeClient, REDIS_LIBRARIES, type MadeClient } from '../support/redis-clients';
import { RedisServer, requireRedisServer } from '../support/redis-server';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** A real wait for what Redis pushes and answers, on a loaded 2-core machine. */
const SETTLE = 100;
let circuits = 0;

// The store's own client (ioredis, from `url`), and a node-redis client passed in.
for (const library of REDIS_LIBRARIES) describe(`the fleet window and quorum through a real redis-server (${library})`, function () {
  this.timeout(20_000);
  let server: RedisServer | undefined;
  let admin: Redis | undefined;
  const stores: RedisCircuitStore[] = [];
  const clients: MadeClient[] = [];

  before(async function () {
    requireRedisServer(this);
    server = await RedisServer.start();
    admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
  });
  after(async () => {
    admin?.disconnect();
    await server?.close();
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  async function members(n: number, options: Record<string, unknown>): Promise<CircuitBreaker[]> {
    const name = `window-${process.pid}-${++circuits}`;
    const made: CircuitBreaker[] = [];
    for (let i = 0; i < n; i++) {
      let store: RedisCircuitStore;
      if (library === 'ioredis') store = new RedisCircuitStore({ url: server!.url });
      else {
        const made = makeClient(library, server!.url);
        clients.push(made);
        store = new RedisCircuitStore({ client: made.client });
      }
      stores.push(store);
      expect(await store.ready(2_000)).to.equal(true);
      made.push(new CircuitBreaker({ name, store, resetTimeout: 5_000, ...options }));
    }
    await sleep(SETTLE);
    return made;
  }
  const call = (breaker: CircuitBreaker, outcome: 'ok' | 'fail') =>
    breaker.call(() => (outcome === 'ok' ? Promise.resolve('ok') : Promise.reject(new Error('down')))).catch((error: unknown) => error);
  const evals = async () => Number(/cmdstat_eval:calls=(\d+)/.exec(await admin!.info('commandstats'))?.[1] ?? 0);

  it('four members each below minimumCalls, whose failures together cross the rate: all four OPEN', async () => {
    const fleet = await members(4, { failureRate: { threshold: 0.5, minimumCalls: 10, window: { duration: 10_000, buckets: 10 } } });
    for (const member of fleet) {
      for (let i = 0; i < 3; i++) await call(member, 'fail');
      await sleep(20);
    }
    await sleep(SETTLE);
    expect(fleet.map((m) => m.state)).to.deep.equal(['OPEN', 'OPEN', 'OPEN', 'OPEN']);
  });

  it("a probe's close empties the fleet's window: the failures that tripped it do not trip it again", async () => {
    // A 10 s window and a 300 ms wait: the failures are still in the window when the circuit closes.
    const fleet = await members(4, { resetTimeout: 300, failureRate: { threshold: 0.5, minimumCalls: 10, window: { duration: 10_000, buckets: 10 } } });
    for (const member of fleet) {
      for (let i = 0; i < 3; i++) await call(member, 'fail');
      await sleep(20);
    }
    await sleep(SETTLE);
    expect(fleet.map((m) => m.state)).to.deep.equal(['OPEN', 'OPEN', 'OPEN', 'OPEN']);
    const key = `circuit-breaker:{${fleet[0]!.name}}:window`;
    expect(await admin!.exists(key)).to.equal(1);
    await sleep(300);
    expect(await call(fleet[0]!, 'ok')).to.equal('ok'); // the probe
    await sleep(SETTLE);
    expect(fleet.map((m) => m.state)).to.deep.equal(['CLOSED', 'CLOSED', 'CLOSED', 'CLOSED']);
    expect(await admin!.exists(key, `${key}:meta`), 'the window emptied with the close').to.equal(0);
    // Healthy traffic: each member's next send reads a window of successes only.
    for (let round = 0; round < 3; round++) {
      for (const member of fleet) await call(member, 'ok');
      await sleep(1_050); // a bucket: each member sends what it counted
    }
    await sleep(SETTLE);
    expect(fleet.map((m) => m.state)).to.deep.equal(['CLOSED', 'CLOSED', 'CLOSED', 'CLOSED']);
  });

  it('traffic that succeeds sends Redis at most one window command per member per bucket', async () => {
    const fleet = await members(2, { failureRate: { threshold: 0.5, minimumCalls: 10, window: { duration: 2_000, buckets: 10 } } });
    const before = await evals();
    const started = Date.now();
    while (Date.now() - started < 1_000) {
      for (let i = 0; i < 20; i++) for (const member of fleet) await call(member, 'ok');
      await sleep(5);
    }
    const sent = (await evals()) - before;
    const buckets = Math.ceil((Date.now() - started) / 200) + 1;
    console.log(`      ${sent} EVALs for 2 members over ${buckets} buckets of 200 ms`);
    expect(sent).to.be.at.most(2 * buckets);
    expect(sent, 'the window is kept').to.be.at.least(2);
  });

  it("the window's hash expires once the window passed with no traffic: an idle circuit leaves nothing", async () => {
    const [member] = await members(1, { failureRate: { threshold: 0.9, minimumCalls: 100, window: { duration: 500, buckets: 5 } } });
    await call(member!, 'ok');
    await sleep(120);
    await call(member!, 'ok'); // the bucket rolled: the first counts go out
    await sleep(SETTLE);
    const key = `circuit-breaker:{${member!.name}}:window`;
    // The bucket width and count, for the operator's view (circuits' FAILURE RATE), expire with the hash.
    expect(await admin!.exists(key, `${key}:meta`)).to.equal(2);
    expect(await admin!.get(`${key}:meta`)).to.equal('100 5');
    await sleep(700); // the window (500 ms) and a bucket
    expect(await admin!.exists(key, `${key}:meta`)).to.equal(0);
  });

  it('quorum 2: one member tripping opens only itself; a second opens every member', async () => {
    const fleet = await members(3, { failureThreshold: 2, quorum: 2 });
    await call(fleet[0]!, 'fail');
    await call(fleet[0]!, 'fail');
    await sleep(SETTLE);
    expect(fleet.map((m) => m.state)).to.deep.equal(['OPEN', 'CLOSED', 'CLOSED']);
    await call(fleet[1]!, 'fail');
    await call(fleet[1]!, 'fail');
    await sleep(SETTLE);
    expect(fleet.map((m) => m.state)).to.deep.equal(['OPEN', 'OPEN', 'OPEN']);
    expect(fleet.map((m) => m.stats().alone)).to.deep.equal([false, false, false]);
  });
});
