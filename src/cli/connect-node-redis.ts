/**
 * The CLI's connection through node-redis (`redis`), for an app that has it and not ioredis: one node, or
 * the whole cluster when that node runs `cluster-enabled yes`. Every step is bounded by the command's
 * deadline (the connect timeout here, each command's by the admin); nothing is queued or retried.
 */
import { createClient, createCluster } from 'redis';
import type { Connection } from './connection';

/** Connects to `url` by `deadlineAt` (a `performance.now()` time); rejects with the reason it could not. */
export async function connectTo(url: string, deadlineAt: number): Promise<Connection> {
  const remaining = () => Math.max(1, Math.floor(deadlineAt - performance.now()));
  const socket = { connectTimeout: remaining(), reconnectStrategy: false as const };
  const client = createClient({ url, disableOfflineQueue: true, name: 'circuit-breaker-decorator-cli', socket });
  let lastError: Error | undefined;
  client.on('error', (error: Error) => (lastError ??= error));
  let cluster: ReturnType<typeof createCluster> | undefined;
  const close = () => {
    if (client.isOpen) client.destroy();
    if (cluster?.isOpen === true) cluster.destroy();
  };
  try {
    await client.connect().catch((error: Error) => {
      throw lastError ?? error;
    });
    if (!/^cluster_enabled:1\b/m.test(String(await client.sendCommand(['INFO', 'cluster'])))) return { client, close };
    const { username, password } = new URL(url);
    const defaults = {
      disableOfflineQueue: true,
      socket: { connectTimeout: remaining(), reconnectStrategy: false as const },
      ...(username === '' ? {} : { username: decodeURIComponent(username) }),
      ...(password === '' ? {} : { password: decodeURIComponent(password) }),
    };
    cluster = createCluster({ rootNodes: [{ url }], defaults });
    cluster.on('error', () => undefined);
    await cluster.connect();
    return { client: cluster, close };
  } catch (error) {
    close();
    throw error;
  }
}
