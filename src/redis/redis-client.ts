/**
 * The one seam between the store (and the CLI's admin) and a Redis client library. Everything
 * `RedisCircuitStore` and `RedisCircuitAdmin` send goes through {@link RedisClientAdapter}; the two
 * implementations (`ioredis-client.ts`, `node-redis-client.ts`) are the only files that know a
 * library's API. Neither library is imported here: a client passed in is recognised by its shape,
 * so the `redis` subpath loads no library of its own for it.
 * @internal
 * @packageDocumentation
 */

/** A command argument: numbers are sent as their decimal text. @internal */
export type RedisArg = string | number;

/** The store's and the admin's view of one client (a connection, or a cluster of them). @internal */
export interface RedisClientAdapter {
  readonly library: 'ioredis' | 'node-redis';
  /** A Redis Cluster client: keys route by slot, SCAN and PUBSUB must visit every node. */
  readonly cluster: boolean;
  /** Whether commands can be sent now (connected and ready). */
  readonly ready: boolean;
  /** ms one connection attempt may take, when the client says; undefined: not configured. */
  readonly connectTimeoutMs: number | undefined;
  /** The client's own command timeout, when it has one. */
  readonly clientCommandTimeoutMs: number | undefined;
  /** EVAL, routed by its first key in a cluster. */
  eval(script: string, keys: readonly string[], args: readonly RedisArg[]): Promise<unknown>;
  /** Redis's clock (TIME) in ms. */
  time(): Promise<number>;
  ping(): Promise<unknown>;
  /** A plain command, routed by `key` in a cluster (none: any node). */
  command(args: readonly RedisArg[], key?: string): Promise<unknown>;
  /** Commands on keys of one slot, in one MULTI; each reply, or the error it got. */
  multi(commands: readonly (readonly RedisArg[])[], key: string): Promise<unknown[]>;
  /** One adapter per node: the primaries, or every node (primaries and replicas). Itself when not a cluster. */
  nodes(role: 'primary' | 'all'): Promise<RedisClientAdapter[]>;
  /** Called on every (re)connect, once commands can be sent; returns what removes it. */
  onReady(listener: () => void): () => void;
  /** Called on a connection error; returns what removes it. */
  onError(listener: (error: Error) => void): () => void;
  /** A connection of its own for pub/sub, made from this client's settings (see {@link RedisSubscriber}). */
  subscriber(onMessage: (channel: string, message: string) => void): RedisSubscriber;
  /** Ends the connection: gracefully (QUIT) when `graceful`, else at once. Never rejects. */
  close(graceful: boolean): Promise<void>;
}

/**
 * A pub/sub connection. It keeps the channels subscribed across reconnects (and, on a cluster, across
 * a move to another node when its node dies) and calls `onReady` listeners once they are subscribed
 * again: whatever was published while it was away is lost, so that is when the store re-reads.
 * @internal
 */
export interface RedisSubscriber {
  readonly ready: boolean;
  subscribe(channel: string): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /** Called once connected with every channel subscribed (first connect and every reconnect). */
  onReady(listener: () => void): () => void;
  /** Ends it at once. */
  close(): void;
}

/**
 * Races `promise` against `ms`: a command whose client has no timeout of its own (a `client` you passed
 * in, or node-redis 5, which has none) still fails after `ms`. The timer is unref'd and cleared either way.
 * @internal
 */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis command timed out after ${ms} ms`)), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Milliseconds from TIME's [seconds, microseconds]. @internal */
export function timeMs(reply: unknown): number {
  const [seconds, micros] = reply as [string | number, string | number];
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** A small listener list, for the adapters' events. @internal */
export class Listeners<A extends unknown[]> {
  private readonly set = new Set<(...args: A) => void>();
  add(listener: (...args: A) => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }
  emit(...args: A): void {
    for (const listener of [...this.set]) listener(...args);
  }
}

/**
 * A cluster's subscriber: one plain connection to one node at a time (classic pub/sub: a PUBLISH on any
 * node reaches the subscribers of every node, over the cluster bus). When that node stops answering the
 * connection gives up and the next one goes to another node, subscribes to every channel, and only then
 * reports ready. (The libraries' own cluster subscribers move too, but say nothing when they did.)
 * @internal
 */
export class HoppingSubscriber implements RedisSubscriber {
  private readonly channels = new Set<string>();
  private readonly ready$ = new Listeners<[]>();
  private current: NodeSubscription | undefined;
  private closed = false;
  private connected = false;

  constructor(private readonly open: (events: NodeSubscriptionEvents) => NodeSubscription) {
    this.hop();
  }

  get ready(): boolean {
    return this.connected;
  }

  async subscribe(channel: string): Promise<void> {
    this.channels.add(channel);
    if (this.connected) await this.current?.subscribe([channel]);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.channels.delete(channel);
    if (this.connected) await this.current?.unsubscribe(channel);
  }

  onReady(listener: () => void): () => void {
    return this.ready$.add(listener);
  }

  close(): void {
    this.closed = true;
    this.connected = false;
    this.current?.close();
    this.current = undefined;
  }

  private hop(): void {
    if (this.closed) return;
    const subscription: NodeSubscription = this.open({
      ready: () => void this.resubscribe(subscription),
      lost: () => {
        if (this.current === subscription) this.connected = false;
      },
      ended: () => {
        if (this.current !== subscription || this.closed) return;
        this.connected = false;
        this.current = undefined;
        subscription.close();
        // Another node, after a pause: a cluster that lost a node takes a moment to say who replaced it.
        setTimeout(() => this.hop(), 100).unref();
      },
    });
    this.current = subscription;
  }

  /** Subscribes every channel on a fresh connection, those added meanwhile too, then reports ready. */
  private async resubscribe(subscription: NodeSubscription): Promise<void> {
    const done = new Set<string>();
    try {
      for (;;) {
        if (this.current !== subscription || this.closed) return;
        const missing = [...this.channels].filter((channel) => !done.has(channel));
        if (missing.length === 0) break;
        await subscription.subscribe(missing);
        for (const channel of missing) done.add(channel);
      }
    } catch {
      return; // the connection dropped meanwhile: its next ready subscribes again
    }
    this.connected = true;
    this.ready$.emit();
  }
}

/** One node's pub/sub connection, as {@link HoppingSubscriber} drives it. @internal */
export interface NodeSubscription {
  subscribe(channels: readonly string[]): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  close(): void;
}

/** What a {@link NodeSubscription} reports. @internal */
export interface NodeSubscriptionEvents {
  /** Connected (or reconnected to the same node): subscribe now. */
  ready(): void;
  /** The connection dropped; it may come back. */
  lost(): void;
  /** It gave up on this node: open another. */
  ended(): void;
}
