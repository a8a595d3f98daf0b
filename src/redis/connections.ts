import { checkKnownOptions } from '../common/known-options';
import { createIoredis, IoredisAdapter, isIoredis } from './ioredis-client';
import { createNodeRedis, isNodeRedis, NodeRedisAdapter } from './node-redis-client';
import type { RedisClientAdapter } from './redis-client';

/**
 * A client the store can use: an ioredis `Redis` or `Cluster` (ioredis 5 or 6), or a node-redis
 * client or cluster (`createClient`, `createCluster` of `redis` 5 or 6). The store tells them apart
 * by their shape; anything else is a `TypeError` when the store is made.
 */
export interface RedisClientLike {
  duplicate(...args: never[]): unknown;
}

/** Options of `RedisCircuitStore`: a `url` (the store makes and owns its connections) or a `client` (yours). */
export type RedisCircuitStoreOptions = (
  | {
      /**
       * `redis://host:port/db`; the store connects with the options below, through ioredis when it is
       * installed, else node-redis (`redis`).
       */
      readonly url: string;
      readonly client?: never;
    }
  | {
      /**
       * Your client, used for commands: an ioredis `Redis` or `Cluster`, or a node-redis client or
       * cluster, connected or connecting (the store never connects it). The store subscribes on a
       * connection of its own made from it. Configure it as docs/fleet.md says (no offline queue), or a
       * transition may wait behind a reconnect (never longer than `commandTimeout`).
       */
      readonly client: RedisClientLike;
      readonly url?: never;
    }
) & {
  /**
   * Prefix of every key and channel. Keys are `${prefix}{${name}}:state` and
   * the like: the `{name}` hash tag keeps one circuit's keys in one Redis Cluster slot.
   * @default 'circuit-breaker:'
   */
  readonly prefix?: string;
  /**
   * Milliseconds a store command may take before the breaker stops waiting
   * and decides alone (an ioredis client's own `commandTimeout`, when it has one, is used instead).
   * @default 250
   */
  readonly commandTimeout?: number;
  /**
   * Milliseconds a probe lease lasts: if the prober dies, another process
   * probes after it. Make it longer than a probe takes (a breaker with a
   * `timeout` option asks for twice its timeout, when larger).
   * @default 10_000
   */
  readonly probeLease?: number;
  /**
   * Further options of the client made from `url` (only with `url`): ioredis `RedisOptions`, or
   * node-redis `createClient` options when ioredis is not installed.
   */
  readonly redisOptions?: object;
};

/** The store's command connection and its settings, from its options. @internal */
export interface Connections {
  readonly client: RedisClientAdapter;
  /** Made from `url` (the store ends it on close()), or your `client` (it outlives the store). */
  readonly ownsClient: boolean;
  readonly prefix: string;
  readonly probeLeaseMs: number;
  /** ms a command may take (ours, or your client's own `commandTimeout`): its deadline in Redis. */
  readonly commandTimeoutMs: number;
}

const CLIENT_ERROR = 'client must be an ioredis client (Redis or Cluster) or a node-redis client (createClient or createCluster)';

/** Whether `name` can be required from here (an optional peer may be missing). */
function installed(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks the options and wraps the client (made from `url`, or yours) in its adapter.
 *
 * @throws TypeError/RangeError naming a bad option
 * @internal
 */
export function connect(options: RedisCircuitStoreOptions): Connections {
  if (typeof options !== 'object' || options === null) throw new TypeError('RedisCircuitStore needs { url } or { client }');
  checkKnownOptions(options, ['url', 'client', 'prefix', 'commandTimeout', 'probeLease', 'redisOptions'], 'RedisCircuitStore');
  const { url, client } = options as { url?: unknown; client?: unknown };
  if ((url === undefined) === (client === undefined)) throw new TypeError('RedisCircuitStore needs exactly one of url or client');
  const prefix = options.prefix ?? 'circuit-breaker:';
  if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
    throw new TypeError('prefix must be a string without { or } (the breaker name is the hash tag)');
  }
  const commandTimeout = options.commandTimeout ?? 250;
  if (typeof commandTimeout !== 'number' || !Number.isFinite(commandTimeout) || commandTimeout <= 0) {
    throw new RangeError(`commandTimeout must be a positive number of milliseconds, got ${String(commandTimeout)}`);
  }
  const probeLease = options.probeLease ?? 10_000;
  if (typeof probeLease !== 'number' || !Number.isInteger(probeLease) || probeLease <= 0) {
    throw new RangeError(`probeLease must be a positive integer of milliseconds, got ${String(probeLease)}`);
  }
  const { redisOptions } = options;
  if (redisOptions !== undefined && (typeof redisOptions !== 'object' || redisOptions === null)) throw new TypeError('redisOptions must be an object');
  const settings = { prefix, probeLeaseMs: probeLease };

  if (url !== undefined) {
    if (typeof url !== 'string') throw new TypeError('url must be a string');
    return { client: fromUrl(url, commandTimeout, redisOptions as Record<string, unknown> | undefined), ownsClient: true, commandTimeoutMs: commandTimeout, ...settings };
  }
  const adapter = adapt(client, commandTimeout);
  // The client's own timeout, where it has one, is the deadline Redis checks: ours would fail commands it still runs.
  const commandTimeoutMs = adapter.clientCommandTimeoutMs ?? commandTimeout;
  return { client: adapt(client, commandTimeoutMs, commandTimeout), ownsClient: false, commandTimeoutMs, ...settings };
}

/**
 * The adapter of a client of yours: ioredis or node-redis, told apart by shape.
 *
 * @param deadlineMs - how long a command may take
 * @param disconnectTimeoutMs - ioredis subscriber connections: how long a disconnect() may hold the socket
 * @throws TypeError when `client` is neither
 * @internal
 */
export function adapt(client: unknown, deadlineMs: number, disconnectTimeoutMs = deadlineMs): RedisClientAdapter {
  if (typeof client === 'object' && client !== null) {
    if (isIoredis(client)) return new IoredisAdapter(client, deadlineMs, disconnectTimeoutMs);
    if (isNodeRedis(client)) return new NodeRedisAdapter(client, deadlineMs);
  }
  throw new TypeError(`${CLIENT_ERROR}; got ${client === null ? 'null' : typeof client === 'object' ? Object.prototype.toString.call(client) : typeof client}`);
}

/** The store's own client: ioredis when installed, else node-redis (loaded now, not before). */
function fromUrl(url: string, commandTimeout: number, redisOptions: Record<string, unknown> | undefined): RedisClientAdapter {
  const connectTimeout = Math.max(1000, commandTimeout);
  const retry = (attempt: number) => Math.min(attempt * 100, 2000);
  if (installed('ioredis')) {
    const client = createIoredis(url, {
      // A dead or hung Redis must surface at once: a transition is never queued behind a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout,
      connectTimeout,
      retryStrategy: retry,
      // ioredis's disconnect() ends a socket and destroys it only after this (2 s by default, on a
      // timer that holds the process): with Redis down or hung, close() would keep the process alive that long.
      disconnectTimeout: commandTimeout,
      ...redisOptions,
    });
    const disconnectTimeout = typeof redisOptions?.disconnectTimeout === 'number' ? redisOptions.disconnectTimeout : commandTimeout;
    return new IoredisAdapter(client, commandTimeout, disconnectTimeout);
  }
  if (installed('redis')) {
    const socket = { connectTimeout, reconnectStrategy: retry, ...(redisOptions?.socket as object | undefined) };
    // No offline queue: a command while disconnected rejects at once (the deadline bounds a hung one).
    const client = createNodeRedis({ url, disableOfflineQueue: true, ...redisOptions, socket });
    client.on('error', () => undefined);
    client.connect().catch(() => undefined);
    return new NodeRedisAdapter(client, commandTimeout);
  }
  throw new TypeError('RedisCircuitStore with url needs ioredis or redis (node-redis) installed: npm install ioredis');
}
