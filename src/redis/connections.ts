import Redis, { type RedisOptions } from 'ioredis';
import { checkKnownOptions } from '../common/known-options';

/** Options of `RedisCircuitStore`: a `url` (the store makes and owns its connections) or a `client` (yours). */
export type RedisCircuitStoreOptions = (
  | {
      /** `redis://host:port/db`; the store connects with the options below. */
      readonly url: string;
      readonly client?: never;
    }
  | {
      /**
       * Your ioredis client, used for commands; the store subscribes on a
       * `duplicate()` of it. Configure it as docs/fleet.md says (no offline
       * queue, a `commandTimeout`), or a slow Redis can hold a transition back.
       */
      readonly client: Redis;
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
   * and decides alone (only with `url`).
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
  /** Further ioredis options (only with `url`). */
  readonly redisOptions?: RedisOptions;
};

/** The store's two connections (commands, pub/sub) and its settings, from its options. */
export interface Connections {
  readonly client: Redis;
  readonly subscriber: Redis;
  /** Made from `url` (the store ends it on close()), or your `client` (it outlives the store). */
  readonly ownsClient: boolean;
  readonly prefix: string;
  readonly probeLeaseMs: number;
  /** ms a command may take (ours, or your client's own `commandTimeout`): its deadline in Redis. */
  readonly commandTimeoutMs: number;
}

/**
 * Checks the options and makes the connections (the command connection
 * only from `url`; the subscriber always, a `duplicate()` of it).
 *
 * @throws TypeError/RangeError naming a bad option
 */
export function connect(options: RedisCircuitStoreOptions): Connections {
  if (typeof options !== 'object' || options === null) throw new TypeError('RedisCircuitStore needs { url } or { client }');
  checkKnownOptions(options, ['url', 'client', 'prefix', 'commandTimeout', 'probeLease', 'redisOptions'], 'RedisCircuitStore');
  const { url } = options as { url?: unknown };
  let client = (options as { client?: unknown }).client;
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

  if (url !== undefined) {
    if (typeof url !== 'string') throw new TypeError('url must be a string');
    client = new Redis(url, {
      // A dead or hung Redis must surface at once: a transition is never queued behind a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout,
      connectTimeout: Math.max(1000, commandTimeout),
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
      // ioredis's disconnect() ends a socket and destroys it only after this (2 s by default, on a
      // timer that holds the process): with Redis down or hung, close() would keep the process alive that long.
      disconnectTimeout: commandTimeout,
      ...options.redisOptions,
    });
  } else if (typeof (client as Redis).duplicate !== 'function') {
    throw new TypeError('client must be an ioredis client');
  }
  const commandTimeoutMs = (client as Redis).options.commandTimeout ?? commandTimeout;
  // The subscriber must keep its queue: a subscribe issued before it connects is sent when it does.
  const subscriber = (client as Redis).duplicate({
    enableOfflineQueue: true,
    commandTimeout: undefined,
    // The store's 'ready' handler subscribes again itself, with its failure handled. ioredis's own
    // re-subscription has no handler: a close() during a reconnect rejected it unhandled, ending the process.
    autoResubscribe: false,
    disconnectTimeout: (url !== undefined ? options.redisOptions?.disconnectTimeout : undefined) ?? commandTimeout,
  });
  return { client: client as Redis, subscriber, ownsClient: url !== undefined, prefix, probeLeaseMs: probeLease, commandTimeoutMs };
}
