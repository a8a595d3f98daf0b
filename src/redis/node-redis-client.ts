/**
 * {@link RedisClientAdapter} over node-redis (`redis` 5 or 6): a client (`createClient`) or a cluster
 * (`createCluster`). It talks to them through the few members below, which both majors have, with raw
 * commands (`sendCommand`), so no reply is reshaped by a version's transforms. The library itself is
 * loaded only by {@link createNodeRedis}, for a `url` when ioredis is not installed.
 * @internal
 * @packageDocumentation
 */
import { HoppingSubscriber, timeMs, withDeadline, type NodeSubscription, type NodeSubscriptionEvents, type RedisArg, type RedisClientAdapter, type RedisSubscriber } from './redis-client';

type Listener = (...args: never[]) => void;

interface Emitter {
  on(event: string, listener: Listener): unknown;
  off(event: string, listener: Listener): unknown;
}

/** What the adapter uses of a node-redis client. @internal */
export interface NodeRedisClient extends Emitter {
  readonly isReady: boolean;
  readonly isOpen: boolean;
  readonly options?: { readonly socket?: object & { readonly connectTimeout?: number }; readonly commandOptions?: { readonly timeout?: number } };
  sendCommand(args: readonly string[]): Promise<unknown>;
  multi(): { addCommand(args: readonly string[]): unknown; exec(): Promise<unknown[]> };
  duplicate(overrides?: object): NodeRedisClient;
  connect(): Promise<unknown>;
  subscribe(channels: string[], listener: (message: string, channel: string) => void): Promise<void>;
  unsubscribe(channels: string[]): Promise<void>;
  close(): Promise<unknown>;
  destroy(): void;
}

interface ShardNode {
  readonly host: string;
  readonly port: number;
}

/** What the adapter uses of a node-redis cluster. @internal */
export interface NodeRedisCluster extends Emitter {
  readonly isReady: boolean;
  readonly isOpen: boolean;
  readonly masters: readonly ShardNode[];
  readonly replicas: readonly ShardNode[];
  readonly _options?: { readonly defaults?: { readonly socket?: { readonly connectTimeout?: number }; readonly commandOptions?: { readonly timeout?: number } } };
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: readonly string[]): Promise<unknown>;
  multi(routing?: string): { addCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: readonly string[]): unknown; exec(): Promise<unknown[]> };
  nodeClient(node: ShardNode): Promise<NodeRedisClient>;
  close(): Promise<unknown>;
  destroy(): void;
}

/** Whether `client` looks like a node-redis client or cluster (without loading node-redis). @internal */
export function isNodeRedis(client: unknown): client is NodeRedisClient | NodeRedisCluster {
  const c = client as { isOpen?: unknown; isReady?: unknown; sendCommand?: unknown; destroy?: unknown };
  return typeof c.isOpen === 'boolean' && typeof c.isReady === 'boolean' && typeof c.sendCommand === 'function' && typeof c.destroy === 'function';
}

function isCluster(client: NodeRedisClient | NodeRedisCluster): client is NodeRedisCluster {
  return typeof (client as NodeRedisCluster).nodeClient === 'function';
}

/** A new node-redis client (the store's own, from `url`), connecting: loads node-redis now. @internal */
export function createNodeRedis(options: object): NodeRedisClient {
  const { createClient } = require('redis') as { createClient(options: object): NodeRedisClient };
  return createClient(options);
}

const strings = (args: readonly RedisArg[]): string[] => args.map(String);

/** @internal */
export class NodeRedisAdapter implements RedisClientAdapter {
  readonly library = 'node-redis';
  readonly cluster: boolean;

  /**
   * @param client - the client or cluster
   * @param deadlineMs - how long a command may take: node-redis 5 has no command timeout of its own
   */
  constructor(
    private readonly client: NodeRedisClient | NodeRedisCluster,
    private readonly deadlineMs: number,
  ) {
    this.cluster = isCluster(client);
  }

  get ready(): boolean {
    return this.client.isReady;
  }

  private get defaults() {
    return isCluster(this.client) ? this.client._options?.defaults : this.client.options;
  }

  get connectTimeoutMs(): number | undefined {
    return this.defaults?.socket?.connectTimeout;
  }

  get clientCommandTimeoutMs(): number | undefined {
    return this.defaults?.commandOptions?.timeout;
  }

  private send(args: readonly RedisArg[], key?: string, readonly = false): Promise<unknown> {
    const command = strings(args);
    const sent = isCluster(this.client) ? this.client.sendCommand(key, readonly, command) : this.client.sendCommand(command);
    return withDeadline(sent, this.deadlineMs);
  }

  eval(script: string, keys: readonly string[], args: readonly RedisArg[]): Promise<unknown> {
    return this.send(['EVAL', script, keys.length, ...keys, ...args], keys[0]);
  }

  async time(): Promise<number> {
    return timeMs(await this.send(['TIME'], undefined, true));
  }

  ping(): Promise<unknown> {
    return this.send(['PING'], undefined, true);
  }

  command(args: readonly RedisArg[], key?: string): Promise<unknown> {
    return this.send(args, key);
  }

  async multi(commands: readonly (readonly RedisArg[])[], key: string): Promise<unknown[]> {
    let exec: Promise<unknown[]>;
    if (isCluster(this.client)) {
      const multi = this.client.multi(key);
      for (const command of commands) multi.addCommand(key, false, strings(command));
      exec = multi.exec();
    } else {
      const multi = this.client.multi();
      for (const command of commands) multi.addCommand(strings(command));
      exec = multi.exec();
    }
    return withDeadline(exec, this.deadlineMs);
  }

  async nodes(role: 'primary' | 'all'): Promise<RedisClientAdapter[]> {
    const cluster = this.client;
    if (!isCluster(cluster)) return [this];
    const nodes = role === 'primary' ? cluster.masters : [...cluster.masters, ...cluster.replicas];
    const clients = await withDeadline(Promise.all(nodes.map((node) => cluster.nodeClient(node))), this.deadlineMs);
    return clients.map((client) => new NodeRedisAdapter(client, this.deadlineMs));
  }

  onReady(listener: () => void): () => void {
    // A cluster says 'connect' once it knows its slots; a client 'ready' on every (re)connect.
    const event = this.cluster ? 'connect' : 'ready';
    this.client.on(event, listener);
    return () => this.client.off(event, listener);
  }

  onError(listener: (error: Error) => void): () => void {
    this.client.on('error', listener);
    return () => this.client.off('error', listener);
  }

  subscriber(onMessage: (channel: string, message: string) => void): RedisSubscriber {
    const listener = (message: string, channel: string) => onMessage(channel, message);
    const cluster = this.client;
    if (!isCluster(cluster)) {
      const from = cluster;
      return new HoppingSubscriber((events) => subscription(Promise.resolve(from.duplicate()), listener, events));
    }
    return new HoppingSubscriber((events) => {
      // Any node will do (classic pub/sub reaches every node); the cluster's lists are refreshed after a failover.
      const nodes = [...cluster.masters, ...cluster.replicas];
      const node = nodes[Math.floor(Math.random() * nodes.length)];
      if (node === undefined) return subscription(Promise.reject(new Error('no node known')), listener, events);
      const connection = cluster.nodeClient(node).then((client) =>
        // Give up on a node after a few attempts, so that a dead one is left for another.
        client.duplicate({ socket: { ...client.options?.socket, reconnectStrategy: (retries: number) => (retries > 2 ? false : 100) } }),
      );
      return subscription(connection, listener, events);
    });
  }

  async close(graceful: boolean): Promise<void> {
    if (!this.client.isOpen) return;
    if (graceful) await this.client.close().catch(() => this.client.destroy());
    else this.client.destroy();
  }
}

/** A node-redis pub/sub connection (being made), driven by a HoppingSubscriber. */
function subscription(
  made: Promise<NodeRedisClient>,
  listener: (message: string, channel: string) => void,
  events: NodeSubscriptionEvents,
): NodeSubscription {
  let closed = false;
  let client: NodeRedisClient | undefined;
  void made.then(
    (connection) => {
      if (closed) return;
      client = connection;
      // Its reconnect strategy gave up when an error leaves it closed (node-redis 6 also says 'terminated').
      connection.on('error', () => {
        if (!connection.isOpen && !closed) events.ended();
      });
      // node-redis subscribes again by itself on a reconnect, before it says 'ready'.
      connection.on('ready', () => events.ready());
      connection.on('reconnecting', () => events.lost());
      connection.on('end', () => events.ended());
      connection.connect().catch(() => {
        if (!closed) events.ended();
      });
    },
    () => {
      if (!closed) setTimeout(() => events.ended(), 0).unref();
    },
  );
  return {
    subscribe: (channels) => client?.subscribe([...channels], listener) ?? Promise.reject(new Error('not connected')),
    unsubscribe: (channel) => client?.unsubscribe([channel]) ?? Promise.resolve(),
    close: () => {
      closed = true;
      if (client?.isOpen === true) client.destroy();
    },
  };
}
