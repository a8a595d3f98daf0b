/**
 * The fleet rules on a real Redis Cluster (issue 19, item 3): three primaries and three replicas on
 * loopback (spec/support/redis-cluster.ts), four worker processes sharing a breaker through
 * RedisCircuitStore over a cluster client, once with ioredis's `Cluster` and once with node-redis's
 * `createCluster`. Then the primary serving the circuit's slot is killed (SIGKILL) while every process
 * calls: no call fails or waits, and the fleet agrees again once the replica has taken over.
 *
 * Short real times; every wait is bounded.
 */
import { expect } from 'chai';
import { RedisCircuitStore } from '../../src/redis';
import { RedisCircuitAdmin } from '../../src/redis/admin';
import { compiledCli, runCli } from '../cli/run-cli';
import { makeClusterClient, REDIS_LIBRARIES, type MadeClient } from '../support/redis-clients';
import { RedisCluster } from '../support/redis-cluster';
import { requireRedisServer } from '../support/redis-server';
import { FleetProcess, initFleet, now, sleep, until } from './support/fleet';
import type { WorkerConfig, WorkerView } from './support/protocol';

const N = 4;
const THRESHOLD = 3;
const RESET_TIMEOUT = 400;
const COMMAND_TIMEOUT = 150;
/** A push between processes on loopback, as the fleet suite bounds it. */
const PROPAGATION_BOUND = 100;
/** A guarded call that does not wait on Redis settles within this. */
const PROMPT = 50;
/**
 * Commands no store sends: a cluster client's own (slot maps, PING, READONLY, its hello), the spec's INFO, and the
 * replication between nodes (a replica's REPLCONF ACK every second).
 */
const CLIENT_OWN = (name: string) =>
  ['info', 'ping', 'readonly', 'hello', 'replconf', 'psync', 'sync'].includes(name) || name.startsWith('cluster') || name.startsWith('client');

/** Names whose hash tag needs escaping (a `}` first, braces inside, a literal escape), on several slots. */
const ESCAPED = ['}starts-with-a-brace', 'a{b}c', '{}', 'Upstream#get[{"id":1}]', '100%7B-literal'];

type Burst = WorkerView & { invoked: number; ok: number; refused: number; failed: number; slowest: number };
type Call = WorkerView & { result?: string; error?: string };

describe('fleet on a real Redis Cluster (three primaries, three replicas)', function () {
  this.timeout(30_000);
  this.slow(5_000);

  let cluster: RedisCluster | undefined;
  const figures: string[] = [];

  before(async function () {
    this.timeout(60_000);
    requireRedisServer(this);
    cluster = await RedisCluster.start();
  });
  after(async () => {
    await cluster?.close();
    if (figures.length > 0) console.log(`      cluster figures: ${figures.join('; ')}`);
  });

  describe('names that need escaping in the hash tag', () => {
    for (const library of REDIS_LIBRARIES) {
      it(`${library}: a name with { or } keeps every key of its circuit in one slot, is pushed between stores, and is listed as it is`, async () => {
        const made: MadeClient[] = [0, 1, 2].map(() => makeClusterClient(library, cluster!.nodes, { commandTimeout: 500 }));
        const [a, b] = made.map((m) => new RedisCircuitStore({ client: m.client, prefix: `escape-${library}:` }));
        try {
          expect([await a!.ready(5_000), await b!.ready(5_000)]).to.deep.equal([true, true]);
          const names = ESCAPED;
          for (const name of names) {
            const heard: string[] = [];
            const opener = a!.join(name, () => undefined);
            const listener = b!.join(name, (fleet, update) => update === 'event' && heard.push(fleet.state));
            await sleep(100);
            // The OPEN script touches state, wait and lease: CROSSSLOT if they were in different slots.
            expect(await opener.open(5_000, 'trip'), name).to.equal(5_000);
            await until(`${name} pushed`, 1_000, () => heard.includes('OPEN'));
            await opener.addToWindow!({ calls: 2, failures: 1, slow: 0 }, { duration: 10_000, buckets: 10 });
            opener.leave();
            listener.leave();
          }
          const admin = new RedisCircuitAdmin({ client: made[2]!.client, prefix: `escape-${library}:` });
          const listed = await admin.list();
          expect(listed.map((c) => c.name)).to.deep.equal([...names].sort());
          expect(listed.map((c) => [c.state, c.failureRate])).to.deep.equal(names.map(() => ['OPEN', 0.5]));
          // Every key of one circuit in the slot of its (escaped) tag.
          for (const name of names) {
            const tag = name.replace(/[%{}]/g, (c) => (c === '%' ? '%25' : c === '{' ? '%7B' : '%7D'));
            const slots = await Promise.all(['state', 'wait', 'lease', 'window', 'window:meta', 'events'].map((s) => cluster!.slotOf(`escape-${library}:{${tag}}:${s}`)));
            expect(new Set(slots).size, name).to.equal(1);
            expect(slots[0]).to.equal(await cluster!.slotOf(tag));
          }
        } finally {
          await Promise.all([a!.close(), b!.close()]);
          await Promise.all(made.map((m) => m.close()));
        }
      });
    }

    it('the CLI given one node of a cluster lists the circuits of every primary (SCAN on each), as they are named', async function () {
      // The circuits the spec above left (ioredis's, or node-redis's when only that one runs).
      const prefix = `escape-${REDIS_LIBRARIES[0]}:`;
      compiledCli();
      const run = await runCli(['circuits', '--json', '--prefix', prefix, '--redis', cluster!.servers[0]!.url, '--timeout', '5000']);
      expect(run.code, run.stderr).to.equal(0);
      const listed = (JSON.parse(run.stdout) as { name: string; state: string }[]).map((c) => c.name);
      expect(listed).to.deep.equal([...ESCAPED].sort());
      // The names live on more than one primary: one node's SCAN alone would have missed some.
      const tag = (name: string) => name.replace(/[%{}]/g, (c) => (c === '%' ? '%25' : c === '{' ? '%7B' : '%7D'));
      const primaries = await Promise.all(ESCAPED.map(async (name) => cluster!.primaryOf(await cluster!.slotOf(tag(name)))));
      expect(new Set(primaries).size).to.be.at.least(2);
    });
  });

  for (const library of REDIS_LIBRARIES) {
    describe(`${library} cluster client: four processes`, () => {
      const fleet: FleetProcess[] = [];
      let config: WorkerConfig;
      let circuits = 0;

      before(async function () {
        this.timeout(60_000);
        for (let i = 0; i < N; i++) fleet.push(new FleetProcess(`${library}-${i + 1}`));
        await Promise.all(fleet.map((w) => w.loaded()));
      });
      after(() => Promise.all(fleet.map((w) => w.kill())));

      async function start(change: Partial<WorkerConfig> = {}): Promise<WorkerConfig> {
        // A node killed by a spec before is back (as a replica), and the cluster ok, before the next one.
        for (const server of cluster!.servers) if (!server.running) await server.restart();
        await cluster!.healthy();
        config = {
          url: cluster!.urls,
          cluster: true,
          library,
          name: `cluster-api-${library}-${++circuits}`,
          failureThreshold: THRESHOLD,
          resetTimeout: RESET_TIMEOUT,
          probeLease: 1_000,
          commandTimeout: COMMAND_TIMEOUT,
          reconnectEvery: 50,
          readyTimeout: 5_000,
          ...change,
        };
        await initFleet(fleet, config);
        // Subscribed: each member's subscriber is on one node; the counts summed over every node.
        const admin = makeClusterClient(library, cluster!.nodes);
        try {
          const reader = new RedisCircuitAdmin({ client: admin.client });
          await until('every member subscribed', 5_000, async () => (await reader.get(config.name).catch(() => undefined))?.members === N, 20);
        } finally {
          await admin.close();
        }
        return config;
      }

      const views = () => Promise.all(fleet.map((w) => w.view()));
      const allIn = (state: WorkerView['state'], timeout: number) =>
        until(`every process ${state}`, timeout, async () => (await views()).every((v) => v.state === state));
      async function trip(worker: FleetProcess): Promise<number> {
        for (let i = 0; i < THRESHOLD; i++) await worker.request<Call>({ cmd: 'call', outcome: 'fail' });
        return worker.transition('OPEN')!.at;
      }

      it('a trip in one process opens every other within the bound; after the wait one call of a burst over all four probes, and its success closes the circuit everywhere', async () => {
        await start();
        const opened = await trip(fleet[0]!);
        const seen = await until('every process OPEN', 1_000, () => {
          const times = fleet.slice(1).map((w) => w.transition('OPEN', opened - 1)?.at);
          return times.every((t) => t !== undefined) && (times as number[]);
        });
        const delays = seen.map((t) => t - opened);
        figures.push(`${library}: trip -> OPEN ${delays.map((d) => d.toFixed(1)).join(', ')} ms`);
        expect(Math.max(...delays)).to.be.below(PROPAGATION_BOUND);
        await Promise.all(fleet.map((w) => w.request({ cmd: 'dependency', outcome: 'ok', delay: 300 })));
        await sleep(Math.max(0, opened + RESET_TIMEOUT + 20 - now()));
        const started = now();
        const bursts = await Promise.all(fleet.map((w) => w.request<Burst>({ cmd: 'burst', n: 100, spreadMs: 100, outcome: 'ok' })));
        expect(bursts.reduce((sum, r) => sum + r.invoked, 0), 'invocations in the burst, fleet-wide').to.equal(1);
        await allIn('CLOSED', 1_000);
        expect(fleet.reduce((sum, w) => sum + w.invocationsSince(started), 0)).to.equal(1);
      });

      it('CLOSED calls send the cluster no command (INFO commandstats summed over every node)', async () => {
        await start();
        // What moved between two readings, the clients' own commands aside.
        const moved = (from: Map<string, number>, to: Map<string, number>) =>
          [...to].filter(([name, calls]) => !CLIENT_OWN(name) && calls !== (from.get(name) ?? 0)).map(([name, calls]) => `${name} +${calls - (from.get(name) ?? 0)}`);
        let before = await cluster!.commandStats();
        await until('the cluster is quiet', 3_000, async () => {
          const previous = before;
          await sleep(100);
          before = await cluster!.commandStats();
          return moved(previous, before).length === 0;
        }, 0);
        const bursts = await Promise.all(fleet.map((w) => w.request<Burst>({ cmd: 'burst', n: 250, spreadMs: 50, outcome: 'ok' })));
        await fleet[1]!.request({ cmd: 'call', outcome: 'fail' }); // counted, not tripping: still local
        const sent = moved(before, await cluster!.commandStats());
        expect(bursts.reduce((sum, r) => sum + r.ok, 0)).to.equal(1_000);
        figures.push(`${library}: ${sent.length === 0 ? 'no command' : sent.join(', ')} for 1,001 CLOSED calls`);
        expect(sent, 'commands besides the clients’ own').to.deep.equal([]);
      });

      it("the fleet window on the cluster: four processes' failures, too few alone, open all four", async () => {
        await start({ failureRate: { threshold: 0.5, minimumCalls: 12, window: { duration: 2_000, buckets: 10 } }, resetTimeout: 5_000 });
        for (const w of fleet) await w.request({ cmd: 'burst', n: 3, spreadMs: 1, outcome: 'fail' });
        await allIn('OPEN', 1_000);
        const before = (await views()).map((v) => v.invocations);
        for (const w of fleet) expect((await w.request<Call>({ cmd: 'call', outcome: 'ok' })).error, w.label).to.equal('CircuitBreakerOpenException');
        expect((await views()).map((v) => v.invocations)).to.deep.equal(before);
      });

      it("the circuit's slot moved to another primary while OPEN (MOVED): the fleet still probes once and closes everywhere, no call failing", async () => {
        await start();
        const opened = await trip(fleet[0]!);
        await allIn('OPEN', 1_000);
        const slot = await cluster!.slotOf(`circuit-breaker:{${config.name}}:state`);
        const from = (await cluster!.primaryOf(slot))!;
        const to = (await cluster!.primaries()).find((port) => port !== from)!;
        await cluster!.moveSlot(slot, to);
        expect(await cluster!.primaryOf(slot)).to.equal(to);
        expect((await cluster!.command(to, ['EXISTS', `circuit-breaker:{${config.name}}:state`])).trim(), 'the OPEN state moved with its slot').to.equal('1');
        // The members' next commands go where their slot map says, are answered MOVED, and follow it.
        await Promise.all(fleet.map((w) => w.request({ cmd: 'dependency', outcome: 'ok', delay: 200 })));
        await sleep(Math.max(0, opened + RESET_TIMEOUT + 20 - now()));
        const started = now();
        const bursts = await Promise.all(fleet.map((w) => w.request<Burst>({ cmd: 'burst', n: 100, spreadMs: 100, outcome: 'ok' })));
        expect(bursts.map((r) => r.failed), 'calls failed').to.deep.equal([0, 0, 0, 0]);
        expect(bursts.reduce((sum, r) => sum + r.invoked, 0), 'invocations in the burst, fleet-wide').to.equal(1);
        await allIn('CLOSED', 2_000);
        expect(fleet.reduce((sum, w) => sum + w.invocationsSince(started), 0)).to.equal(1);
        expect((await views()).every((v) => v.available), 'every store available').to.equal(true);
      });

      it("the primary of the circuit's slot killed (SIGKILL) mid-run: no call fails or waits; a trip during the failover reaches every process once the replica took over", async () => {
        await start({ resetTimeout: 10_000 });
        const slot = await cluster!.slotOf(`circuit-breaker:{${config.name}}:state`);
        const primary = (await cluster!.primaryOf(slot))!;
        const [tripper, ...callers] = fleet;
        // Every other process calls a healthy dependency through the whole failover: about 4 s of calls.
        const running = callers.map((w) => w.request<Burst>({ cmd: 'burst', n: 4_000, spreadMs: 4_000, outcome: 'ok' }, 15_000));
        await sleep(200);
        const killed = now();
        await cluster!.server(primary).kill();
        await sleep(100);
        // A trip while the slot has no primary: the tripper opens at once, alone; the fleet hears of it later.
        const tripped = now();
        await trip(tripper!);
        expect(now() - tripped, 'three failing calls, ms').to.be.below(3 * PROMPT);
        const promoted = await until('a replica serves the slot', 15_000, () => cluster!.primaryOf(slot).then((p) => p !== undefined && p !== primary && p));
        const tookOver = now() - killed;
        await until('the fleet agrees: every process OPEN', 10_000, async () => (await views()).every((v) => v.state === 'OPEN'), 20);
        const agreed = now() - killed;
        const results = await Promise.all(running);
        const slowest = Math.max(...results.map((r) => r.slowest));
        figures.push(
          `${library}: primary :${primary} killed; replica :${promoted} took over after ${tookOver.toFixed(0)} ms; every process OPEN ${agreed.toFixed(0)} ms after the kill; slowest call ${slowest.toFixed(1)} ms`,
        );
        expect(results.map((r) => r.failed), 'calls failed, per process').to.deep.equal([0, 0, 0]);
        expect(slowest, 'slowest call during the failover, ms').to.be.below(PROMPT);
        for (const w of callers) expect(w.transition('OPEN', killed)?.reason, w.label).to.equal('store');
        // And the circuit is one again: a reset in one process closes every process (pushed through the new primary).
        await fleet[2]!.request({ cmd: 'reset' });
        await allIn('CLOSED', 2_000);
        // close() with a node of the cluster still dead: the store and its cluster client end every connection,
        // and the process exits by itself (no reconnect timer, no unhandled rejection: exit code 0).
        const last = fleet.pop()!;
        await last.request({ cmd: 'close' });
        expect(await last.exit(2_000), `${last.label} exits by itself`).to.deep.equal({ code: 0, signal: null });
      });
    });
  }
});
