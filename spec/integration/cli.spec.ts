/**
 * The command-line tool (`npx circuit-breaker-decorator`) against a real
 * redis-server and live members: three processes forked from here (the fleet
 * suite's workers, spec/fleet/support) share one breaker through
 * RedisCircuitStore; the CLI runs as a child process of its own and lists,
 * isolates, releases and resets their circuit. Then Redis is frozen (SIGSTOP),
 * refused and paused under it, and the CLI must still exit within its timeout.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { RedisCircuitAdmin, type AdminResult, type CircuitListing } from '../../src/redis/admin';
import { FleetProcess, initFleet, sleep, until } from '../fleet/support/fleet';
import type { WorkerConfig, WorkerView } from '../fleet/support/protocol';
import { RedisServer, requireRedisServer } from '../support/redis-server';
import { compiledCli, runCli } from '../cli/run-cli';
import { expectTimely, nodeRedisOnlyCli } from './cli-support';

const MEMBERS = 3;
const THRESHOLD = 3;
/** How long a member may take to apply a push (loopback, a loaded machine). */
const PUSHED = 2_000;

type Call = WorkerView & { result?: string; error?: string; retryAfter?: number };

describe('circuit-breaker-decorator (the CLI) against a real redis-server and live members', function () {
  this.timeout(20_000);
  this.slow(4_000);

  let server: RedisServer | undefined;
  let client: Redis | undefined;
  const members: FleetProcess[] = [];
  let config: WorkerConfig;
  let circuits = 0;
  /** Timeout figures, printed at the end (for the docs and the report). */
  const figures: string[] = [];

  before(async function () {
    this.timeout(60_000);
    requireRedisServer(this);
    compiledCli();
    server = await RedisServer.start();
    client = new Redis(server.url, { maxRetriesPerRequest: 1, commandTimeout: 2_000, retryStrategy: () => 50 });
    client.on('error', () => undefined);
    for (let i = 0; i < MEMBERS; i++) members.push(new FleetProcess(`m${i + 1}`));
    await Promise.all(members.map((m) => m.loaded(30_000)));
  });

  after(async () => {
    await Promise.all(members.map((m) => m.kill()));
    client?.disconnect();
    await server?.close();
    if (figures.length > 0) console.log(`      CLI timeouts: ${figures.join('; ')}`);
  });

  afterEach(() => server?.resume());

  /** A fresh circuit for the members (each spec its own name: nothing carries over in Redis). */
  async function join(overrides: Partial<WorkerConfig> = {}): Promise<string> {
    config = {
      url: server!.url,
      name: `payments-api-${++circuits}`,
      failureThreshold: THRESHOLD,
      resetTimeout: 30_000,
      probeLease: 5_000,
      commandTimeout: 250,
      reconnectEvery: 50,
      readyTimeout: 5_000,
      ...overrides,
    };
    await initFleet(members, config);
    await until(`${MEMBERS} members subscribed`, 3_000, async () => {
      const [, count] = (await client!.pubsub('NUMSUB', `circuit-breaker:{${config.name}}:events`)) as [string, number];
      return count === MEMBERS;
    });
    return config.name;
  }

  const cli = (...args: string[]) => runCli([...args, '--redis', server!.url]);
  const views = () => Promise.all(members.map((m) => m.view()));
  const allIn = (state: WorkerView['state']) =>
    until(`every member ${state}`, PUSHED, async () => (await views()).every((v) => v.state === state));
  const listed = async (name: string): Promise<CircuitListing> => {
    const run = await cli('circuits', '--json');
    expect(run.code, run.stderr).to.equal(0);
    const all = JSON.parse(run.stdout) as CircuitListing[];
    const found = all.find((c) => c.name === name);
    expect(found, `${name} in ${run.stdout}`).to.not.equal(undefined);
    return found!;
  };

  async function trip(member: FleetProcess): Promise<void> {
    for (let i = 0; i < THRESHOLD; i++) await member.request<Call>({ cmd: 'call', outcome: 'fail' });
    await allIn('OPEN');
  }

  describe('against live members', () => {
    it('circuits lists the members\' circuit CLOSED, OPEN with its wait, then HALF_OPEN while one probes (table and --json); a release leaves that probe alone', async () => {
      const name = await join({ resetTimeout: 1_000 });
      const closed = await listed(name);
      expect(closed).to.deep.equal({ name, state: 'CLOSED', isolated: false, waitMs: 0, leaseHolder: null, leaseMs: null, members: MEMBERS, failureRate: null });

      await trip(members[0]!);
      const open = await listed(name);
      expect(open).to.include({ state: 'OPEN', isolated: false, leaseHolder: null, members: MEMBERS, failureRate: null });
      expect(open.waitMs).to.be.within(1, 1_000);
      const table = await cli('circuits');
      expect(table.code, table.stderr).to.equal(0);
      expect(table.stdout.split('\n')[0]).to.match(/^NAME +STATE +WAIT +LEASE +MEMBERS +FAILURE RATE$/);
      expect(table.stdout).to.match(new RegExp(`^${name} +OPEN +`, 'm'));

      // The wait ends; m2's next call gets the lease and probes a dependency that answers in 3 s.
      await until('the wait is over, in Redis and in m2', 3_000, async () =>
        (await client!.pttl(`circuit-breaker:{${name}}:wait`)) === -2 && ((await members[1]!.view()).nextProbeIn ?? 1) <= 0,
      );
      await members[1]!.request({ cmd: 'dependency', outcome: 'ok', delay: 3_000 });
      await members[1]!.request({ cmd: 'burst', n: 1, spreadMs: 0, detach: true });
      const probing = await listed(name);
      expect(probing).to.include({ state: 'HALF_OPEN', isolated: false, waitMs: 0, members: MEMBERS });
      expect(probing.leaseHolder).to.be.a('string').and.not.equal('');
      expect(probing.leaseMs).to.be.within(1, 5_000);
      expect((await cli('circuits')).stdout).to.match(new RegExp(`^${name} +HALF_OPEN +- +${probing.leaseHolder} \\(`, 'm'));
      // A release leaves the probe in flight alone: its outcome decides (a second probe would run beside it).
      const release = await cli('release', name);
      expect(release.code, release.stderr).to.equal(0);
      expect(release.stdout).to.include(`${name} is HALF_OPEN: a probe is in flight`);
      expect(await client!.get(`circuit-breaker:{${name}}:lease`)).to.equal(probing.leaseHolder);
    });

    it("circuits lists the fleet window's failure rate of live members (the rate of the window's buckets in Redis's clock), CLOSED and after it opens; null without a fleet window", async () => {
      // A 60 s window: every bucket the members write is still in it when the CLI reads.
      const name = await join({ failureRate: { threshold: 0.5, minimumCalls: 20, window: { duration: 60_000, buckets: 6 } } });
      expect((await listed(name)).failureRate, 'no call yet: no fleet window').to.equal(null);
      // Each member: 3 successes and 1 failure, then its bucket's counts are sent with the failure that could tip.
      // (Sent at once: a failure that brings the rate to the threshold below minimumCalls asks the fleet.)
      for (const member of members) {
        await member.request({ cmd: 'burst', n: 1, spreadMs: 0, outcome: 'fail' });
        await member.request({ cmd: 'burst', n: 1, spreadMs: 0, outcome: 'ok' });
      }
      const counted = await until('the members sent their counts', PUSHED, async () => {
        const circuit = await listed(name);
        return circuit.failureRate !== null && circuit;
      });
      expect(counted).to.include({ state: 'CLOSED', members: MEMBERS });
      // What the window holds: the failures of every member over their calls sent so far, from the hash itself.
      const hash = await client!.hgetall(`circuit-breaker:{${name}}:window`);
      const sum = (kind: string) => Object.entries(hash).filter(([field]) => field.startsWith(kind)).reduce((total, [, n]) => total + Number(n), 0);
      expect(sum('c'), 'calls in the fleet window').to.be.at.least(MEMBERS);
      expect(counted.failureRate).to.be.closeTo(sum('f') / sum('c'), 1e-9);
      expect(counted.failureRate).to.be.above(0);
      const table = await cli('circuits');
      expect(table.stdout).to.match(new RegExp(`^${name} +CLOSED +- +- +${MEMBERS} +${(counted.failureRate! * 100).toFixed(1)}%$`, 'm'));

      // Failures until the fleet's rate opens it: the rate listed is the window's, now at or above the threshold.
      for (let i = 0; i < 8 && (await views()).some((v) => v.state !== 'OPEN'); i++) {
        for (const member of members) await member.request({ cmd: 'burst', n: 2, spreadMs: 0, outcome: 'fail' });
      }
      await allIn('OPEN');
      const open = await listed(name);
      expect(open.state).to.equal('OPEN');
      expect(open.failureRate).to.be.at.least(0.5);
      // A circuit under the consecutive rule has no fleet window.
      const plain = await join();
      await trip(members[0]!);
      expect((await listed(plain)).failureRate).to.equal(null);
    });

    it('with node-redis and no ioredis: circuits lists the live members, isolate and reset reach them, and a hung Redis still ends within --timeout', async () => {
      const name = await join();
      const list = await nodeRedisOnlyCli('circuits', '--json', '--redis', server!.url);
      expect(list.code, list.stderr).to.equal(0);
      expect((JSON.parse(list.stdout) as CircuitListing[]).find((c) => c.name === name)).to.include({ state: 'CLOSED', members: MEMBERS });
      const isolate = await nodeRedisOnlyCli('isolate', name, '--redis', server!.url);
      expect(isolate.code, isolate.stderr).to.equal(0);
      await allIn('OPEN');
      const reset = await nodeRedisOnlyCli('reset', name, '--redis', server!.url);
      expect(reset.code, reset.stderr).to.equal(0);
      await allIn('CLOSED');
      server!.pause();
      const hung = await nodeRedisOnlyCli('circuits', '--redis', server!.url, '--timeout', '1000');
      server!.resume();
      expectTimely(hung, 1_000, server!.url);
      figures.push(`node-redis hung: circuits ${hung.ms.toFixed(0)} ms (--timeout 1000)`);
    });

    it('circuits --prefix: only that prefix (glob characters are literal); a circuit seen only by its lease or wait is listed, CLOSED', async () => {
      await client!.set('ops*:{only-lease}:lease', 'holder-1', 'PX', 60_000);
      await client!.set('ops*:{only-wait}:wait', '1', 'PX', 60_000);
      await client!.set('ops*:{tripped}:state', 'OPEN');
      await client!.set('opsX:{elsewhere}:state', 'OPEN');
      await client!.set('ops*:{not-a-circuit}:other', '1');
      const run = await cli('circuits', '--prefix', 'ops*:', '--json');
      expect(run.code, run.stderr).to.equal(0);
      const all = JSON.parse(run.stdout) as CircuitListing[];
      expect(all.map((c) => [c.name, c.state, c.leaseHolder])).to.deep.equal([
        ['only-lease', 'CLOSED', 'holder-1'],
        ['only-wait', 'CLOSED', null],
        ['tripped', 'OPEN', null],
      ]);
      const empty = await cli('circuits', '--prefix', 'nothing-here:');
      expect(empty.stdout).to.equal("no circuits under prefix 'nothing-here:'\n");
    });

    it('isolate NAME: every live member refuses with retryAfter Infinity, without invoking; circuits shows it OPEN, isolated', async () => {
      const name = await join();
      const run = await cli('isolate', name);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(new RegExp(`^isolated ${name} \\(was CLOSED\\).*pushed to ${MEMBERS} live members\\n$`));
      await allIn('OPEN');
      for (const member of members) {
        const call = await member.request<Call>({ cmd: 'call', outcome: 'ok' });
        expect(call, member.label).to.include({ error: 'CircuitBreakerOpenException', retryAfter: Infinity, invocations: 0 });
      }
      expect(await listed(name)).to.include({ state: 'OPEN', isolated: true, waitMs: null });
    });

    it('release NAME (isolated): every member OPEN with the probe due, not closed; the next call probes once and closes the fleet', async () => {
      const name = await join();
      await new RedisCircuitAdmin({ client: client! }).isolate(name);
      // Views, not calls, until the push arrived: a call made before it would invoke the dependency.
      await allIn('OPEN');
      for (const member of members) expect(await member.request<Call>({ cmd: 'call' }), member.label).to.include({ retryAfter: Infinity, invocations: 0 });
      const run = await cli('release', name, '--json');
      expect(run.code, run.stderr).to.equal(0);
      const result = JSON.parse(run.stdout) as AdminResult;
      expect(result).to.include({ name, action: 'release', applied: true, outcome: 'released' });
      expect(result.before).to.include({ state: 'OPEN', isolated: true });
      // Released, not closed: OPEN with the probe due at once everywhere.
      await until('every member OPEN, probe due', PUSHED, async () => (await views()).every((v) => v.state === 'OPEN' && (v.nextProbeIn ?? 1) <= 0));
      const probe = await members[1]!.request<Call>({ cmd: 'call', outcome: 'ok' });
      expect(probe).to.include({ result: 'ok', state: 'CLOSED', invocations: 1 });
      await allIn('CLOSED');
      expect((await views()).reduce((sum, v) => sum + v.invocations, 0), 'one probe in the fleet').to.equal(1);
    });

    it('release NAME of a CLOSED circuit does nothing (exit 0, said so): a release never closes or opens one', async () => {
      const name = await join();
      const run = await cli('release', name);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.equal(`${name} is CLOSED: nothing to release (a release never closes or opens a closed circuit)\n`);
      expect(await client!.exists(`circuit-breaker:{${name}}:state`)).to.equal(0);
      expect((await views()).map((v) => v.state)).to.deep.equal(['CLOSED', 'CLOSED', 'CLOSED']);
    });

    it('reset NAME: every member that was OPEN (a trip, a 30 s wait) closes, and calls go through', async () => {
      const name = await join();
      await trip(members[2]!);
      const run = await cli('reset', name);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.match(new RegExp(`^reset ${name} \\(was OPEN\\): CLOSED everywhere; pushed to ${MEMBERS} live members\\n$`));
      await allIn('CLOSED');
      for (const member of members) expect(await member.request<Call>({ cmd: 'call', outcome: 'ok' }), member.label).to.include({ result: 'ok' });
      expect(await client!.exists(`circuit-breaker:{${name}}:state`, `circuit-breaker:{${name}}:wait`)).to.equal(0);
    });

    it('reset NAME on a CLOSED circuit: every member applies it as its own reset(), its failure count empties', async () => {
      const name = await join();
      for (const member of members) for (let i = 0; i < THRESHOLD - 1; i++) await member.request<Call>({ cmd: 'call', outcome: 'fail' });
      const run = await cli('reset', name);
      expect(run.code, run.stderr).to.equal(0);
      await sleep(100); // the push reaches every member (loopback: about a millisecond)
      // Counting afresh: THRESHOLD - 1 failures again trip nothing (without the reset, the first would).
      for (const member of members) for (let i = 0; i < THRESHOLD - 1; i++) await member.request<Call>({ cmd: 'call', outcome: 'fail' });
      await sleep(100);
      expect((await views()).map((v) => v.state)).to.deep.equal(members.map(() => 'CLOSED'));
    });

    it('a NAME the store does not know: exit 3, nothing written; with --force it is written (isolated ahead of a deploy)', async () => {
      const name = `not-deployed-${++circuits}`;
      const run = await cli('isolate', name);
      expect(run.code).to.equal(3);
      expect(run.stderr).to.include(`no circuit named "${name}"`).and.to.include('--force');
      expect(await client!.exists(`circuit-breaker:{${name}}:state`)).to.equal(0);
      const forced = await cli('isolate', name, '--force');
      expect(forced.code, forced.stderr).to.equal(0);
      expect(await client!.get(`circuit-breaker:{${name}}:state`)).to.equal('ISOLATED');
    });
  });

  describe('never blocked by Redis', () => {
    it('a hung Redis (SIGSTOP): circuits and isolate exit 1 within --timeout, naming the URL and the timeout', async () => {
      const name = await join();
      server!.pause();
      const timeout = 1_000;
      const [list, isolate] = await Promise.all([
        runCli(['circuits', '--redis', server!.url, '--timeout', String(timeout)]),
        runCli(['isolate', name, '--redis', server!.url, '--timeout', String(timeout)]),
      ]);
      server!.resume();
      for (const run of [list, isolate]) {
        expectTimely(run, timeout, server!.url);
        expect(run.stderr).to.include('no answer from Redis within the timeout');
      }
      figures.push(`hung: circuits ${list.ms.toFixed(0)} ms, isolate ${isolate.ms.toFixed(0)} ms (--timeout ${timeout})`);
      await sleep(100);
      expect(await client!.exists(`circuit-breaker:{${name}}:state`), 'nothing applied once Redis resumed').to.equal(0);
    });

    it('a write that reaches Redis after its deadline is not applied (RedisCircuitAdmin, the deadline in Redis\'s clock)', async () => {
      const name = await join();
      const late = new RedisCircuitAdmin({ client: client!, deadline: performance.now() - 1 });
      expect(await late.isolate(name)).to.include({ applied: false, outcome: 'late' });
      expect(await client!.exists(`circuit-breaker:{${name}}:state`)).to.equal(0);
      await new RedisCircuitAdmin({ client: client! }).isolate(name);
      expect(await late.release(name)).to.include({ applied: false, outcome: 'late' });
      expect(await late.reset(name)).to.include({ applied: false, outcome: 'late' });
      expect(await client!.get(`circuit-breaker:{${name}}:state`)).to.equal('ISOLATED');
    });

    it('a Redis that stops answering writes mid-command (CLIENT PAUSE WRITE): isolate exits 1 within --timeout, and nothing is isolated', async () => {
      const name = await join();
      const timeout = 1_000;
      await client!.call('CLIENT', 'PAUSE', '1600', 'WRITE');
      const run = await runCli(['isolate', name, '--redis', server!.url, '--timeout', String(timeout)]);
      expectTimely(run, timeout, server!.url);
      expect(run.stderr).to.include('to the write: applied only if Redis ran it before the deadline');
      figures.push(`writes paused: isolate ${run.ms.toFixed(0)} ms (--timeout ${timeout})`);
      await until('the pause is over', 3_000, async () => (await client!.set(`cli-spec-probe-${name}`, '1', 'PX', 1000)) === 'OK');
      expect(await client!.get(`circuit-breaker:{${name}}:state`)).to.equal(null);
      expect((await views()).map((v) => v.state)).to.deep.equal(['CLOSED', 'CLOSED', 'CLOSED']);
    });
  });
});
