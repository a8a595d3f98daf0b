import { expect } from 'chai';
import type Redis from 'ioredis';
import sinon from 'sinon';
import { getCircuitBreaker, isCircuitBreakerOpenException } from '../../src';
import { createRedisClient, defineRedisCache, whenReady, type RedisCache } from '../../examples/redis/redis-cache';
import { RedisServer, requireRedisServer } from '../support/redis-server';

// Real time, real redis-server: run in legacy decorator mode only (tsconfig.json).
// Timings are short so that the whole outage takes about a second per spec.
const policy = { failureThreshold: 3, resetTimeout: 300 };
const clientOptions = {
  commandTimeout: 150,
  connectTimeout: 150,
  // Reconnect quickly so that the client is ready soon after a restart.
  retryStrategy: () => 25,
};
const SAMPLES = 50;
const WARM_UP = 10;

const GuardedCache = defineRedisCache(policy);
const methods = ['get', 'set', 'del'] as const;

describe('RedisCache against a real redis-server (legacy decorators)', function () {
  let server: RedisServer | undefined;
  let client: Redis;
  let cache: RedisCache;
  /** Medians in ms, printed together at the end for the README. */
  const figures: Record<string, number> = {};

  before(async function () {
    requireRedisServer(this);
    server = await RedisServer.start();
  });

  after(async () => {
    await server?.close();
    if (Object.keys(figures).length > 0) {
      const line = Object.entries(figures)
        .map(([what, ms]) => `${what} ${formatMs(ms)}`)
        .join(', ');
      console.log(`      median of ${SAMPLES} calls each: ${line}`);
    }
  });

  beforeEach(async () => {
    const redis = server!;
    redis.resume();
    if (!(await redis.ping())) await redis.restart();
    client = createRedisClient(redis.url, clientOptions);
    expect(await whenReady(client, 2_000), 'client ready').to.equal(true);
    cache = new GuardedCache(client, 'spec:');
  });

  afterEach(() => {
    sinon.restore();
    (client as Redis | undefined)?.disconnect();
    server?.resume();
  });

  function breaker(method: (typeof methods)[number]) {
    return getCircuitBreaker(cache, method);
  }

  /** Kills the server and fails `failureThreshold` calls of every method, which opens every circuit. */
  async function openTheCircuits(): Promise<void> {
    await server!.kill();
    for (let i = 0; i < policy.failureThreshold; i++) {
      await cache.get('k');
      await cache.set('k', 'v', 1_000);
      await cache.del('k').catch(() => {});
    }
    for (const method of methods) expect(breaker(method).state, method).to.equal('OPEN');
  }

  /** Waits out the rest of `resetTimeout` of every circuit (bounded by resetTimeout itself). */
  async function waitForProbe(): Promise<void> {
    const probeAt = Math.max(...methods.map((method) => breaker(method).stats().nextProbeAt ?? 0));
    const wait = probeAt - Date.now();
    expect(wait).to.be.at.most(policy.resetTimeout);
    await sleep(Math.max(0, wait) + 5);
  }

  describe('CLOSED, the server healthy', () => {
    it('reads, writes and deletes through the client, counting successes', async () => {
      const get = sinon.spy(client, 'get');
      expect(await cache.set('user:1', 'Ada', 10_000)).to.equal(true);
      expect(await cache.get('user:1')).to.equal('Ada');
      expect(await client.get('spec:user:1'), 'stored under the prefix').to.equal('Ada');
      expect(await cache.del('user:1')).to.equal(true);
      expect(await cache.get('user:1')).to.equal(null);
      expect(get.callCount).to.equal(3);
      for (const method of methods) {
        expect(breaker(method).stats()).to.include({ state: 'CLOSED', failures: 0 });
      }
      expect(breaker('get').stats().successes).to.equal(2);
    });

    it('re-raises a reply error (WRONGTYPE) without counting it as a failure', async () => {
      await client.rpush('spec:list', 'a');
      for (let i = 0; i < policy.failureThreshold + 1; i++) {
        const error = await cache.get('list').then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(String(error)).to.match(/WRONGTYPE/);
      }
      expect(breaker('get').stats()).to.include({ state: 'CLOSED', failures: 0, ignored: policy.failureThreshold + 1 });
    });
  });

  describe('the server killed with SIGKILL', () => {
    it('fails every command promptly, and opens each circuit after failureThreshold failures', async () => {
      await cache.set('user:1', 'Ada', 10_000);
      await server!.kill();
      const get = sinon.spy(client, 'get');
      const del = sinon.spy(client, 'del');

      for (let i = 0; i < policy.failureThreshold; i++) {
        expect(breaker('get').state).to.equal('CLOSED');
        // A failed read is a cache miss; the failure is still counted.
        expect(await cache.get('user:1')).to.equal(null);
        const error = await cache.del('user:1').then(() => undefined, (e: unknown) => e);
        expect(error, 'the Redis error itself').to.be.instanceOf(Error);
        expect(isCircuitBreakerOpenException(error), String(error)).to.equal(false);
      }
      expect(get.callCount).to.equal(policy.failureThreshold);
      expect(del.callCount).to.equal(policy.failureThreshold);
      expect(breaker('get').stats()).to.include({ state: 'OPEN', failures: policy.failureThreshold, fallbacks: policy.failureThreshold });
      expect(breaker('del').stats()).to.include({ state: 'OPEN', failures: policy.failureThreshold });
    });

    it('refuses without calling the client while OPEN: a miss, a skipped write, a refused delete', async () => {
      await openTheCircuits();
      const spies = methods.map((method) => sinon.spy(client, method));

      for (let i = 0; i < SAMPLES; i++) {
        expect(await cache.get('k')).to.equal(null);
        expect(await cache.set('k', 'v', 1_000)).to.equal(false);
        const error = await cache.del('k').then(() => undefined, (e: unknown) => e);
        expect(isCircuitBreakerOpenException(error), String(error)).to.equal(true);
      }
      for (const spy of spies) expect(spy.callCount, 'client calls while OPEN').to.equal(0);
      for (const method of methods) expect(breaker(method).stats().refusals, method).to.equal(SAMPLES);
    });

    it('refuses a call far faster than the client fails it against the dead server', async () => {
      await server!.kill();
      // The cost of an unguarded call: straight to the client, which rejects at once (no offline queue).
      const failing = await timeEach(() => client.get('spec:k').catch(() => null));
      for (let i = 0; i < policy.failureThreshold; i++) await cache.get('k');
      expect(breaker('get').state).to.equal('OPEN');
      const get = sinon.spy(client, 'get');
      const refused = await timeEach(() => cache.get('k'));
      expect(get.callCount).to.equal(0);

      figures['refusal'] = median(refused);
      figures['failure, server killed'] = median(failing);
      console.log(
        `      refusal ${formatMs(median(refused))} vs failure against the killed server ${formatMs(median(failing))}` +
          ` (${ratio(failing, refused)}x)`,
      );
      // The client already fails fast here, so only that refusing is not slower is asserted; see the SIGSTOP spec.
      expect(median(refused)).to.be.below(median(failing));
    });
  });

  describe('the server frozen with SIGSTOP (a hung server)', () => {
    it('fails each call after commandTimeout, opens, then refuses at least 10x faster', async () => {
      await cache.set('user:1', 'Ada', 10_000);
      server!.pause();
      // Concurrent, so that 50 timeouts take one commandTimeout: each call still times itself.
      const waiting = await Promise.all(
        Array.from({ length: SAMPLES }, () => timeOne(() => client.get('spec:user:1').catch(() => null))),
      );
      expect(median(waiting)).to.be.at.least(clientOptions.commandTimeout * 0.9);

      for (let i = 0; i < policy.failureThreshold; i++) expect(await cache.get('user:1')).to.equal(null);
      expect(breaker('get').stats()).to.include({ state: 'OPEN', failures: policy.failureThreshold });
      const get = sinon.spy(client, 'get');
      const refused = await timeEach(() => cache.get('user:1'));
      expect(get.callCount).to.equal(0);

      figures['failure, server hung'] = median(waiting);
      console.log(
        `      refusal ${formatMs(median(refused))} vs failure against the hung server ${formatMs(median(waiting))}` +
          ` (${ratio(waiting, refused)}x)`,
      );
      expect(median(refused) * 10).to.be.below(median(waiting));
    });
  });

  describe('HALF_OPEN, the server restarted', () => {
    it('after resetTimeout lets exactly one probe through, CLOSES, and data flows again', async () => {
      await openTheCircuits();
      await server!.restart();
      const get = sinon.spy(client, 'get');

      // Before resetTimeout: still refused, though Redis answers again.
      expect(await cache.get('k')).to.equal(null);
      expect(get.callCount).to.equal(0);
      expect(await whenReady(client, 2_000), 'client reconnected').to.equal(true);

      await waitForProbe();
      const refusalsBefore = breaker('get').stats().refusals;
      const concurrent = await Promise.all([cache.get('k'), cache.get('k'), cache.get('k'), cache.get('k')]);
      expect(concurrent).to.deep.equal([null, null, null, null]);
      expect(get.callCount, 'one probe').to.equal(1);
      expect(breaker('get').stats().refusals - refusalsBefore, 'the others refused').to.equal(3);
      expect(breaker('get').state).to.equal('CLOSED');

      // set and del probe on their own circuits.
      expect(await cache.set('user:2', 'Grace', 10_000)).to.equal(true);
      expect(await cache.get('user:2')).to.equal('Grace');
      expect(await cache.del('user:2')).to.equal(true);
      for (const method of methods) expect(breaker(method).stats()).to.include({ state: 'CLOSED', consecutiveFailures: 0 });
    });

    it('re-opens for a fresh resetTimeout when the probe fails, the server still down', async () => {
      await openTheCircuits();
      await waitForProbe();
      const get = sinon.spy(client, 'get');

      expect(await cache.get('k')).to.equal(null);
      expect(get.callCount, 'the probe').to.equal(1);
      const stats = breaker('get').stats();
      expect(stats.state).to.equal('OPEN');
      expect(stats.nextProbeAt! - Date.now()).to.be.within(policy.resetTimeout - 100, policy.resetTimeout);

      expect(await cache.get('k')).to.equal(null);
      expect(get.callCount, 'refused again').to.equal(1);
    });
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Milliseconds one call takes to settle. */
async function timeOne(call: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await call();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Milliseconds each of `SAMPLES` sequential calls takes, after `WARM_UP` unmeasured ones. */
async function timeEach(call: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < WARM_UP; i++) await call();
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) times.push(await timeOne(call));
  return times;
}

function median(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function ratio(slow: readonly number[], fast: readonly number[]): string {
  return (median(slow) / median(fast)).toFixed(0);
}

function formatMs(ms: number): string {
  return ms >= 1 ? `${ms.toFixed(1)} ms` : `${(ms * 1000).toFixed(1)} µs`;
}
