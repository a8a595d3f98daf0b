/**
 * The fleet's window and quorum with real processes and a real redis-server (issue 16): four Node
 * processes fork()ed from here share one breaker through RedisCircuitStore. Short real times; every
 * wait is bounded.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { REDIS_LIBRARIES } from '../support/redis-clients';
import { RedisServer, requireRedisServer } from '../support/redis-server';
import { FleetProcess, initFleet, now, sleep, until } from './support/fleet';
import type { WorkerConfig, WorkerView } from './support/protocol';

const N = 4;
const WINDOW = { duration: 2_000, buckets: 10 };
/** ms a bucket of WINDOW spans. */
const WIDTH = WINDOW.duration / WINDOW.buckets;

type Call = WorkerView & { result?: string; error?: string; retryAfter?: number; took: number };
type Burst = WorkerView & { invoked: number; ok: number; refused: number; failed: number; slowest: number };

// Once with each client: ioredis as the store makes it from `url`, node-redis passed in as `{ client }`.
for (const library of REDIS_LIBRARIES) describe(`fleet (${library}): the fleet window and quorum across real processes`, function () {
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
      ...(library === 'ioredis' ? {} : { library }),
      name: `window-api-${library}-${++circuits}`,
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
  const fails = (w: FleetProcess, n: number) => w.request<Burst>({ cmd: 'burst', n, spreadMs: 1, outcome: 'fail' });
  const views = () => Promise.all(fleet.map((w) => w.view()));
  const windowEvals = async () => Number(/cmdstat_eval:calls=(\d+)/.exec(await admin!.info('commandstats'))?.[1] ?? 0);
  /** The failures the fleet's window holds in Redis now (every bucket of its hash). */
  const windowFailures = async (config: WorkerConfig) => {
    const held = (await admin!.hgetall(`circuit-breaker:{${config.name}}:window`)) as Record<string, string>;
    return Object.entries(held).reduce((sum, [field, n]) => (field.startsWith('f') ? sum + Number(n) : sum), 0);
  };
  const states = async () => (await views()).map((v) => v.state);

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

  it('Redis hung (SIGSTOP) mid-window: each process decides on its own window and no call fails or waits; resumed, the fleet agrees again', async () => {
    const commandTimeout = 300;
    const config = await start({ commandTimeout, failureRate: { threshold: 0.5, minimumCalls: 20, window: WINDOW } });
    const [lone, ...others] = fleet;
    await fails(lone!, 19); // each sent at once: the rate is reached below minimumCalls
    await until('its 19 failures are in the fleet\'s window', 1_000, async () => (await windowFailures(config)) === 19);
    server!.pause();
    await sleep(WIDTH + 50); // past the bucket of the last reply: what the fleet held is no longer known here
    // The others: one failure each, then successes. With Redis answering, the fleet's 19 + 3 failures would open all four.
    const busy = Promise.all(
      others.map(async (w) => [await fails(w, 1), await w.request<Burst>({ cmd: 'burst', n: 100, spreadMs: 300, outcome: 'ok' })]),
    );
    // The lone one: a failing call every 50 ms. Its own window holds 20 failures from the first one: it must open on
    // it once its store gave up on Redis (one commandTimeout), not wait for an answer that does not come.
    const started = now();
    const calls: Call[] = [];
    while (now() - started < commandTimeout + 1_000) {
      const call = await lone!.request<Call>({ cmd: 'call', outcome: 'fail' });
      calls.push(call);
      if (call.state === 'OPEN') break;
      await sleep(50);
    }
    const opened = lone!.transition('OPEN', started);
    expect(opened, 'the lone process opened by itself').to.not.equal(undefined);
    console.log(`      opened alone ${(opened!.at - started).toFixed(0)} ms after its first call during the hang (${calls.length} failing calls; commandTimeout ${commandTimeout} ms)`);
    expect(opened!.reason).to.equal('failure-rate');
    expect(opened!.at - started, 'ms from its first failing call to OPEN').to.be.below(commandTimeout + 300);
    expect(calls.map((c) => c.error), 'every call ran and failed as the dependency did').to.deep.equal(Array(calls.length).fill('dependency down'));
    const bursts = (await busy).flat();
    expect(bursts.map((b) => [b.ok, b.failed, b.refused]), 'the others: their calls all ran').to.deep.equal([[0, 1, 0], [100, 0, 0], [0, 1, 0], [100, 0, 0], [0, 1, 0], [100, 0, 0]]);
    expect(await states(), 'the others decided on their own windows (1 failure each)').to.deep.equal(['OPEN', 'CLOSED', 'CLOSED', 'CLOSED']);
    const slowest = Math.max(...calls.map((c) => c.took), ...bursts.map((b) => b.slowest));
    console.log(`      slowest call during the hang: ${slowest.toFixed(1)} ms`);
    expect(slowest, 'slowest call during the hang, ms').to.be.below(commandTimeout / 4);
    server!.resume();
    // Each store pings until Redis answers, then re-reads its circuits: the lone one, OPEN, tells the others.
    await until('all four OPEN', 3_000, async () => (await states()).every((s) => s === 'OPEN'), 20);
    expect(others.map((w) => w.transition('OPEN', started)?.reason)).to.deep.equal(['store', 'store', 'store']);
  });

  it('a replica that stops getting traffic: the busy ones\' failures open the fleet with its counts still in the window, and the trip reaches it without a call of its own', async () => {
    const config = await start({ failureRate: { threshold: 0.5, minimumCalls: 12, window: WINDOW } });
    const [busy1, busy2, busy3, quiet] = fleet;
    await fails(quiet!, 4);
    await until('its 4 failures are in the fleet\'s window', 1_000, async () => (await windowFailures(config)) === 4);
    const idleSince = now();
    await sleep(2 * WIDTH); // it stays idle: its counts are in buckets older than the busy ones'
    for (const w of [busy1!, busy2!, busy3!]) await fails(w, 3); // 9 failures: with the quiet one's 4, above minimumCalls
    await until('all four OPEN', 1_000, async () => (await states()).every((s) => s === 'OPEN'));
    expect(quiet!.transition('OPEN', idleSince)!.reason, 'pushed to the idle one').to.equal('store');
    const before = (await quiet!.view()).invocations;
    const refused = await quiet!.request<Call>({ cmd: 'call', outcome: 'ok' });
    expect(refused.error).to.equal('CircuitBreakerOpenException');
    expect(refused.invocations).to.equal(before);
  });

  it('a burst after a quiet spell longer than the window: the earlier counts are gone, so a burst below minimumCalls trips nothing; one that reaches it opens all four', async () => {
    const config = await start({ failureRate: { threshold: 0.5, minimumCalls: 12, window: WINDOW } });
    for (const w of fleet) await fails(w, 2); // 8 failures, each sent at once (the rate is reached below minimumCalls)
    await until('8 failures are in the fleet\'s window', 1_000, async () => (await windowFailures(config)) === 8);
    await sleep(WINDOW.duration + 2 * WIDTH);
    expect(await admin!.exists(`circuit-breaker:{${config.name}}:window`), 'the window expired while nobody called').to.equal(0);
    // The last to send (its last answer said 8) fails 5 times: with the earlier 8, or what it last heard, that would
    // reach minimumCalls; alone it does not.
    const [first, second, third, last] = fleet;
    await fails(last!, 5);
    await until('the burst\'s 5 failures are in the fleet\'s window', 1_000, async () => (await windowFailures(config)) === 5);
    await sleep(50);
    expect(await states()).to.deep.equal(['CLOSED', 'CLOSED', 'CLOSED', 'CLOSED']);
    const started = now();
    for (const [w, n] of [[first!, 3], [second!, 2], [third!, 2]] as const) await fails(w, n); // 12 within the window
    await until('all four OPEN', 1_000, async () => (await states()).every((s) => s === 'OPEN'));
    console.log(`      all four OPEN ${(now() - started).toFixed(0)} ms after the 12th failure's burst began`);
  });

  // Redis adds what a member sends to its bucket of now: counts a member held over a quiet spell longer than the
  // window must be dropped, not sent (they were, before a1a4266: the burst's 24 failures, diluted by the 60 earlier
  // successes, opened nothing).
  it('a burst after a quiet spell: the counts a process had not sent when it went quiet do not enter the fleet\'s window', async () => {
    await start({ failureRate: { threshold: 0.5, minimumCalls: 20, window: WINDOW } });
    for (const w of fleet) {
      await w.request<Burst>({ cmd: 'burst', n: 15, spreadMs: 1, outcome: 'ok' });
      await fails(w, 4); // a rate of 4 / 19: nothing sent at once, all held until the bucket rolls over
    }
    await sleep(WINDOW.duration + 2 * WIDTH);
    for (let round = 0; round < 6; round++) for (const w of fleet) await fails(w, 1); // 24 failures, 6 a process
    await until('all four OPEN', 1_000, async () => (await states()).every((s) => s === 'OPEN'));
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
