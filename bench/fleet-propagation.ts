/**
 * Fleet propagation delay: how long after one process trips does another
 * process refuse? Four Node processes share the breaker 'bench-fleet' through
 * a real redis-server on a free loopback port (started here; `REDIS_SERVER`
 * names the binary). Each of TRIPS rounds, one process (in turn) trips; the
 * delay is from its OPEN transition to the OPEN transition (pushed by pub/sub)
 * in each other process, both stamped with process.hrtime (CLOCK_MONOTONIC,
 * one clock for every process of the machine). From that moment every call
 * there is refused. Then `reset()` closes the circuit fleet-wide for the next round.
 *
 *   npm run bench:fleet            # TRIPS=100 PROCESSES=4 by default
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { FleetProcess, median, now, quantile, sleep, until } from '../spec/fleet/support/fleet';
import type { WorkerConfig } from '../spec/fleet/support/protocol';

const TRIPS = Number(process.env.TRIPS ?? 100);
const PROCESSES = Number(process.env.PROCESSES ?? 4);
const GOAL = { median: 5, p99: 25 };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function startRedis(port: number): Promise<ChildProcess> {
  const server = spawn(process.env.REDIS_SERVER ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  await new Promise<void>((resolve, reject) => {
    server.once('spawn', resolve);
    server.once('error', reject);
  });
  return server;
}

async function main(): Promise<void> {
  const port = await freePort();
  const server = await startRedis(port);
  const workers = Array.from({ length: PROCESSES }, (_, i) => new FleetProcess(`p${i + 1}`));
  const stop = () => {
    for (const w of workers) if (w.alive) w.child.kill('SIGKILL');
    server.kill('SIGKILL');
  };
  process.once('exit', stop);
  try {
    const config: WorkerConfig = {
      url: `redis://127.0.0.1:${port}`,
      name: 'bench-fleet',
      failureThreshold: 1,
      resetTimeout: 60_000, // never over during a round: only the trip and the reset move the circuit
      probeLease: 10_000,
      commandTimeout: 250,
      reconnectEvery: 50,
      readyTimeout: 5_000,
    };
    await until('redis-server and the workers are up', 30_000, async () => {
      try {
        const views = await Promise.all(workers.map((w) => w.init(config)));
        return views.every((v) => v.ready);
      } catch {
        return false;
      }
    }, 100);
    await sleep(200); // subscriptions settle
    const delays: number[] = [];
    for (let trip = 0; trip < TRIPS; trip++) {
      const tripper = workers[trip % workers.length]!;
      const others = workers.filter((w) => w !== tripper);
      const since = now();
      await tripper.request({ cmd: 'call', outcome: 'fail' });
      const opened = tripper.transition('OPEN', since)!.at;
      const seen = await until('every other process is OPEN', 2_000, () => {
        const times = others.map((w) => w.transition('OPEN', since)?.at);
        return times.every((t) => t !== undefined) && (times as number[]);
      }, 1);
      delays.push(...seen.map((t) => t - opened));
      // Close fleet-wide, and wait until every process has seen it.
      const resetAt = now();
      await tripper.request({ cmd: 'reset' });
      await until('every process is CLOSED again', 2_000, () => others.every((w) => w.transition('CLOSED', resetAt) !== undefined), 1);
      for (const w of workers) w.forget();
      await sleep(5);
    }
    const result = {
      trips: TRIPS,
      processes: PROCESSES,
      samples: delays.length,
      medianMs: Number(median(delays).toFixed(2)),
      p99Ms: Number(quantile(delays, 0.99).toFixed(2)),
      maxMs: Number(Math.max(...delays).toFixed(2)),
      minMs: Number(Math.min(...delays).toFixed(2)),
    };
    console.log(`fleet propagation (trip in one process -> OPEN in another), ${result.samples} samples over ${TRIPS} trips, ${PROCESSES} processes, loopback:`);
    console.log(`  median ${result.medianMs} ms   p99 ${result.p99Ms} ms   min ${result.minMs} ms   max ${result.maxMs} ms`);
    const met = result.medianMs <= GOAL.median && result.p99Ms <= GOAL.p99;
    console.log(`  goal: median <= ${GOAL.median} ms, p99 <= ${GOAL.p99} ms: ${met ? 'met' : 'NOT met'}`);
    console.log(JSON.stringify(result));
  } finally {
    await Promise.all(workers.map((w) => w.request({ cmd: 'close' }, 2_000).catch(() => undefined)));
    stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
