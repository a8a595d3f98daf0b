/**
 * Several replicas sharing one circuit through Redis. Four processes guard the
 * same 'inventory-api' with a breaker of that name; replica-1 is busy (a call
 * every 50 ms), the others call every 400 ms. The dependency goes down: replica-1
 * trips after 3 failures and every other replica opens at once, told by the
 * fleet, without paying its own failures. The dependency comes back; when the
 * wait is over exactly one replica probes, and its success closes the circuit
 * everywhere.
 *
 *   npm run example:fleet                   # starts a redis-server on a free port
 *   REDIS_URL=redis://127.0.0.1:6379 npm run example:fleet
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const REPLICAS = [
  { label: 'replica-1', every: 50 },
  { label: 'replica-2', every: 400 },
  { label: 'replica-3', every: 400 },
  { label: 'replica-4', every: 400 },
];
const children: ChildProcess[] = [];
process.once('exit', () => children.forEach((child) => child.kill('SIGKILL')));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** A throwaway redis-server (no persistence) when REDIS_URL is not given. */
async function redisUrl(): Promise<string> {
  if (process.env.REDIS_URL !== undefined) return process.env.REDIS_URL;
  const port = await freePort();
  const server = spawn(process.env.REDIS_SERVER ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  children.push(server);
  await new Promise<void>((resolve, reject) => server.once('spawn', resolve).once('error', (error) => reject(new Error(`cannot start redis-server (set REDIS_URL, or apt-get install -y redis-server): ${error.message}`))));
  return `redis://127.0.0.1:${port}`;
}

async function main(): Promise<void> {
  const url = await redisUrl();
  let origin = Date.now();
  const say = (line: string) => console.log(`+${String(Date.now() - origin).padStart(5)} ms  ${line}`);
  const replicas = REPLICAS.map(({ label, every }) =>
    fork(join(__dirname, 'replica.ts'), [], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      env: { ...process.env, REDIS_URL: url, REPLICA: label, EVERY: String(every) },
    }),
  );
  children.push(...replicas);
  const ready = await Promise.all(replicas.map((child) => new Promise<{ ready: boolean }>((resolve) => child.once('message', resolve))));
  if (!ready.every((replica) => replica.ready)) throw new Error(`a replica could not reach Redis at ${url}`);
  origin = Date.now();
  replicas.forEach((child) => child.send({ origin }));
  say(`${replicas.length} replicas share the circuit 'inventory-api' through ${url}`);
  await sleep(500);
  say('inventory-api goes down');
  replicas.forEach((child) => child.send({ down: true }));
  await sleep(1_000);
  say('inventory-api is back (the circuit stays OPEN until the wait of 1.5 s is over)');
  replicas.forEach((child) => child.send({ down: false }));
  await sleep(2_000);
  replicas.forEach((child) => child.send({ stop: true }));
  await Promise.all(replicas.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
  say('every replica closed its store and exited');
  for (const child of children) child.kill('SIGKILL');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
