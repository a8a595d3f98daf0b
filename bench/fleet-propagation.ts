/**
 * `npm run bench:fleet`: what a fleet costs and how fast it agrees. Four Node processes
 * (bench/fleet-worker.ts, forked) share breakers through a real redis-server on a free loopback port
 * (spec/support/redis-server.ts; `REDIS_SERVER` names the binary). Four measurements:
 *
 * 1. Trip propagation, consecutive rule: each of TRIPS rounds one process (in turn) trips a
 *    `failureThreshold: 1` breaker; the delay is from its OPEN transition to the OPEN transition
 *    (pushed by pub/sub) in each other process. `reset()` closes the circuit for the next round.
 * 2. Trip propagation, the fleet's window: each round a fresh circuit with a shared time window
 *    (`failureRate: { threshold: 0.5, minimumCalls: 8, window: { duration: 10_000, buckets: 10 } }`):
 *    three processes fail twice each (6 failures, none reaches minimumCalls alone), then the fourth
 *    fails twice and the fleet's rate crosses the threshold. Measured: from the crossing process's
 *    OPEN to each other's (propagation), and from the start of its two calls to the last process
 *    OPEN (trip to everywhere: one Redis round trip for its counts, the trip, the push).
 * 3. Redis commands per process per second at a steady STEADY_RATE calls a second over the four
 *    processes, all succeeding and then with one in FAIL_EVERY failing, for two windows: the commands
 *    the processes send (MONITOR, a script's own calls left out) and those Redis ran (`INFO commandstats`,
 *    which counts a script's own calls too).
 * 4. A CLOSED call's cost with a shared window beside the same options without a store (and the
 *    consecutive rule), in this process with a real RedisCircuitStore: interleaved rounds of
 *    mitata's `measure`, the same harness as bench/main.ts.
 * Every stamp is process.hrtime (CLOCK_MONOTONIC, one clock for every process of the machine).
 *
 *   npm run bench:fleet       # TRIPS=100 STEADY_MS=5000 ROUNDS=15; FLEET_SMOKE=1 for tiny counts
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { CircuitBreaker } from '../src';
import { RedisCircuitStore } from '../src/redis';
import { RedisServer } from '../spec/support/redis-server';
import type { BenchCommand, BenchEvent, SteadyResult } from './fleet-worker';

const SMOKE = process.env.FLEET_SMOKE === '1';
const TRIPS = Number(process.env.TRIPS ?? (SMOKE ? 5 : 100));
const PROCESSES = 4;
const STEADY_RATE = 10_000;
const STEADY_MS = Number(process.env.STEADY_MS ?? (SMOKE ? 1_000 : 5_000));
const FAIL_EVERY = 10;
const ROUNDS = Number(process.env.ROUNDS ?? (SMOKE ? 1 : 15));
const BATCH = 1_000;
const GOAL = { median: 5, p99: 25 };
const SHARED_WINDOW = { duration: 10_000, buckets: 10 };
const RATE = { threshold: 0.5, minimumCalls: 8, window: SHARED_WINDOW };

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A forked bench worker and its reports. */
class Worker {
  readonly events: BenchEvent[] = [];
  readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: Record<string, unknown>) => void; reject: (error: Error) => void }>();

  constructor(readonly label: string) {
    this.child = fork(join(__dirname, 'fleet-worker.ts'), [], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      env: { ...process.env, TS_NODE_PROJECT: join(__dirname, '..', 'tsconfig.json') },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    this.child.on('message', (message: { id?: number; failure?: string } & Record<string, unknown>) => {
      if ('event' in message) return void this.events.push(message as unknown as BenchEvent);
      const waiting = this.pending.get(message.id!);
      if (waiting === undefined) return;
      this.pending.delete(message.id!);
      if (message.failure !== undefined) waiting.reject(new Error(`${this.label}: ${message.failure}`));
      else waiting.resolve(message);
    });
    this.child.once('exit', () => {
      for (const { reject } of this.pending.values()) reject(new Error(`${this.label} exited`));
    });
  }

  request<T = Record<string, unknown>>(command: BenchCommand, timeout = 10_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.label}: no reply to ${command.cmd} within ${timeout} ms`));
      }, timeout);
      this.pending.set(id, {
        resolve: (reply) => (clearTimeout(timer), resolve(reply as T)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.child.send({ id, ...command });
    });
  }

  /** The first transition of breaker `name` to `to` at or after `since`. */
  transition(name: string, to: string, since = 0): BenchEvent | undefined {
    return this.events.find((e) => e.name === name && e.to === to && e.at >= since);
  }
}

async function until<T>(what: string, timeout: number, check: () => T | undefined | false | Promise<T | undefined | false>, every = 1): Promise<T> {
  const deadline = now() + timeout;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (now() > deadline) throw new Error(`timed out after ${timeout} ms waiting until ${what}`);
    await sleep(every);
  }
}

/** The q-quantile (nearest rank). */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
const ms = (v: number): string => v.toFixed(2);

interface Spread {
  samples: number;
  median: number;
  p99: number;
  min: number;
  max: number;
}
const spread = (values: readonly number[]): Spread => ({
  samples: values.length,
  median: quantile(values, 0.5),
  p99: quantile(values, 0.99),
  min: Math.min(...values),
  max: Math.max(...values),
});

async function subscribed(admin: Redis, name: string): Promise<void> {
  const channel = `circuit-breaker:{${name}}:events`;
  await until(`every process subscribed to ${channel}`, 5_000, async () => ((await admin.pubsub('NUMSUB', channel)) as [string, number])[1] === PROCESSES);
}

async function makeBreaker(workers: readonly Worker[], admin: Redis, name: string, options: Record<string, unknown>): Promise<void> {
  await Promise.all(workers.map((w) => w.request({ cmd: 'breaker', name, options })));
  await subscribed(admin, name);
}

// ---- 1. consecutive rule ----------------------------------------------------------------------

async function consecutivePropagation(workers: readonly Worker[], admin: Redis): Promise<Spread> {
  const name = 'bench-fleet';
  await makeBreaker(workers, admin, name, { failureThreshold: 1, resetTimeout: 60_000 });
  const delays: number[] = [];
  for (let trip = 0; trip < TRIPS; trip++) {
    const tripper = workers[trip % workers.length]!;
    const others = workers.filter((w) => w !== tripper);
    const since = now();
    await tripper.request({ cmd: 'fail', name, n: 1 });
    const opened = tripper.transition(name, 'OPEN', since)!.at;
    const seen = await until('every other process is OPEN', 2_000, () => {
      const times = others.map((w) => w.transition(name, 'OPEN', since)?.at);
      return times.every((t) => t !== undefined) && (times as number[]);
    });
    delays.push(...seen.map((t) => t - opened));
    const resetAt = now();
    await tripper.request({ cmd: 'reset', name });
    await until('every process is CLOSED again', 2_000, () => others.every((w) => w.transition(name, 'CLOSED', resetAt) !== undefined));
    await sleep(5);
  }
  return spread(delays);
}

// ---- 2. the fleet's window --------------------------------------------------------------------

async function windowFailures(admin: Redis, name: string): Promise<number> {
  const held = (await admin.hgetall(`circuit-breaker:{${name}}:window`)) as Record<string, string>;
  return Object.entries(held).reduce((sum, [field, n]) => (field.startsWith('f') ? sum + Number(n) : sum), 0);
}

async function ratePropagation(workers: readonly Worker[], admin: Redis): Promise<{ propagation: Spread; everywhere: Spread; reasons: string[] }> {
  const propagation: number[] = [];
  const everywhere: number[] = [];
  const reasons = new Set<string>();
  for (let trip = 0; trip < TRIPS; trip++) {
    const name = `bench-fleet-window-${trip}`; // a fresh window each round: a reset closes the circuit, but the fleet's window keeps its counts
    await makeBreaker(workers, admin, name, { failureRate: RATE, resetTimeout: 60_000 });
    const tripper = workers[trip % workers.length]!;
    const feeders = workers.filter((w) => w !== tripper);
    await Promise.all(feeders.map((w) => w.request({ cmd: 'fail', name, n: 2 })));
    await until('the feeders\' 6 failures reached Redis', 2_000, async () => (await windowFailures(admin, name)) === 6);
    if (workers.some((w) => w.transition(name, 'OPEN') !== undefined)) throw new Error(`${name}: opened below the fleet's minimumCalls`);
    const started = now();
    await tripper.request({ cmd: 'fail', name, n: 2 }); // 2 calls of its own: far below minimumCalls alone
    const opened = await until('the crossing process is OPEN', 2_000, () => tripper.transition(name, 'OPEN'));
    reasons.add(opened.reason);
    const seen = await until('every other process is OPEN', 2_000, () => {
      const times = feeders.map((w) => w.transition(name, 'OPEN')?.at);
      return times.every((t) => t !== undefined) && (times as number[]);
    });
    propagation.push(...seen.map((t) => t - opened.at));
    everywhere.push(Math.max(opened.at, ...seen) - started);
  }
  return { propagation: spread(propagation), everywhere: spread(everywhere), reasons: [...reasons] };
}

// ---- 3. commands per process per second ---------------------------------------------------------

/** Every command Redis ran (`INFO commandstats`, which counts a script's own calls too), our INFO aside. */
async function commandsRun(admin: Redis): Promise<number> {
  const text = await admin.info('commandstats');
  let all = 0;
  for (const match of text.matchAll(/cmdstat_([a-z|_-]+):calls=(\d+)/g)) if (match[1] !== 'info') all += Number(match[2]);
  return all;
}

/**
 * The commands clients send, as MONITOR shows them (a script's own calls are shown from "lua": left out),
 * until `stop()`: every command, and the EVALs.
 */
async function watchCommands(url: string): Promise<{ stop: () => Promise<{ sent: number; evals: number }> }> {
  const watcher = new Redis(url, { maxRetriesPerRequest: 1 });
  const monitor = await watcher.monitor();
  let sent = 0;
  let evals = 0;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === 'lua') return;
    sent++;
    if (/^eval/i.test(args[0] ?? '')) evals++;
  });
  return {
    stop: async () => {
      monitor.disconnect();
      watcher.disconnect();
      return { sent, evals };
    },
  };
}

interface SteadyRow {
  window: string;
  traffic: string;
  callsPerSecond: number;
  commandsPerProcessPerSecond: number;
  sentPerProcessPerSecond: number;
  evalsPerProcessPerSecond: number;
  bucketsPerSecond: number;
  slowest: number;
  failed: number;
  refused: number;
}

async function steadyCommands(workers: readonly Worker[], admin: Redis, url: string, window: { duration: number; buckets: number }, failEvery: number): Promise<SteadyRow> {
  const name = `bench-steady-${window.duration}-${failEvery}`;
  await makeBreaker(workers, admin, name, { failureRate: { threshold: 0.5, minimumCalls: 20, window }, resetTimeout: 60_000 });
  await sleep(300); // the joins' reads are done
  const before = await commandsRun(admin);
  const watch = await watchCommands(url);
  const started = now();
  const results = await Promise.all(
    workers.map((w) => w.request<SteadyResult>({ cmd: 'steady', name, perSecond: STEADY_RATE / PROCESSES, ms: STEADY_MS, failEvery }, STEADY_MS + 10_000)),
  );
  const seconds = (now() - started) / 1000;
  const seen = await watch.stop();
  const after = await commandsRun(admin);
  for (const r of results) if (r.state !== 'CLOSED') throw new Error(`${name}: the steady traffic tripped the circuit (${r.state})`);
  const calls = results.reduce((sum, r) => sum + r.calls, 0);
  return {
    window: `\`{ duration: ${window.duration}, buckets: ${window.buckets} }\``,
    traffic: failEvery === 0 ? 'every call succeeds' : `one call in ${failEvery} fails`,
    callsPerSecond: calls / seconds,
    commandsPerProcessPerSecond: (after - before) / PROCESSES / seconds,
    sentPerProcessPerSecond: seen.sent / PROCESSES / seconds,
    evalsPerProcessPerSecond: seen.evals / PROCESSES / seconds,
    bucketsPerSecond: 1000 / (window.duration / window.buckets),
    slowest: Math.max(...results.map((r) => r.slowest)),
    failed: results.reduce((sum, r) => sum + r.failed, 0),
    refused: results.reduce((sum, r) => sum + r.refused, 0),
  };
}

// ---- 4. a CLOSED call, shared window vs local -------------------------------------------------

type Measure = (fn: () => Promise<void>, opts: Record<string, unknown>) => Promise<{ p50: number }>;

async function closedCost(url: string): Promise<{ title: string; rows: { name: string; samples: number[] }[] }[]> {
  const { measure } = await (new Function('s', 'return import(s)') as (s: string) => Promise<{ measure: Measure }>)('mitata');
  const store = new RedisCircuitStore({ url });
  if (!(await store.ready(5_000))) throw new Error('the store of the CLOSED-call rows is not ready');
  const options = { failureRate: { threshold: 0.5, minimumCalls: 20, window: SHARED_WINDOW }, resetTimeout: 60_000 };
  const FAILURE = new Error('dependency failed');
  const work = async (fail: boolean): Promise<number> => {
    if (fail) throw FAILURE;
    return 1;
  };
  const out: { title: string; rows: { name: string; samples: number[] }[] }[] = [];
  try {
    for (const failing of [false, true]) {
      const contenders = [
        { name: 'consecutive rule (`failureThreshold: 3`), no store', breaker: new CircuitBreaker({ failureThreshold: 3, resetTimeout: 60_000 }) },
        { name: 'time window, local (no store)', breaker: new CircuitBreaker(options) },
        { name: 'time window, shared (`store`: RedisCircuitStore)', breaker: new CircuitBreaker({ ...options, name: `bench-closed-${failing}`, store }) },
      ];
      const loops = contenders.map((c) => async () => {
        for (let i = 0; i < BATCH; i++) {
          try {
            await c.breaker.call(work, failing && i % 3 === 2);
          } catch {
            // counted
          }
        }
      });
      const samples = contenders.map((): number[] => []);
      for (const loop of loops) for (let i = 0; i < 20; i++) await loop();
      for (let round = 0; round < ROUNDS; round++) {
        const order = contenders.map((_, i) => i);
        for (let k = 0; k < round % order.length; k++) order.push(order.shift()!);
        if (round % 2 === 1) order.reverse();
        for (const i of order) {
          const stats = await measure(loops[i]!, SMOKE ? { min_cpu_time: 1e6, min_samples: 2, warmup_samples: 1, batch_threshold: 0 } : { min_cpu_time: 40e6, min_samples: 5, warmup_samples: 2 });
          samples[i]!.push(stats.p50 / BATCH);
        }
      }
      for (const c of contenders) if (c.breaker.state !== 'CLOSED') throw new Error(`${c.name} tripped`);
      out.push({
        title: failing ? 'one call in three fails (threshold 0.5: never trips)' : 'every call succeeds',
        rows: contenders.map((c, i) => ({ name: c.name, samples: samples[i]! })),
      });
    }
  } finally {
    await store.close();
  }
  return out;
}

// ---- main -------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const startedAt = Date.now();
  const server = await RedisServer.start();
  const admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
  const workers = Array.from({ length: PROCESSES }, (_, i) => new Worker(`p${i + 1}`));
  const stop = (): void => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  };
  process.once('exit', stop);
  const out: string[] = [];
  const print = (line = ''): void => {
    out.push(line);
    console.log(line);
  };
  try {
    await until('the workers are up', 30_000, async () => {
      try {
        await Promise.all(workers.map((w) => w.request({ cmd: 'ping' }, 15_000)));
        return true;
      } catch {
        return false;
      }
    }, 100);
    const ready = await Promise.all(workers.map((w) => w.request<{ ready: boolean }>({ cmd: 'init', url: server.url, commandTimeout: 250 })));
    if (!ready.every((r) => r.ready)) throw new Error('a worker\'s store is not ready');
    const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1];
    print(`Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}, redis-server ${redisVersion} on loopback; load average ${os.loadavg().map((l) => l.toFixed(2)).join(', ')} at the start${SMOKE ? ' (FLEET_SMOKE=1: tiny counts, the figures mean nothing)' : ''}`);
    print();

    process.stderr.write('bench:fleet: trip propagation, consecutive rule\n');
    const consecutive = await consecutivePropagation(workers, admin);
    process.stderr.write('bench:fleet: trip propagation, the fleet\'s window\n');
    const rate = await ratePropagation(workers, admin);
    print(`### Trip to everywhere (${PROCESSES} processes, ${TRIPS} trips, ms)`);
    print();
    print('| trip | measured from → to | samples | median | p99 | min | max |');
    print('|---|---|---:|---:|---:|---:|---:|');
    print(`| consecutive rule (\`failureThreshold: 1\`) | the tripping process's OPEN → each other process's OPEN | ${consecutive.samples} | ${ms(consecutive.median)} | ${ms(consecutive.p99)} | ${ms(consecutive.min)} | ${ms(consecutive.max)} |`);
    print(`| fleet window (\`threshold: 0.5, minimumCalls: 8\`, 10 s in 10 buckets; 6 failures over 3 processes, then 2 in the 4th) | the crossing process's OPEN → each other process's OPEN | ${rate.propagation.samples} | ${ms(rate.propagation.median)} | ${ms(rate.propagation.p99)} | ${ms(rate.propagation.min)} | ${ms(rate.propagation.max)} |`);
    print(`| the same | the crossing process's 2 calls start → the last process OPEN | ${rate.everywhere.samples} | ${ms(rate.everywhere.median)} | ${ms(rate.everywhere.p99)} | ${ms(rate.everywhere.min)} | ${ms(rate.everywhere.max)} |`);
    print();
    print(`Reason of the fleet-window trips: ${rate.reasons.join(', ')}. Goal (propagation): median <= ${GOAL.median} ms, p99 <= ${GOAL.p99} ms: ${[consecutive, rate.propagation].every((s) => s.median <= GOAL.median && s.p99 <= GOAL.p99) ? 'met' : 'NOT met'}.`);
    print();

    process.stderr.write('bench:fleet: commands per process per second\n');
    const steadyRows: SteadyRow[] = [];
    for (const window of [SHARED_WINDOW, { duration: 2_000, buckets: 10 }]) {
      for (const failEvery of [0, FAIL_EVERY]) steadyRows.push(await steadyCommands(workers, admin, server.url, window, failEvery));
    }
    print(`### Redis commands per process per second, ${STEADY_RATE.toLocaleString('en-US')} calls a second over ${PROCESSES} processes (${STEADY_MS / 1000} s each; sent: \`MONITOR\`, ran: \`INFO commandstats\`)`);
    print();
    print('| window | traffic | calls/s measured | commands sent / process / s | of which window EVALs | buckets / s (the bound while calls succeed) | commands Redis ran / process / s (the scripts\' own included) | slowest call, ms | failed / refused |');
    print('|---|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of steadyRows) {
      print(`| ${r.window} | ${r.traffic} | ${Math.round(r.callsPerSecond).toLocaleString('en-US')} | ${r.sentPerProcessPerSecond.toFixed(2)} | ${r.evalsPerProcessPerSecond.toFixed(2)} | ${r.bucketsPerSecond} | ${r.commandsPerProcessPerSecond.toFixed(2)} | ${ms(r.slowest)} | ${r.failed} / ${r.refused} |`);
    }
    print();

    process.stderr.write('bench:fleet: a CLOSED call, shared window vs local\n');
    const tables = await closedCost(server.url);
    print(`### A CLOSED call: shared window beside a local one (this process, ${ROUNDS} interleaved rounds of mitata, ${BATCH} awaited calls a sample)`);
    for (const t of tables) {
      const medians = t.rows.map((r) => quantile(r.samples, 0.5));
      print();
      print(`#### ${t.title}`);
      print();
      print('| breaker | median ns/call | IQR over rounds | ÷ local time window |');
      print('|---|---:|---:|---:|');
      t.rows.forEach((r, i) => {
        const iqr = `${quantile(r.samples, 0.25).toFixed(1)}–${quantile(r.samples, 0.75).toFixed(1)}`;
        print(`| ${r.name} | ${medians[i]!.toFixed(1)} | ${iqr} | ${(medians[i]! / medians[1]!).toFixed(2)}x |`);
      });
    }
    print();
    print(`(${((Date.now() - startedAt) / 1000).toFixed(0)} s; load average ${os.loadavg().map((l) => l.toFixed(2)).join(', ')} at the end)`);
  } finally {
    await Promise.all(workers.map((w) => w.request({ cmd: 'close' }, 2_000).catch(() => undefined)));
    stop();
    admin.disconnect();
    await server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
