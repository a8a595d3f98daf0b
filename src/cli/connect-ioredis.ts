/**
 * The CLI's connection through ioredis: one node, or the whole cluster when that node runs
 * `cluster-enabled yes`. Every step is bounded by the command's deadline; nothing is queued or retried.
 */
import Redis, { Cluster } from 'ioredis';
import type { Connection } from './connection';

/** Connects to `url` by `deadlineAt` (a `performance.now()` time); rejects with the reason it could not. */
export async function connectTo(url: string, deadlineAt: number): Promise<Connection> {
  const remaining = () => Math.max(1, Math.floor(deadlineAt - performance.now()));
  let lastError: Error | undefined;
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: remaining(),
    commandTimeout: remaining(),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    disconnectTimeout: 0,
    connectionName: 'circuit-breaker-decorator-cli',
  });
  client.on('error', (error: Error) => (lastError ??= error));
  let cluster: Cluster | undefined;
  const close = () => {
    client.disconnect();
    cluster?.disconnect();
  };
  try {
    await client.connect().catch((error: Error) => {
      throw lastError ?? error;
    });
    // A node of a Redis Cluster: talk to the whole cluster (SCAN every primary, route each circuit to its slot).
    if (!/^cluster_enabled:1\b/m.test(await client.info('cluster'))) return { client, close };
    const { host, port, username, password, tls, connectionName } = client.options;
    const joined = new Cluster([{ host: host ?? '127.0.0.1', port: port ?? 6379 }], {
      enableOfflineQueue: false,
      clusterRetryStrategy: () => null,
      slotsRefreshTimeout: remaining(),
      redisOptions: { username, password, tls, connectionName, connectTimeout: remaining(), commandTimeout: remaining(), maxRetriesPerRequest: 0, disconnectTimeout: 0 },
    });
    cluster = joined;
    joined.on('error', () => undefined);
    joined.on('node error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      joined.once('ready', () => resolve());
      joined.once('end', () => reject(new Error('no node of the cluster answered')));
    });
    return { client: joined, close };
  } catch (error) {
    close();
    throw error;
  }
}
