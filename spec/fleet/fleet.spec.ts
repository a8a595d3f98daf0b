/**
 * The fleet rules of DESIGN.md with real processes and a real redis-server:
 * four (and more) Node processes fork()ed from here share the breaker
 * 'payments-api-LIBRARY-N' (once with each client library) through RedisCircuitStore, each guarding a dependency
 * that counts its invocations. Redis is killed, frozen and restarted under them.
 *
 * Short real times keep the suite fast; every wait is bounded.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { REDIS_LIBRARIES } from '../support/redis-clients';
import { RedisServer, requireRedisServer } from '../support/redis-server';
import { FleetProcess, initFleet, now, sleep, until } from './support/fleet';
import type { WorkerConfig, WorkerView } from './support/protocol';

const N = 4;
const RESET_TIMEOUT = 400;
const PROBE_LEASE = 800;
const COMMAND_TIMEOUT = 150;
const THRESHOLD = 3;
/** The bound on propagation this suite holds the fleet to, on loopback (DESIGN: "within a bounded delay"). */
const PROPAGATION_BOUND = 100;
/** A guarded call that does not wait on Redis settles within this (the dependency answers at once). */
const PROMPT = 50;

type Burst = WorkerView & { invoked: number; ok: number; refused: number; failed: number; slowest: number };
type Call = WorkerView & { result?: string; error?: string; retryAfter?: number; took: number };

// Once with each client: ioredis as the store makes it from `url`, node-redis passed in as `{ client }`.
for (const library of REDIS_LIBRARIES) describe(`fleet (${library}): one circuit across real processes through a real redis-server`, function () {
  this.timeout(15_000);
  this.slow(3_000);

  let server: RedisServer | undefined;
  let admin: Redis | undefined;
  /**
   * N processes kept across specs (forking one with ts-node takes a second or
   * two); each spec gives them a fresh circuit. A process a spec killed or
   * closed is replaced before the next one.
   */
  const pool: (FleetProcess | undefined)[] = [];
  /** A process forked in advance, started (init) only by a spec that needs a late joiner. */
  let spare: FleetProcess | undefined;
  let fleet: FleetProcess[] = [];
  /** Processes a spec started besides the fleet, killed after it. */
  const extra: FleetProcess[] = [];
  let config: WorkerConfig;
  let circuits = 0;

  before(async function () {
    this.timeout(30_000);
    requireRedisServer(this);
    server = await RedisServer.start();
    admin = new Redis(server.url, { enableOfflineQueue: true, maxRetriesPerRequest: 1, commandTimeout: 1_000, retryStrategy: () => 50 });
    admin.on('error', () => undefined);
  });

  after(async () => {
    await Promise.all([...pool, spare].map((w) => w?.kill()));
    admin?.disconnect();
    await server?.close();
  });

  beforeEach(async function () {
    this.timeout(30_000);
    const redis = server!;
    redis.resume();
    if (!(await redis.ping())) await redis.restart();
    for (let i = 0; i < N; i++) if (pool[i]?.alive !== true) pool[i] = new FleetProcess(`p${i + 1}`);
    if (spare?.alive !== true) spare = new FleetProcess('late');
    await Promise.all([...pool, spare].map((w) => w!.loaded()));
    fleet = pool as FleetProcess[];
    // A circuit of its own for each spec: nothing carries over in Redis.
    config = {
      url: redis.url,
      ...(library === 'ioredis' ? {} : { library }),
      name: `payments-api-${library}-${++circuits}`,
      failureThreshold: THRESHOLD,
      resetTimeout: RESET_TIMEOUT,
      probeLease: PROBE_LEASE,
      commandTimeout: COMMAND_TIMEOUT,
      reconnectEvery: 50,
      readyTimeout: 3_000,
    };
    await initFleet(fleet, config);
    await subscribed(N);
  });

  afterEach(async function () {
    server?.resume();
    // A spec that failed may leave a probe hanging or a process half-way: start the next one from fresh processes.
    if (this.currentTest?.state !== 'passed') await Promise.all(pool.map((w) => w?.kill()));
    await Promise.all(extra.splice(0).map((w) => w.kill()));
  });

  const channel = () => `circuit-breaker:{${config.name}}:events`;

  /** Until `n` connections subscribe to this spec's circuit. */
  async function subscribed(n: number): Promise<void> {
    await until(`${n} subscribers`, 3_000, async () => {
      const [, count] = (await admin!.pubsub('NUMSUB', channel())) as [string, number];
      return count === n;
    });
  }

  async function trip(worker: FleetProcess): Promise<number> {
    let last: Call | undefined;
    for (let i = 0; i < THRESHOLD; i++) last = await worker.request<Call>({ cmd: 'call', outcome: 'fail' });
    expect(last!.state, `${worker.label} after ${THRESHOLD} failures`).to.equal('OPEN');
    return worker.transition('OPEN')!.at;
  }

  async function allIn(state: WorkerView['state'], workers: FleetProcess[], timeout: number): Promise<void> {
    await until(`${workers.map((w) => w.label).join(', ')} are ${state}`, timeout, async () => {
      const views = await Promise.all(workers.map((w) => w.view()));
      return views.every((v) => v.state === state);
    });
  }

  const views = (workers = fleet) => Promise.all(workers.map((w) => w.view()));
  const total = (values: readonly { invocations: number }[]) => values.reduce((sum, v) => sum + v.invocations, 0);

  /** The dependency succeeds after 300 ms in every process: a probe is still in flight when a burst ends. */
  const slowProbe = () => Promise.all(fleet.map((w) => w.request({ cmd: 'dependency', outcome: 'ok', delay: 300 })));

  async function burst(n: number, spreadMs: number, outcome: 'ok' | 'fail', workers = fleet, timeout = 5_000): Promise<Burst[]> {
    const each = Math.ceil(n / workers.length);
    return Promise.all(workers.map((w) => w.request<Burst>({ cmd: 'burst', n: each, spreadMs, outcome }, timeout)));
  }

  /** Waits out the fleet's wait, from the time the circuit opened (bounded by resetTimeout plus a margin). */
  async function waitOut(openedAt: number, wait = RESET_TIMEOUT): Promise<void> {
    await sleep(Math.max(0, openedAt + wait + 20 - now()));
  }

  it('a trip in one process: every other process refuses without invoking, within the bound', async () => {
    const [tripper, ...others] = fleet;
    const opened = await trip(tripper!);
    const seen = await until('every process is OPEN', 1_000, () => {
      const times = others.map((w) => w.transition('OPEN', opened - 1)?.at);
      return times.every((t) => t !== undefined) && (times as number[]);
    });
    const delays = seen.map((t) => t - opened);
    console.log(`      trip -> OPEN in the other processes: ${delays.map((d) => d.toFixed(2)).join(', ')} ms`);
    expect(Math.max(...delays)).to.be.below(PROPAGATION_BOUND);
    for (const w of others) {
      const refused = await w.request<Call>({ cmd: 'call', outcome: 'ok' });
      expect(refused.error, w.label).to.equal('CircuitBreakerOpenException');
      expect(refused.retryAfter).to.be.within(1, RESET_TIMEOUT);
      expect(refused.invocations, `${w.label} invoked`).to.equal(0);
    }
    expect(tripper!.transition('OPEN')!.reason).to.equal('threshold');
    for (const w of others) expect(w.transition('OPEN')!.reason).to.equal('store');
  });

  it('when the wait is over, a burst of 1,000 calls over all processes invokes the dependency once; its success closes the circuit everywhere', async () => {
    const opened = await trip(fleet[0]!);
    await allIn('OPEN', fleet, 1_000);
    const before = total(await views());
    // The probe takes 300 ms, longer than the burst, so every other call of the burst meets it in flight.
    await Promise.all(fleet.map((w) => w.request({ cmd: 'dependency', outcome: 'ok', delay: 300 })));
    await waitOut(opened);
    const started = now();
    const results = await burst(1_000, 100, 'ok');
    const invoked = results.reduce((sum, r) => sum + r.invoked, 0);
    expect(invoked, 'invocations in the burst, fleet-wide').to.equal(1);
    expect(results.reduce((sum, r) => sum + r.refused, 0)).to.equal(999);
    expect(results.reduce((sum, r) => sum + r.ok, 0)).to.equal(1);
    expect(total(await views()) - before).to.equal(1);
    await allIn('CLOSED', fleet, 1_000);
    const prober = fleet.find((w) => w.invocationsSince(started) === 1)!;
    expect(prober.transition('CLOSED', started)!.reason).to.equal('probe-succeeded');
    for (const w of fleet) if (w !== prober) expect(w.transition('CLOSED', started)!.reason, w.label).to.equal('store');
    // CLOSED everywhere: calls invoke again.
    await Promise.all(fleet.map((w) => w.request({ cmd: 'dependency', outcome: 'ok', delay: 0 })));
    const after = await Promise.all(fleet.map((w) => w.request<Call>({ cmd: 'call' })));
    expect(after.map((c) => c.result)).to.deep.equal(['ok', 'ok', 'ok', 'ok']);
  });

  it('a failed probe re-opens the circuit everywhere with a fresh wait; the next probe is again the only call', async () => {
    const opened = await trip(fleet[0]!);
    await allIn('OPEN', fleet, 1_000);
    await waitOut(opened);
    const started = now();
    const results = await burst(1_000, 100, 'fail');
    expect(results.reduce((sum, r) => sum + r.invoked, 0), 'invocations in the burst').to.equal(1);
    expect(results.reduce((sum, r) => sum + r.refused, 0)).to.equal(999);
    const prober = fleet.find((w) => w.invocationsSince(started) === 1)!;
    const failedAt = prober.events.find((e) => e.event === 'invoked' && e.at >= started)!.at;
    // Every process waits a fresh resetTimeout from the failed probe (not the lease the others were refused with).
    const fresh = await views();
    const elapsed = now() - failedAt;
    for (const [i, v] of fresh.entries()) {
      expect(v.state, fleet[i]!.label).to.equal('OPEN');
      expect(v.nextProbeIn, `${fleet[i]!.label} next probe in`).to.be.within(RESET_TIMEOUT - elapsed - 60, RESET_TIMEOUT);
    }
    await slowProbe();
    await waitOut(failedAt);
    const again = now();
    const second = await burst(400, 60, 'ok');
    expect(second.reduce((sum, r) => sum + r.invoked, 0), 'invocations in the second burst').to.equal(1);
    await allIn('CLOSED', fleet, 1_000);
    expect(fleet.reduce((sum, w) => sum + w.invocationsSince(again), 0)).to.equal(1);
  });

  it('the prober killed with SIGKILL mid-probe: another process probes once its lease expires', async () => {
    const opened = await trip(fleet[0]!);
    await allIn('OPEN', fleet, 1_000);
    await waitOut(opened);
    const started = now();
    // The dependency never answers: the probe hangs until its process is killed.
    await Promise.all(fleet.map((w) => w.request({ cmd: 'burst', n: 50, spreadMs: 50, outcome: 'hang', detach: true })));
    const prober = await until('a probe starts', 1_000, () => fleet.find((w) => w.invocationsSince(started) > 0));
    const probedAt = prober.events.find((e) => e.event === 'invoked' && e.at >= started)!.at;
    await prober.kill();
    const survivors = fleet.filter((w) => w !== prober);
    expect(survivors.reduce((sum, w) => sum + w.invocationsSince(started), 0), 'other invocations').to.equal(0);
    await Promise.all(survivors.map((w) => w.request({ cmd: 'dependency', outcome: 'ok' })));
    // Every survivor keeps calling; the first invocation is the second probe. (Not the first process in
    // the list that invoked: in the round the probe closes the circuit, another survivor's call may come
    // after the push and invoke as a CLOSED call.)
    const firstInvocation = (w: FleetProcess) => w.events.find((e) => e.event === 'invoked' && e.at >= started)?.at ?? Infinity;
    const second = await until('another process probes', PROBE_LEASE + 1_500, async () => {
      await Promise.all(survivors.map((w) => w.request<Call>({ cmd: 'call' })));
      const invoked = survivors.filter((w) => w.invocationsSince(started) > 0);
      return invoked.length > 0 && invoked.sort((x, y) => firstInvocation(x) - firstInvocation(y))[0];
    }, 10);
    const secondAt = firstInvocation(second);
    console.log(`      second probe ${(secondAt - probedAt).toFixed(0)} ms after the first (probeLease ${PROBE_LEASE} ms)`);
    expect(secondAt - probedAt).to.be.within(PROBE_LEASE - 30, PROBE_LEASE + 500);
    await allIn('CLOSED', survivors, 1_000);
    expect(survivors.reduce((sum, w) => sum + w.invocationsSince(started), 0), 'invocations after the kill').to.be.at.most(survivors.length);
    expect(second.transition('CLOSED', started)!.reason).to.equal('probe-succeeded');
  });

  describe('traffic that pauses', () => {
    /** A fresh circuit for this spec with other options (the fleet re-initialized). */
    async function reconfigure(change: Partial<WorkerConfig>): Promise<void> {
      config = { ...config, ...change, name: `payments-api-${library}-${++circuits}` };
      await initFleet(fleet, config);
      await subscribed(N);
    }

    it('calls 700 ms apart with probeLease 500: the first call after the wait probes and closes the circuit', async () => {
      await reconfigure({ resetTimeout: 1_000, probeLease: 500 });
      const lone = fleet[0]!;
      await trip(lone);
      const outcomes: Call[] = [];
      for (let i = 0; i < 4; i++) {
        await sleep(700);
        outcomes.push(await lone.request<Call>({ cmd: 'call', outcome: 'ok' }));
      }
      expect(outcomes[0]!.error, 'at 700 ms: still waiting').to.equal('CircuitBreakerOpenException');
      expect(outcomes.slice(1).map((c) => c.result), 'from 1,400 ms: probed, then CLOSED').to.deep.equal(['ok', 'ok', 'ok']);
      console.log(`      the probe call took ${outcomes[1]!.took.toFixed(2)} ms (it waited for the lease)`);
      expect(outcomes[1]!.took).to.be.below(PROMPT);
    });

    it('a process that gets one call after the wait and then no traffic: the others do not wait on it', async () => {
      const opened = await trip(fleet[0]!);
      await allIn('OPEN', fleet, 1_000);
      await Promise.all(fleet.map((w) => w.request({ cmd: 'dependency', outcome: 'ok' })));
      await waitOut(opened);
      const [busy, , , quiet] = fleet;
      const one = await quiet!.request<Call>({ cmd: 'call' }); // its only call: the probe
      expect(one.result).to.equal('ok');
      const served: Call[] = [];
      const started = now();
      while (now() - started < 600) {
        served.push(await busy!.request<Call>({ cmd: 'call' }));
        await sleep(50);
      }
      const refused = served.filter((c) => c.error !== undefined);
      console.log(`      the busy process refused ${refused.length} of ${served.length} calls after the quiet one probed`);
      expect(refused.length, 'at most the calls within the push delay').to.be.at.most(1);
      expect(served.at(-1)!.state).to.equal('CLOSED');
    });

    it('while another process probes, a refusal says retryAfter 0 and the state is HALF_OPEN', async () => {
      const opened = await trip(fleet[0]!);
      await allIn('OPEN', fleet, 1_000);
      await slowProbe(); // the dependency answers after 300 ms
      await waitOut(opened);
      const [prober, other] = fleet;
      const probing = prober!.request<Call>({ cmd: 'call' });
      await until('the probe starts', 1_000, () => prober!.invocationsSince(opened) > 0);
      const refusals: Call[] = [];
      for (let i = 0; i < 5; i++) {
        refusals.push(await other!.request<Call>({ cmd: 'call' }));
        await sleep(20);
      }
      expect(refusals.map((c) => c.error)).to.deep.equal(Array(5).fill('CircuitBreakerOpenException'));
      expect(refusals.map((c) => c.retryAfter), 'retryAfter while the probe is in flight').to.deep.equal([0, 0, 0, 0, 0]);
      expect(refusals.map((c) => c.state)).to.deep.equal(Array(5).fill('HALF_OPEN'));
      expect((await probing).result).to.equal('ok');
      await allIn('CLOSED', fleet, 1_000);
    });
  });

  it('a process started during the outage starts OPEN', async () => {
    const opened = await trip(fleet[0]!);
    await allIn('OPEN', fleet, 1_000);
    await sleep(100);
    const late = spare!;
    spare = undefined;
    extra.push(late);
    await initFleet([late], config);
    const first = await until('the late process reports a state', 1_000, () => late!.events.find((e) => e.event === 'state'));
    expect(first).to.include({ from: 'CLOSED', to: 'OPEN', reason: 'store' });
    const refused = await late!.request<Call>({ cmd: 'call', outcome: 'ok' });
    expect(refused.error).to.equal('CircuitBreakerOpenException');
    expect(refused.invocations).to.equal(0);
    // The remaining wait came from Redis: it ends with everyone else's.
    expect(refused.nextProbeIn!).to.be.within(0, opened + RESET_TIMEOUT - now() + 30);
  });

  it('CLOSED calls send Redis no command at all (INFO stats before and after)', async () => {
    const processed = async () => Number(/total_commands_processed:(\d+)/.exec(await admin!.info('stats'))![1]);
    // Wait until the processes are done joining (SUBSCRIBE, TIME, the first read): then INFO alone moves the count.
    const perInfo = 1; // INFO counts itself
    let b = await processed();
    await until('Redis is quiet', 3_000, async () => {
      const a = b;
      await sleep(100);
      b = await processed();
      return b - a === perInfo;
    }, 0);
    const results = await burst(1_000, 50, 'ok');
    // Including failures that do not trip: still CLOSED, still local.
    await fleet[1]!.request({ cmd: 'call', outcome: 'fail' });
    const c = await processed();
    expect(results.reduce((sum, r) => sum + r.ok, 0)).to.equal(1_000);
    expect(c - b, 'commands Redis processed besides INFO').to.equal(perInfo);
  });

  describe('Redis down', () => {
    it('killed with SIGKILL: no guarded call fails or waits on it; a lone breaker still trips and recovers by itself', async () => {
      await server!.kill();
      await until('every store reports itself unavailable', 1_000, async () => (await views()).every((v) => !v.available));
      const closed = await burst(400, 40, 'ok');
      expect(closed.map((r) => r.ok)).to.deep.equal([100, 100, 100, 100]);
      expect(Math.max(...closed.map((r) => r.slowest)), 'slowest CLOSED call, ms').to.be.below(PROMPT);

      const [lone, ...others] = fleet;
      const started = now();
      const opened = await trip(lone!);
      expect(now() - started, 'three failing calls, ms').to.be.below(3 * PROMPT);
      const refused = await lone!.request<Call>({ cmd: 'call', outcome: 'ok' });
      expect(refused.error).to.equal('CircuitBreakerOpenException');
      expect(refused.took).to.be.below(PROMPT);
      // Nothing reached the others: they still call the dependency.
      for (const w of others) expect((await w.request<Call>({ cmd: 'call', outcome: 'ok' })).result, w.label).to.equal('ok');

      await waitOut(opened);
      const probe = await lone!.request<Call>({ cmd: 'call', outcome: 'ok' });
      expect(probe.result, 'the first call after the wait probes, alone').to.equal('ok');
      expect(probe.took).to.be.below(PROMPT);
      expect(probe.state).to.equal('CLOSED');
      expect(lone!.transition('CLOSED', opened)!.reason).to.equal('probe-succeeded');
    });

    it('hung with SIGSTOP: the same, within the bounded command timeout', async () => {
      server!.pause();
      const closed = await burst(400, 40, 'ok');
      expect(closed.map((r) => r.ok)).to.deep.equal([100, 100, 100, 100]);
      expect(Math.max(...closed.map((r) => r.slowest)), 'slowest CLOSED call, ms').to.be.below(PROMPT);

      const [lone, ...others] = fleet;
      const started = now();
      const opened = await trip(lone!);
      expect(now() - started, 'three failing calls, ms').to.be.below(3 * PROMPT);
      // Telling the fleet times out after commandTimeout: the store is then degraded and the breaker decides alone.
      await until('the store gives up on the hung Redis', COMMAND_TIMEOUT + 200, async () => !(await lone!.view()).available);
      for (const w of others) expect((await w.request<Call>({ cmd: 'call', outcome: 'ok' })).result, w.label).to.equal('ok');
      await waitOut(opened);
      const probe = await lone!.request<Call>({ cmd: 'call', outcome: 'ok' });
      expect(probe.result).to.equal('ok');
      expect(probe.took).to.be.below(PROMPT);
      expect(probe.state).to.equal('CLOSED');
      // Redis answers again and runs the trip it held, late: past its deadline, it must do nothing.
      // (It used to open every process for a full wait, the recovered one included.)
      server!.resume();
      await until('every store is available again', 2_000, async () => (await views()).every((v) => v.available));
      await sleep(100);
      expect((await views()).map((v) => v.state)).to.deep.equal(['CLOSED', 'CLOSED', 'CLOSED', 'CLOSED']);
      expect(await admin!.exists(`circuit-breaker:{${config.name}}:state`)).to.equal(0);
    });

    it('hung with SIGSTOP while OPEN: after the wait each process probes alone, after at most a command timeout', async () => {
      const opened = await trip(fleet[0]!);
      await allIn('OPEN', fleet, 1_000);
      server!.pause();
      await waitOut(opened);
      await Promise.all(fleet.map((w) => w.request({ cmd: 'dependency', outcome: 'ok' })));
      const started = now();
      const took: number[] = [];
      // Each process calls every 10 ms: its first call asks for the lease; the request times out, then that call probes alone.
      await until('every process has probed', COMMAND_TIMEOUT + 500, async () => {
        const calls = await Promise.all(fleet.map((w) => w.request<Call>({ cmd: 'call' })));
        took.push(...calls.map((c) => c.took));
        return fleet.every((w) => w.invocationsSince(started) > 0);
      }, 10);
      const after = fleet.map((w) => w.events.find((e) => e.event === 'invoked' && e.at >= started)!.at - started);
      console.log(`      probed alone after ${after.map((t) => t.toFixed(0)).join(', ')} ms (commandTimeout ${COMMAND_TIMEOUT} ms)`);
      expect(Math.max(...after)).to.be.below(COMMAND_TIMEOUT + 100);
      // Only the call that asked for the lease waited on Redis, for at most the command timeout; no call failed.
      expect(took.filter((t) => t >= PROMPT), 'calls that waited on Redis: one per process').to.have.length.at.most(N);
      expect(Math.max(...took), 'slowest call, ms').to.be.below(COMMAND_TIMEOUT + PROMPT);
      await allIn('CLOSED', fleet, 500);
    });
  });

  it('Redis restarted empty: the processes agree again (one that tripped alone tells the others)', async () => {
    await server!.kill();
    await until('every store reports itself unavailable', 1_000, async () => (await views()).every((v) => !v.available));
    const [lone, ...others] = fleet;
    await trip(lone!);
    expect((await views(others)).map((v) => v.state)).to.deep.equal(['CLOSED', 'CLOSED', 'CLOSED']);
    const restarted = now();
    await server!.restart();
    await allIn('OPEN', fleet, 2_000);
    console.log(`      agreed ${(now() - restarted).toFixed(0)} ms after the restart`);
    for (const w of others) expect(w.transition('OPEN', restarted)!.reason).to.equal('store');
    // And the circuit works fleet-wide again: one probe, closed everywhere.
    const fleetWait = Math.max(...(await views()).map((v) => v.nextProbeIn!));
    await slowProbe();
    await sleep(fleetWait + 20);
    const started = now();
    await burst(400, 60, 'ok');
    await allIn('CLOSED', fleet, 1_000);
    expect(fleet.reduce((sum, w) => sum + w.invocationsSince(started), 0)).to.equal(1);
  });

  it('Redis restarted while every process is OPEN: they stay OPEN and probe once', async () => {
    const opened = await trip(fleet[0]!);
    await allIn('OPEN', fleet, 1_000);
    await server!.restart();
    await until('every store is back', 2_000, async () => (await views()).every((v) => v.available));
    await subscribed(N);
    expect((await views()).map((v) => v.state)).to.deep.equal(['OPEN', 'OPEN', 'OPEN', 'OPEN']);
    await slowProbe();
    await waitOut(opened);
    const started = now();
    await burst(400, 60, 'ok');
    await allIn('CLOSED', fleet, 1_000);
    expect(fleet.reduce((sum, w) => sum + w.invocationsSince(started), 0)).to.equal(1);
  });

  describe('close()', () => {
    it('ends every connection, so that a process exits by itself', async () => {
      const clients = async () => String(await admin!.client('LIST')).trim().split('\n').length;
      expect(await clients()).to.equal(2 * N + 1);
      const [a, b] = fleet;
      await Promise.all([a!.request({ cmd: 'close' }), b!.request({ cmd: 'close' })]);
      const exits = await Promise.all([a!.exit(1_000), b!.exit(1_000)]);
      expect(exits).to.deep.equal([
        { code: 0, signal: null },
        { code: 0, signal: null },
      ]);
      await until('their connections are gone', 1_000, async () => (await clients()) === 2 * (N - 2) + 1);
    });

    it('ends them with Redis down too', async () => {
      await server!.kill();
      const [, , c, d] = fleet;
      await Promise.all([c!.request({ cmd: 'close' }), d!.request({ cmd: 'close' })]);
      expect(await Promise.all([c!.exit(1_000), d!.exit(1_000)])).to.deep.equal([
        { code: 0, signal: null },
        { code: 0, signal: null },
      ]);
    });

    it('ends them with Redis hung', async () => {
      server!.pause();
      const [a] = fleet;
      const started = now();
      await a!.request({ cmd: 'close' });
      expect(await a!.exit(1_000)).to.deep.equal({ code: 0, signal: null });
      expect(now() - started).to.be.below(1_000);
    });
  });
});
