import Redis, { Cluster } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { createClient as createClient5 } from 'redis5';
import type { RedisClientLike } from '../../src/redis';

/**
 * The client libraries RedisCircuitStore takes, for the suites that run once with each: ioredis
 * (`Redis`, `Cluster`) and node-redis (`redis`: `createClient`, `createCluster`). `REDIS_CLIENTS=ioredis`
 * (or `node-redis`) runs one of them only.
 */
export const REDIS_LIBRARIES = ((process.env.REDIS_CLIENTS ?? 'ioredis,node-redis').split(',') as Library[]).filter((name) =>
  (['ioredis', 'node-redis'] as const).includes(name),
);
export type Library = 'ioredis' | 'node-redis';

/** The store contract also runs with node-redis 5 (the devDependency `redis5`, an npm alias), beside 6. */
export type ContractLibrary = Library | 'node-redis-5';

/** A client made for a store, and how to end it (the store never ends a client it was given). */
export interface MadeClient {
  /** Typed as the store takes it: this also checks that each library's client type-checks as an option. */
  readonly client: RedisClientLike;
  close(): Promise<void>;
}

export interface ClientSettings {
  /** ms between reconnection attempts. */
  readonly reconnectEvery?: number;
  readonly connectTimeout?: number;
  /** ms a command may take (ioredis `commandTimeout`; node-redis: the store's `commandTimeout` bounds it). */
  readonly commandTimeout?: number;
}

/**
 * A client of `library` for Redis at `url`, configured as docs/fleet.md says for a store (no offline
 * queue, prompt reconnects), connecting; errors are swallowed (the store listens for them itself).
 */
export function makeClient(library: ContractLibrary, url: string, settings: ClientSettings = {}): MadeClient {
  const every = settings.reconnectEvery ?? 50;
  const connectTimeout = settings.connectTimeout ?? 500;
  if (library === 'ioredis') {
    const client = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: settings.commandTimeout,
      connectTimeout,
      retryStrategy: () => every,
      disconnectTimeout: 100,
    });
    client.on('error', () => undefined);
    return { client, close: async () => client.disconnect() };
  }
  const options = { url, disableOfflineQueue: true, socket: { connectTimeout, reconnectStrategy: () => every } };
  const client = library === 'node-redis-5' ? createClient5(options) : createClient(options);
  client.on('error', () => undefined);
  client.connect().catch(() => undefined);
  return { client, close: async () => (client.isOpen ? client.destroy() : undefined) };
}

/** A cluster client of `library` from `nodes` (`host:port` each), configured as {@link makeClient}. */
export function makeClusterClient(library: Library, nodes: readonly { host: string; port: number }[], settings: ClientSettings = {}): MadeClient {
  const every = settings.reconnectEvery ?? 50;
  const connectTimeout = settings.connectTimeout ?? 500;
  if (library === 'ioredis') {
    const client = new Cluster([...nodes], {
      enableOfflineQueue: false,
      clusterRetryStrategy: () => every,
      retryDelayOnFailover: every,
      retryDelayOnClusterDown: every,
      slotsRefreshTimeout: 500,
      redisOptions: { maxRetriesPerRequest: 0, commandTimeout: settings.commandTimeout, connectTimeout, disconnectTimeout: 100 },
    });
    client.on('error', () => undefined);
    client.on('node error', () => undefined);
    return { client, close: async () => client.disconnect() };
  }
  const client = createCluster({
    rootNodes: nodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
    defaults: { disableOfflineQueue: true, socket: { connectTimeout, reconnectStrategy: () => every } },
    // A node that stops answering makes the cluster re-read its slot map this long after it first tries to
    // reconnect (5 s by default): until then the slot of a failed primary is not served, whoever took over.
    topologyRefreshOnReconnectionAttemptStrategy: 500,
  });
  client.on('error', () => undefined);
  client.connect().catch(() => undefined);
  return { client, close: async () => (client.isOpen ? client.destroy() : undefined) };
}
