import Redis, { Cluster } from 'ioredis';
import { RedisCircuitAdmin } from '../redis/admin';
import type { Parsed } from './args';
import { describeResult, table } from './format';

/** Where a command is, for the message if the deadline passes there. */
export interface Progress {
  stage: 'connecting' | 'reading' | 'writing';
}

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** A failure to report on stderr with exit code 1 (Redis refused, failed, or did not answer). */
export class RedisFailure extends Error {
  override readonly name = 'RedisFailure';
}

/**
 * Connects to Redis and runs a parsed command, against `deadlineAt` (a
 * `performance.now()` time): the connection and every command carry timeouts
 * that end by then, nothing is queued while disconnected and nothing retried.
 * (The caller also holds a process-level deadline, as a backstop.)
 *
 * @returns the exit code (0 done, 1 a write Redis did not apply, 3 no such circuit)
 * @throws RedisFailure when Redis refuses, fails or times out
 */
export async function execute(parsed: Exclude<Parsed, { kind: 'help' | 'version' }>, deadlineAt: number, progress: Progress, io: Output): Promise<number> {
  const { options } = parsed;
  const remaining = Math.max(1, Math.floor(deadlineAt - performance.now()));
  let lastError: Error | undefined;
  const client = new Redis(options.redis, {
    lazyConnect: true,
    connectTimeout: remaining,
    commandTimeout: remaining,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    disconnectTimeout: 0,
    connectionName: 'circuit-breaker-decorator-cli',
  });
  client.on('error', (error: Error) => (lastError ??= error));
  let cluster: Cluster | undefined;
  try {
    progress.stage = 'connecting';
    await client.connect().catch((error: Error) => {
      throw new RedisFailure(connectFailure(lastError ?? error));
    });
    // A node of a Redis Cluster: talk to the whole cluster (SCAN every primary, route each circuit to its slot).
    if (await isClusterNode(client).catch(commandFailure)) {
      cluster = clusterOf(client, deadlineAt);
      await ready(cluster).catch((error: Error) => {
        throw new RedisFailure(connectFailure(error));
      });
    }
    const admin = new RedisCircuitAdmin({ client: cluster ?? client, prefix: options.prefix, deadline: deadlineAt, commandTimeout: remaining });
    progress.stage = 'reading';
    if (parsed.kind === 'list') {
      const circuits = await admin.list().catch(commandFailure);
      if (options.json) io.out(`${JSON.stringify(circuits, null, 2)}\n`);
      else if (circuits.length === 0) io.out(`no circuits under prefix '${options.prefix}'\n`);
      else io.out(table(circuits));
      return 0;
    }
    const { action, name } = parsed;
    if (!options.force && (await admin.get(name).catch(commandFailure)) === undefined) {
      io.err(
        `circuit-breaker-decorator: no circuit named ${JSON.stringify(name)} under prefix '${options.prefix}' ` +
          `(no key of it, no live member): nothing done. See the names with 'circuits', or pass --force to ${action} it anyway.\n`,
      );
      return 3;
    }
    progress.stage = 'writing';
    const result = await admin[action](name).catch(commandFailure);
    if (options.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
    else if (result.outcome === 'late') io.err(`circuit-breaker-decorator: ${describeResult(result)}\n`);
    else io.out(`${describeResult(result)}\n`);
    return result.outcome === 'late' ? 1 : 0;
  } finally {
    client.disconnect();
    cluster?.disconnect();
  }
}

/** Whether the node `client` is connected to runs with `cluster-enabled yes`. */
async function isClusterNode(client: Redis): Promise<boolean> {
  return /^cluster_enabled:1\b/m.test(await client.info('cluster'));
}

/** A Cluster client seeded with the node `seed` is connected to, with its options, bounded by the deadline. */
function clusterOf(seed: Redis, deadlineAt: number): Cluster {
  const remaining = Math.max(1, Math.floor(deadlineAt - performance.now()));
  const { host, port, username, password, tls, connectionName } = seed.options;
  const cluster = new Cluster([{ host: host ?? '127.0.0.1', port: port ?? 6379 }], {
    enableOfflineQueue: false,
    clusterRetryStrategy: () => null,
    slotsRefreshTimeout: remaining,
    redisOptions: { username, password, tls, connectionName, connectTimeout: remaining, commandTimeout: remaining, maxRetriesPerRequest: 0, disconnectTimeout: 0 },
  });
  cluster.on('error', () => undefined);
  cluster.on('node error', () => undefined);
  return cluster;
}

/** Resolves once `cluster` knows its slots; rejects when it gives up (no retries: the deadline is near). */
function ready(cluster: Cluster): Promise<void> {
  return new Promise((resolve, reject) => {
    cluster.once('ready', () => resolve());
    cluster.once('end', () => reject(new Error('no node of the cluster answered')));
  });
}

function connectFailure(error: Error): string {
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED') return `Redis refused the connection (${error.message})`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `Redis's host was not found (${error.message})`;
  if (/timed out|ETIMEDOUT/i.test(error.message)) return `no answer from Redis while connecting (${error.message})`;
  return `could not connect to Redis: ${error.message}`;
}

function commandFailure(error: Error): never {
  if (/timed out/i.test(error.message)) throw new RedisFailure(`no answer from Redis (${error.message})`);
  throw new RedisFailure(`Redis failed the command: ${error.message}`);
}
