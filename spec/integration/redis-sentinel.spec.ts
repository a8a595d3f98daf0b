/**
 * RedisCircuitStore through Redis Sentinel with ioredis (issue 19: the deployments table): a primary, a
 * replica and a Sentinel on loopback (spec/support/redis-sentinel.ts); two stores, each with its own
 * Sentinel-aware ioredis client, share a breaker. Then the primary is killed (SIGKILL) while calls run: no
 * call fails or waits, and once the Sentinel promoted the replica and ioredis found it, a trip made during
 * the failover reaches the other store. Real time, a few seconds.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { CircuitBreaker, isCircuitBreakerOpenException } from '../../src';
import { RedisCircuitStore } from '../../src/redis';
import { RedisSentinel } from '../support/redis-sentinel';
import { requireRedisServer } from '../support/redis-server';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, timeout: number, check: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const deadline = performance.now() + timeout;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting until ${what}`);
    await sleep(10);
  }
}

describe('RedisCircuitStore through Redis Sentinel (ioredis)', function () {
  this.timeout(30_000);
  let deployment: RedisSentinel | undefined;

  before(async function () {
    this.timeout(30_000);
    requireRedisServer(this);
    deployment = await RedisSentinel.start();
  });
  after(() => deployment?.close());

  /** A Sentinel-aware client, configured as docs/redis.md says (no offline queue, a command timeout, prompt retries). */
  function sentinelClient(): Redis {
    const client = new Redis({
      sentinels: [{ host: '127.0.0.1', port: deployment!.port }],
      name: RedisSentinel.NAME,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 150,
      connectTimeout: 500,
      retryStrategy: () => 50,
      sentinelRetryStrategy: () => 50,
    });
    client.on('error', () => undefined);
    return client;
  }

  it('a trip is pushed to the other store; the primary killed: no call fails or waits, and a trip during the failover reaches the other once the replica took over', async () => {
    const clients = [sentinelClient(), sentinelClient()];
    const [storeA, storeB] = clients.map((client) => new RedisCircuitStore({ client, commandTimeout: 150 }));
    try {
      expect([await storeA!.ready(3_000), await storeB!.ready(3_000)], 'both stores ready').to.deep.equal([true, true]);
      const options = { name: 'sentinel-api', failureThreshold: 3, resetTimeout: 10_000 };
      const a = new CircuitBreaker({ ...options, store: storeA });
      const b = new CircuitBreaker({ ...options, store: storeB });
      const fail = async (): Promise<never> => {
        throw new Error('dependency down');
      };
      const trip = async () => {
        for (let i = 0; i < 3; i++) await a.call(fail).catch(() => undefined);
      };
      await sleep(200); // both joined and subscribed
      await trip();
      await until('b hears the trip', 1_000, () => b.state === 'OPEN');
      a.reset();
      await until('b hears the reset', 1_000, () => b.state === 'CLOSED');

      const old = await deployment!.currentPrimary();
      const killed = performance.now();
      await deployment!.primary.kill();
      // b calls a healthy dependency through the whole failover, every 5 ms; a trips 100 ms in.
      let slowest = 0;
      let failed = 0;
      let tripped = false;
      let promotedAfter: number | undefined;
      while (b.state !== 'OPEN' && performance.now() - killed < 15_000) {
        const started = performance.now();
        await b.call(async () => 'ok').catch((error: unknown) => {
          if (!isCircuitBreakerOpenException(error)) failed++;
        });
        slowest = Math.max(slowest, performance.now() - started);
        if (!tripped && performance.now() - killed > 100) {
          tripped = true;
          await trip();
          expect(a.state, 'a, alone').to.equal('OPEN');
        }
        if (promotedAfter === undefined && (await deployment!.currentPrimary()) !== old) promotedAfter = performance.now() - killed;
        await sleep(5);
      }
      const agreedAfter = performance.now() - killed;
      console.log(
        `      primary killed: the Sentinel promoted the replica after ${promotedAfter?.toFixed(0) ?? '?'} ms; b OPEN ${agreedAfter.toFixed(0)} ms after the kill; slowest call ${slowest.toFixed(1)} ms`,
      );
      expect(b.state, 'b hears the trip made during the failover').to.equal('OPEN');
      expect(promotedAfter, 'the replica promoted').to.not.equal(undefined);
      expect(failed, 'calls failed').to.equal(0);
      expect(slowest, 'slowest call, ms').to.be.below(50);
    } finally {
      await Promise.all([storeA!.close(), storeB!.close()]);
      for (const client of clients) client.disconnect();
    }
  });
});
