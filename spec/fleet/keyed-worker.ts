/**
 * One process of a keyed fleet under test (`keyed.spec.ts`): an HTTP-client-like method keyed by host,
 * `@CircuitBreaker({ key: host, store })`, sharing each host's circuit through a RedisCircuitStore. The
 * "dependency" fails for the hosts the parent says are down, and counts its invocations per host.
 * Driven over IPC: every request has an `id` and gets one reply with it.
 */
import { CircuitBreaker, getCircuitBreaker, getKeyedCircuitBreaker, isCircuitBreakerOpenException } from '../../src';
import { RedisCircuitStore } from '../../src/redis';

export interface KeyedWorkerConfig {
  readonly url: string;
  readonly failureThreshold: number;
  readonly resetTimeout: number;
  readonly probeLease: number;
  readonly maxKeys: number;
}

export type KeyedRequest = { readonly id: number } & (
  | { readonly cmd: 'init'; readonly config: KeyedWorkerConfig }
  | { readonly cmd: 'down'; readonly host: string; readonly down: boolean; readonly delay?: number }
  | { readonly cmd: 'call'; readonly host: string }
  | { readonly cmd: 'start'; readonly host: string }
  | { readonly cmd: 'burst'; readonly host: string; readonly n: number }
  | { readonly cmd: 'view'; readonly host: string }
  | { readonly cmd: 'close' }
);

/** A call's outcome as the parent sees it. */
export interface KeyedCall {
  readonly outcome: 'ok' | 'failed' | 'refused' | 'error';
  readonly message?: string;
}

/** One host's breaker in this process. */
export interface KeyedView {
  /** undefined: this process keeps no breaker for the host (never used, or dropped). */
  readonly state: 'CLOSED' | 'OPEN' | 'HALF_OPEN' | undefined;
  readonly invocations: number;
  readonly keys: readonly string[];
}

interface Client {
  get(url: string): Promise<string>;
}

let store: RedisCircuitStore | undefined;
let client: Client | undefined;
const down = new Set<string>();
/** ms the dependency takes to answer, per host (0 when unset). */
const delays = new Map<string, number>();
const invocations = new Map<string, number>();

function makeClient(config: KeyedWorkerConfig, using: RedisCircuitStore): Client {
  class UpstreamClient {
    @CircuitBreaker({
      key: (url: string) => new URL(url).host,
      maxKeys: config.maxKeys,
      failureThreshold: config.failureThreshold,
      resetTimeout: config.resetTimeout,
      store: using,
    })
    async get(url: string): Promise<string> {
      const host = new URL(url).host;
      invocations.set(host, (invocations.get(host) ?? 0) + 1);
      const delay = delays.get(host) ?? 0;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      if (down.has(host)) throw new Error(`${host} is down`);
      return 'ok';
    }
  }
  return new UpstreamClient();
}

async function call(host: string): Promise<KeyedCall> {
  try {
    await client!.get(`https://${host}/`);
    return { outcome: 'ok' };
  } catch (error) {
    if (isCircuitBreakerOpenException(error)) return { outcome: 'refused' };
    const message = (error as Error).message;
    return message.endsWith('is down') ? { outcome: 'failed', message } : { outcome: 'error', message };
  }
}

function view(host: string): KeyedView {
  return {
    state: getCircuitBreaker(client!, 'get', host)?.state,
    invocations: invocations.get(host) ?? 0,
    keys: getKeyedCircuitBreaker(client!, 'get').keys(),
  };
}

async function handle(request: KeyedRequest): Promise<Record<string, unknown>> {
  switch (request.cmd) {
    case 'init': {
      const config = request.config;
      store = new RedisCircuitStore({ url: config.url, commandTimeout: 500, probeLease: config.probeLease });
      client = makeClient(config, store);
      return { ready: await store.ready(3_000) };
    }
    case 'down':
      if (request.down) down.add(request.host);
      else down.delete(request.host);
      delays.set(request.host, request.delay ?? 0);
      return {};
    case 'start':
      // A call left running (a slow probe): the reply does not wait for it.
      void call(request.host);
      return {};
    case 'call':
      return { ...(await call(request.host)), ...view(request.host) };
    case 'burst': {
      // `n` calls at once: with the wait over, the fleet lets one probe through.
      const results = await Promise.all(Array.from({ length: request.n }, () => call(request.host)));
      return { refused: results.filter((r) => r.outcome === 'refused').length, ...view(request.host) };
    }
    case 'view':
      return { ...view(request.host) };
    case 'close':
      await store?.close();
      setImmediate(() => process.disconnect());
      return {};
  }
}

process.on('message', (request: KeyedRequest) => {
  handle(request).then(
    (reply) => process.connected && process.send!({ id: request.id, ...reply }),
    (error: unknown) => process.connected && process.send!({ id: request.id, failure: String((error as Error)?.stack ?? error) }),
  );
});
// The parent went away: leave no orphan behind.
process.on('disconnect', () => setTimeout(() => process.exit(0), 1_000).unref());
