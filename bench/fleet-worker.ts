/**
 * One process of `npm run bench:fleet` (bench/fleet-propagation.ts): a RedisCircuitStore and any number
 * of named breakers on it, made on request, each guarding a dependency that succeeds or fails as asked.
 * Driven over IPC (every request has an `id` and gets one reply with it); every transition is reported
 * unprompted, stamped with process.hrtime (CLOCK_MONOTONIC: one clock for every process of the machine).
 */
import { CircuitBreaker, isCircuitBreakerOpenException, type CircuitBreakerOptions } from '../src';
import { RedisCircuitStore } from '../src/redis';

export type BenchRequest = { readonly id: number } & (
  | { readonly cmd: 'ping' }
  | { readonly cmd: 'init'; readonly url: string; readonly commandTimeout: number }
  /** A new breaker `name` on the store (the trip options, resetTimeout and so on in `options`). */
  | { readonly cmd: 'breaker'; readonly name: string; readonly options: CircuitBreakerOptions }
  /** `n` failing calls, one after the other. */
  | { readonly cmd: 'fail'; readonly name: string; readonly n: number }
  | { readonly cmd: 'reset'; readonly name: string }
  /** `perSecond` calls a second for `ms`, paced on a 1 ms timer; every `failEvery`-th fails (0: none). */
  | { readonly cmd: 'steady'; readonly name: string; readonly perSecond: number; readonly ms: number; readonly failEvery: number }
  | { readonly cmd: 'close' }
);

export type BenchCommand = BenchRequest extends infer R ? (R extends BenchRequest ? Omit<R, 'id'> : never) : never;

export interface BenchEvent {
  readonly event: 'state';
  readonly name: string;
  readonly at: number;
  readonly to: string;
  readonly reason: string;
}

export interface SteadyResult {
  readonly calls: number;
  readonly ok: number;
  readonly failed: number;
  readonly refused: number;
  /** ms the slowest call took. */
  readonly slowest: number;
  readonly state: string;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;
const FAILURE = new Error('dependency down');
const ok = async (): Promise<string> => 'ok';
const fails = async (): Promise<string> => {
  throw FAILURE;
};

let store: RedisCircuitStore | undefined;
const breakers = new Map<string, CircuitBreaker>();

function send(message: unknown): void {
  if (process.connected) process.send!(message);
}

function breaker(name: string): CircuitBreaker {
  const b = breakers.get(name);
  if (b === undefined) throw new Error(`no breaker ${name}`);
  return b;
}

async function steady(b: CircuitBreaker, perSecond: number, ms: number, failEvery: number): Promise<SteadyResult> {
  let calls = 0;
  let okCount = 0;
  let failed = 0;
  let refused = 0;
  let slowest = 0;
  const pending: Promise<void>[] = [];
  const one = (fail: boolean): Promise<void> => {
    const started = now();
    return b.call(fail ? fails : ok).then(
      () => {
        okCount++;
        slowest = Math.max(slowest, now() - started);
      },
      (error: unknown) => {
        if (isCircuitBreakerOpenException(error)) refused++;
        else failed++;
        slowest = Math.max(slowest, now() - started);
      },
    );
  };
  const started = now();
  for (;;) {
    const elapsed = now() - started;
    if (elapsed >= ms) break;
    const due = Math.floor((perSecond * elapsed) / 1000);
    while (calls < due) {
      calls++;
      pending.push(one(failEvery > 0 && calls % failEvery === 0));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  return { calls, ok: okCount, failed, refused, slowest, state: b.state };
}

async function handle(request: BenchRequest): Promise<Record<string, unknown>> {
  switch (request.cmd) {
    case 'ping':
      return { pid: process.pid };
    case 'init': {
      store = new RedisCircuitStore({ url: request.url, commandTimeout: request.commandTimeout, redisOptions: { retryStrategy: () => 50, connectTimeout: 500 } });
      return { ready: await store.ready(5_000) };
    }
    case 'breaker': {
      const b = new CircuitBreaker({ ...request.options, name: request.name, store: store! });
      b.onStateChange((change) => send({ event: 'state', name: request.name, at: now(), to: change.to, reason: change.reason } satisfies BenchEvent));
      breakers.set(request.name, b);
      return { state: b.state };
    }
    case 'fail': {
      const b = breaker(request.name);
      for (let i = 0; i < request.n; i++) await b.call(fails).catch(() => undefined);
      return { state: b.state, window: b.stats().window };
    }
    case 'reset':
      breaker(request.name).reset();
      return { state: breaker(request.name).state };
    case 'steady':
      return { ...(await steady(breaker(request.name), request.perSecond, request.ms, request.failEvery)) };
    case 'close':
      await store?.close();
      setImmediate(() => process.disconnect());
      return { closed: true };
    default:
      throw new Error(`unknown command ${JSON.stringify(request)}`);
  }
}

process.on('message', (request: BenchRequest) => {
  handle(request).then(
    (reply) => send({ id: request.id, ...reply }),
    (error: unknown) => send({ id: request.id, failure: String((error as Error)?.stack ?? error) }),
  );
});
// The bench ended or died: leave no orphan behind.
process.on('disconnect', () => setTimeout(() => process.exit(0), 2_000).unref());
