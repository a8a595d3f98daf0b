/**
 * {@link RedisClientAdapter} over ioredis 5 or 6: a `Redis` connection or a `Cluster`. Only types are
 * imported from ioredis here; the library itself is loaded by {@link createIoredis}, for a `url`.
 * @internal
 * @packageDocumentation
 */
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { HoppingSubscriber, timeMs, withDeadline, type NodeSubscription, type NodeSubscriptionEvents, type RedisArg, type RedisClientAdapter, type RedisSubscriber } from './redis-client';

/** An ioredis `Redis` or `Cluster`, told apart by `isCluster`. @internal */
export type IoredisClient = Redis | Cluster;

/** Whether `client` looks like an ioredis `Redis` or `Cluster` (without loading ioredis). @internal */
export function isIoredis(client: unknown): client is IoredisClient {
  const c = client as { status?: unknown; duplicate?: unknown; call?: unknown; isCluster?: unknown };
  return typeof c.status === 'string' && typeof c.duplicate === 'function' && typeof c.call === 'function';
}

/** A new ioredis client (the store's own, from `url`): loads ioredis now. @internal */
export function createIoredis(url: string, options: RedisOptions): Redis {
  const { default: Redis } = require('ioredis') as typeof import('ioredis');
  return new Redis(url, options);
}

/** @internal */
export class IoredisAdapter implements RedisClientAdapter {
  readonly library = 'ioredis';
  readonly cluster: boolean;

  /**
   * @param client - the connection or cluster
   * @param deadlineMs - how long a command may take, whatever the client's own `commandTimeout` (a client
   *   of yours may have none)
   * @param disconnectTimeoutMs - for the subscriber connections (ioredis destroys a socket only this long
   *   after a disconnect(), on a timer that holds the process)
   */
  constructor(
    private readonly client: IoredisClient,
    private readonly deadlineMs: number,
    private readonly disconnectTimeoutMs: number,
  ) {
    this.cluster = (client as Cluster).isCluster === true;
  }

  get ready(): boolean {
    return this.client.status === 'ready';
  }

  private get options(): RedisOptions {
    return this.cluster ? ((this.client as Cluster).options.redisOptions ?? {}) : (this.client as Redis).options;
  }

  get connectTimeoutMs(): number | undefined {
    return this.options.connectTimeout;
  }

  get clientCommandTimeoutMs(): number | undefined {
    return this.options.commandTimeout;
  }

  eval(script: string, keys: readonly string[], args: readonly RedisArg[]): Promise<unknown> {
    return withDeadline(this.client.eval(script, keys.length, ...keys, ...args), this.deadlineMs);
  }

  async time(): Promise<number> {
    return timeMs(await withDeadline(this.client.time(), this.deadlineMs));
  }

  ping(): Promise<unknown> {
    return withDeadline(this.client.ping(), this.deadlineMs);
  }

  command(args: readonly RedisArg[]): Promise<unknown> {
    // ioredis routes a Cluster's command by its key itself.
    const [name, ...rest] = args;
    return withDeadline(this.client.call(String(name), ...rest), this.deadlineMs);
  }

  async multi(commands: readonly (readonly RedisArg[])[]): Promise<unknown[]> {
    // ioredis looks a batched command up by its method name: lower case.
    const batch = commands.map(([name, ...args]) => [String(name).toLowerCase(), ...args.map(String)]);
    const replies = await withDeadline(this.client.multi(batch).exec(), this.deadlineMs);
    if (replies === null) throw new Error('the MULTI was aborted');
    return replies.map(([error, value]) => error ?? value);
  }

  async nodes(role: 'primary' | 'all'): Promise<RedisClientAdapter[]> {
    if (!this.cluster) return [this];
    return (this.client as Cluster).nodes(role === 'primary' ? 'master' : 'all').map((node) => new IoredisAdapter(node, this.deadlineMs, this.disconnectTimeoutMs));
  }

  onReady(listener: () => void): () => void {
    this.client.on('ready', listener);
    return () => this.client.off('ready', listener);
  }

  onError(listener: (error: Error) => void): () => void {
    this.client.on('error', listener);
    return () => this.client.off('error', listener);
  }

  subscriber(onMessage: (channel: string, message: string) => void): RedisSubscriber {
    return new HoppingSubscriber((events) => {
      // Connected now even when yours is lazy: the subscriber subscribes once ready, so it must get there itself.
      if (!this.cluster) return this.subscription(this.client as Redis, onMessage, events, { lazyConnect: false });
      // Any node will do (classic pub/sub reaches every node); the cluster's list is refreshed after a failover.
      const nodes = (this.client as Cluster).nodes('all');
      const node = nodes[Math.floor(Math.random() * nodes.length)];
      if (node === undefined) return endedSoon(events);
      // Give up on a node after a few attempts, so that a dead one is left for another.
      return this.subscription(node, onMessage, events, { lazyConnect: false, retryStrategy: (attempt) => (attempt > 2 ? null : 100) });
    });
  }

  private subscription(from: Redis, onMessage: (channel: string, message: string) => void, events: NodeSubscriptionEvents, options: RedisOptions): NodeSubscription {
    // The subscriber must keep its queue: a subscribe issued before it connects is sent when it does.
    const connection = from.duplicate({
      enableOfflineQueue: true,
      commandTimeout: undefined,
      // The subscriber subscribes again itself on 'ready', with its failure handled. ioredis's own
      // re-subscription has no handler: a close() during a reconnect rejected it unhandled, ending the process.
      autoResubscribe: false,
      disconnectTimeout: this.disconnectTimeoutMs,
      ...options,
    });
    connection.on('error', () => undefined);
    connection.on('message', onMessage);
    connection.on('ready', () => events.ready());
    connection.on('close', () => events.lost());
    connection.on('end', () => events.ended());
    return {
      subscribe: (channels) => connection.subscribe(...channels).then(() => undefined),
      unsubscribe: (channel) => connection.unsubscribe(channel).then(() => undefined),
      close: () => connection.disconnect(),
    };
  }

  async close(graceful: boolean): Promise<void> {
    // QUIT lets Redis close the connection gracefully, but only a Redis that answers can: else end it now.
    // (The client keeps its error listener: ending a connection can still emit an error, which must not crash.)
    if (graceful) await this.client.quit().catch(() => this.client.disconnect());
    else this.client.disconnect();
  }
}

/** A subscription that never connects and reports at once that it gave up (no node known yet). @internal */
export function endedSoon(events: NodeSubscriptionEvents): NodeSubscription {
  queueMicrotask(() => events.ended());
  return { subscribe: async () => undefined, unsubscribe: async () => undefined, close: () => undefined };
}
