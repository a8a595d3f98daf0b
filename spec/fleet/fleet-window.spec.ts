/**
 * The fleet's window and quorum with real processes and a real redis-server (issue 16): four Node
 * processes fork()ed from here share one breaker through RedisCircuitStore. Short real times; every
 * wait is bounded.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { RedisServer, requireRedisServer } from '../support/redis-server';
import { FleetProcess, initFleet, now, sleep, until } from './support/fleet';
import type { WorkerConfig, WorkerView } from './support/protocol';

const N = 4;
const WINDOW = { duration: 2_000, buckets: 10 };

type Call = WorkerView & { result?: string; error?: string; retryAfter?: number };

describe('fleet: the fleet window and quorum across real processes', function () {
  this.timeout(30_000);
  this.slow(5_000);

  let server: RedisServer | undefined;
  let admin: Redis | undefined;
  let fleet: FleetProcess[] = [];
  let circuits = 0;

  before(async function () {
    this.timeout(60_000);
    requireRedisServer(this);
    server = await RedisServer.start();
    admin = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    admin.on('error', () => undefined);
    fleet = Array.from({ length: N }, (_, i) => new FleetProcess(`w${i + 1}`));
    await Promise.all(fleet.map((w) => w.loaded()));
  });
  after(async () => {
    await Promise.all(fleet.map((w) => w.kill()));
    admin?.disconnect();
    await server?.close();
  });
  beforeEach(async function () {
    server!.resume();
    if (!(await server!.ping())) await server!.restart();
    for (let i = 0; i < N; i++) {
      if (fleet[i]!.alive) continue;
      fleet[i] = new FleetProcess(`w${i + 1}`);
      await fleet[i]!.loaded();
    }
  });

  async function start(change: Partial<WorkerConfig>): Promise<WorkerConfig> {
    const config: WorkerConfig = {
      url: server!.url,
      name: `window-api-${++circuits}`,
      failureThreshold: 3,
      resetTimeout: 5_000,
      probeLease: 1_000,
      commandTimeout: 150,
      reconnectEvery: 50,
      readyTimeout: 3_000,
      ...change,
    };
    await initFleet(fleet, config);
    const channel = `circuit-breaker:{${config.name}}:events`;
    await until('every member subscribed', 3_000, async () => ((await admin!.pubsub('NUMSUB', channel)) as [string, number])[1] === N);
    return config;
  }
  const fails = (w: FleetProcess, n: number) => w.request({ cmd: 'burst', n, spreadMs: 1, outcome: 'fail' });
  const views = () => Promise.all(fleet.map((w) => w.view()));
  const windowEvals = async () => Number(/cmdstat_eval:calls=(\d+)/.exec(await admin!.info('commandstats'))?.[1] ?? 0);

  it('four processes, each with too few calls to reach minimumCalls alone, whose failures together cross the rate: all four OPEN, the dependency not called again', async () => {
    await start({ failureRate: { threshold: 0.5, minimumCalls: 12, window: WINDOW } });
    const started = now();
    for (const w of fleet) await fails(w, 3);
    await until('all four OPEN', 1_000, async () => (await views()).every((v) => v.state === 'OPEN'));
    console.log(`      four members OPEN ${(now() - started).toFixed(0)} ms after the first of 12 failures (3 each)`);
    const before = (await views()).map((v) => v.invocations);
    for (const w of fleet) {
      const refused = await w.request<Call>({ cmd: 'call', outcome: 'ok' });
      expect(refused.error, w.label).to.equal('CircuitBreakerOpenException');
    }
    expect((await views()).map((v) => v.invocations)).to.deep.equal(before);
  });

  it('the same traffic all succeeding sends Redis at most one window command per process per bucket (INFO commandstats)', async () => {
    await start({ failureRate: { threshold: 0.5, minimumCalls: 12, window: WINDOW } });
    await sleep(300); // joins done: their reads are EVALs too
    const before = await windowEvals();
    const started = now();
    await Promise.all(fleet.map((w) => w.request({ cmd: 'burst', n: 2_000, spreadMs: 1_000, outcome: 'ok' }, 10_000)));
    const elapsed = now() - started;
    const sent = (await windowEvals()) - before;
    const buckets = Math.ceil(elapsed / (WINDOW.duration / WINDOW.buckets)) + 1;
    console.log(`      ${sent} EVALs from ${N} processes, 8,000 successful calls over ${elapsed.toFixed(0)} ms (${buckets} buckets of 200 ms)`);
    expect(sent).to.be.at.most(N * buckets);
  });

  it("a process killed mid-window leaves its counts to expire with the window", async () => {
    const config = await start({ failureRate: { threshold: 0.5, minimumCalls: 100, window: WINDOW } });
    await fails(fleet[0]!, 5);
    await sleep(250);
    await fleet[0]!.request({ cmd: 'call', outcome: 'fail' }); // its bucket rolled: its counts went out
    await sleep(100);
    const key = `circuit-breaker:{${config.name}}:window`;
    expect(await admin!.exists(key)).to.equal(1);
    await fleet[0]!.kill();
    await until('the window expired', WINDOW.duration + 1_000, async () => (await admin!.exists(key)) === 0, 50);
  });

  it('Redis killed: every process decides on its own window, and no call fails or waits', async () => {
    await start({ failureRate: { threshold: 0.5, minimumCalls: 4, window: WINDOW } });
    await server!.kill();
    await until('every store unavailable', 2_000, async () => (await views()).every((v) => !v.available));
    await fails(fleet[0]!, 3);
    expect((await views()).map((v) => v.state)).to.deep.equal(['CLOSED', 'CLOSED', 'CLOSED', 'CLOSED']);
    await fails(fleet[0]!, 1);
    expect((await views()).map((v) => v.state)).to.deep.equal(['OPEN', 'CLOSED', 'CLOSED', 'CLOSED']);
  });

  it('quorum 2: one process tripping opens only itself; a second opens all', async () => {
    await start({ failureThreshold: 2, quorum: 2 });
    await fails(fleet[0]!, 2);
    await sleep(200);
    expect((await views()).map((v) => v.state)).to.deep.equal(['OPEN', 'CLOSED', 'CLOSED', 'CLOSED']);
    await fails(fleet[1]!, 2);
    await until('all four OPEN', 1_000, async () => (await views()).every((v) => v.state === 'OPEN'));
    const reasons = fleet.slice(2).map((w) => w.transition('OPEN')?.reason);
    expect(reasons).to.deep.equal(['quorum', 'quorum']);
  });
});
