import Redis, { ReplyError, type RedisOptions } from 'ioredis';
import { CircuitBreaker, getCircuitBreaker, isCircuitBreakerOpenException, type CircuitBreakerStats } from '../../src';

/**
 * ioredis options under which a dead or hung Redis surfaces as a prompt error,
 * which the breaker can count, instead of a call that waits.
 *
 * - `enableOfflineQueue: false`: while the client is not connected, a command
 *   rejects at once ("Stream isn't writeable") instead of queueing until a
 *   reconnect that may never come. This is the option that matters most.
 * - `maxRetriesPerRequest: 1`: a command already sent when the connection
 *   drops is rejected after one reconnect attempt (default 20, each with backoff).
 * - `commandTimeout`: a server that accepts the command but never answers
 *   (hung, frozen, black-holed) fails it after this many ms. No default: without
 *   it such a call waits for TCP to give up, minutes later.
 * - `connectTimeout`: a connection attempt to a host that does not answer is
 *   abandoned after this many ms (default 10 s).
 * - `retryStrategy`: reconnect in the background with a short, capped backoff,
 *   so the client is ready again soon after Redis is; the breaker's probe then
 *   finds a working connection.
 */
export const promptFailureOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  commandTimeout: 500,
  connectTimeout: 1_000,
  retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 2_000),
} satisfies RedisOptions;

/**
 * An ioredis client for a guarded cache: {@link promptFailureOptions}, then
 * `overrides`. Its `error` events go to `onError` (ioredis prints unhandled
 * ones); the breaker already sees every failed command.
 */
export function createRedisClient(
  url: string,
  overrides: RedisOptions = {},
  onError: (error: Error) => void = () => {},
): Redis {
  const client = new Redis(url, { ...promptFailureOptions, ...overrides });
  client.on('error', onError);
  return client;
}

/**
 * Resolves true once `client` is ready, or false after `timeout` ms. With the
 * offline queue off, a command sent before the first connection is ready
 * fails, so a service waits for this at startup; false means it starts with
 * Redis down and its reads served from the source.
 */
export function whenReady(client: Redis, timeout: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const onReady = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      resolve(false);
    }, timeout);
    client.once('ready', onReady);
  });
}

/** Errors a Redis server answers with when it is unavailable, not when the command is wrong. */
const UNAVAILABLE_REPLIES = ['LOADING', 'BUSY', 'MASTERDOWN', 'CLUSTERDOWN', 'TRYAGAIN', 'READONLY', 'OOM'];

/**
 * Whether an error means Redis is unavailable (the breaker's `isFailure`):
 * connection errors and timeouts count; a reply error such as WRONGTYPE is the
 * caller's bug, re-raised without tripping the circuit.
 */
export function isRedisOutage(error: unknown): boolean {
  if (!(error instanceof ReplyError)) return true;
  const message = String((error as Error).message);
  return UNAVAILABLE_REPLIES.some((prefix) => message.startsWith(prefix));
}

/** A fallback's answer when Redis is down: `whenDown`; any other error is re-raised. */
function whenRedisIsDown<T>(whenDown: T): (error: unknown) => T {
  return (error) => {
    if (isCircuitBreakerOpenException(error) || isRedisOutage(error)) return whenDown;
    throw error;
  };
}

/** How a {@link defineRedisCache} class trips. */
export interface RedisCachePolicy {
  /** Consecutive failed commands of one method that open its circuit. */
  readonly failureThreshold: number;
  /** Milliseconds a method's circuit stays open before one probe. */
  readonly resetTimeout: number;
}

/** A policy for a service: five failures open a method's circuit, a probe every five seconds. */
export const defaultRedisCachePolicy: RedisCachePolicy = { failureThreshold: 5, resetTimeout: 5_000 };

/**
 * The `RedisCache` class under a given policy. Decorator options are fixed
 * when a class is defined, so a spec that needs a short `resetTimeout` defines
 * its own class; a service uses {@link RedisCache}.
 */
export function defineRedisCache(policy: RedisCachePolicy = defaultRedisCachePolicy) {
  const common = {
    failureThreshold: policy.failureThreshold,
    resetTimeout: policy.resetTimeout,
    isFailure: isRedisOutage,
    // One circuit per cache instance, so two caches over two servers trip apart.
    scope: 'instance',
  } as const;

  /**
   * A string cache over Redis whose every command goes through a circuit
   * breaker. When Redis is down, a read is a cache miss and a write is skipped,
   * so the service carries on from its source of truth; an invalidation is not
   * skipped silently.
   */
  class RedisCache {
    /**
     * @param client - an ioredis client, best made by {@link createRedisClient}
     * @param prefix - put before every key
     */
    constructor(
      readonly client: Redis,
      readonly prefix = 'cache:',
    ) {}

    /** The cached value, or null: on a miss, and when Redis is down or its circuit open. */
    @CircuitBreaker({ ...common, fallback: whenRedisIsDown(null), fallbackOnFailure: true })
    async get(key: string): Promise<string | null> {
      return this.client.get(this.prefix + key);
    }

    /** Stores `value` for `ttl` ms. Resolves false, not stored, when Redis is down or its circuit open. */
    @CircuitBreaker({ ...common, fallback: whenRedisIsDown(false), fallbackOnFailure: true })
    async set(key: string, value: string, ttl: number): Promise<boolean> {
      return (await this.client.set(this.prefix + key, value, 'PX', ttl)) === 'OK';
    }

    /**
     * Removes a key; resolves whether it existed. No fallback: an invalidation
     * that did not happen must reach the caller (a stale value could outlive
     * the outage), so it rejects with the Redis error or, while the circuit is
     * open, with `CircuitBreakerOpenException`.
     */
    @CircuitBreaker(common)
    async del(key: string): Promise<boolean> {
      return (await this.client.del(this.prefix + key)) > 0;
    }

    /**
     * Cache-aside read: the cached value, else `load()`'s, which is then
     * cached for `ttl` ms. When Redis is down every read loads from the source.
     */
    async getOrLoad(key: string, ttl: number, load: () => Promise<string>): Promise<string> {
      const cached = await this.get(key);
      if (cached !== null) return cached;
      const value = await load();
      await this.set(key, value, ttl);
      return value;
    }

    /** Each method's breaker snapshot, for a health endpoint. */
    circuits(): Record<'get' | 'set' | 'del', CircuitBreakerStats> {
      return {
        get: getCircuitBreaker(this, 'get').stats(),
        set: getCircuitBreaker(this, 'set').stats(),
        del: getCircuitBreaker(this, 'del').stats(),
      };
    }
  }
  return RedisCache;
}

/** A Redis string cache guarded by circuit breakers, under {@link defaultRedisCachePolicy}. */
export const RedisCache = defineRedisCache();
/** An instance of any {@link defineRedisCache} class. */
export type RedisCache = InstanceType<ReturnType<typeof defineRedisCache>>;
