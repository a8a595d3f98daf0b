/**
 * A service reading through a guarded Redis cache, once every 250 ms for a
 * bounded number of rounds. Stop Redis while it runs (or start it without one)
 * and watch reads carry on from the source, then the circuit close again.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 npx ts-node examples/redis/main.ts [rounds]
 */
import { createRedisClient, defineRedisCache, whenReady } from './redis-cache';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const rounds = Math.max(1, Math.min(Number(process.argv[2] ?? 40) || 40, 10_000));

// A short resetTimeout so that a demo outage is over quickly.
const RedisCache = defineRedisCache({ failureThreshold: 3, resetTimeout: 2_000 });

async function loadUserName(id: string): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 20)); // the slow source of truth
  return `user-${id}`;
}

async function main(): Promise<void> {
  const client = createRedisClient(url);
  if (!(await whenReady(client, 2_000))) console.log(`Redis at ${url} is not answering: starting without it`);
  const cache = new RedisCache(client, 'example:');
  try {
    for (let round = 1; round <= rounds; round++) {
      const started = process.hrtime.bigint();
      const name = await cache.getOrLoad('user:42', 1_000, () => loadUserName('42'));
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const { get } = cache.circuits();
      console.log(
        `round ${String(round).padStart(3)}: ${name} in ${ms.toFixed(2).padStart(7)} ms` +
          `  client ${client.status.padEnd(12)} get circuit ${get.state.padEnd(9)}` +
          ` failures ${get.failures} refusals ${get.refusals} fallbacks ${get.fallbacks}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    client.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
