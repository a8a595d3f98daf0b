/**
 * One process of a fleet under test: a breaker named `name` sharing its
 * circuit through a RedisCircuitStore, guarding a dependency that counts its
 * invocations. Driven by its parent over the IPC channel (see `fleet.ts`):
 * every request carries an `id` and gets one reply with the same `id`;
 * transitions and invocations are also reported unprompted, with
 * `process.hrtime` times (CLOCK_MONOTONIC: comparable across the processes of one machine).
 */
import { CircuitBreaker, isCircuitBreakerOpenException } from '../../../src';
import { RedisCircuitStore } from '../../../src/redis';
import { makeClient, makeClusterClient, type MadeClient } from '../../support/redis-clients';
import type { Outcome, WorkerConfig, WorkerEvent, WorkerReply, WorkerRequest } from './protocol';

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

let store: RedisCircuitStore | undefined;
/** The client passed to the store, when the config names a library: the store does not end it, we do. */
let client: MadeClient | undefined;
let breaker: CircuitBreaker | undefined;
let invocations = 0;
/** What the dependency does when invoked. */
let outcome: Outcome = 'ok';
let delay = 0;
/** `close` was asked for: the process must exit by itself, without the fallback below. */
let closing = false;

function send(message: WorkerReply | WorkerEvent): void {
  if (process.connected) process.send!(message);
}

function dependency(): Promise<string> {
  invocations++;
  send({ event: 'invoked', at: now(), invocations });
  const mode = outcome;
  if (mode === 'hang') return new Promise<string>(() => undefined);
  const settle = (resolve: (value: string) => void, reject: (error: Error) => void) =>
    mode === 'ok' ? resolve('ok') : reject(new Error('dependency down'));
  if (delay === 0) return new Promise<string>(settle);
  return new Promise<string>((resolve, reject) => setTimeout(() => settle(resolve, reject), delay));
}

interface CallResult {
  readonly result?: string;
  readonly error?: string;
  readonly retryAfter?: number;
  /** ms from the call to its outcome, in this process. */
  readonly took: number;
}

async function call(): Promise<CallResult> {
  const started = now();
  try {
    const result = await breaker!.call(dependency);
    return { result, took: now() - started };
  } catch (error) {
    const took = now() - started;
    if (isCircuitBreakerOpenException(error)) return { error: 'CircuitBreakerOpenException', retryAfter: error.retryAfter, took };
    return { error: (error as Error).message, took };
  }
}

async function settledSoon(calls: readonly Promise<CallResult>[]): Promise<CallResult[]> {
  const settled: CallResult[] = [];
  for (const c of calls) void c.then((r) => settled.push(r));
  await sleep(5);
  return settled;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function view() {
  const stats = breaker!.stats();
  return {
    state: stats.state,
    invocations,
    nextProbeIn: stats.nextProbeAt === null ? null : stats.nextProbeAt - Date.now(),
    available: store!.available,
  };
}

async function handle(request: WorkerRequest): Promise<Record<string, unknown>> {
  switch (request.cmd) {
    case 'ping':
      return { pid: process.pid };
    case 'init': {
      // A fresh circuit for each spec, in the same process: the previous store and breaker are dropped.
      await store?.close();
      await client?.close();
      client = undefined;
      invocations = 0;
      outcome = 'ok';
      delay = 0;
      const config: WorkerConfig = request.config;
      // Reconnect promptly after a restart (the default backs off up to 2 s).
      const settings = { reconnectEvery: config.reconnectEvery, connectTimeout: 500, commandTimeout: config.commandTimeout };
      if (config.cluster === true) {
        const nodes = config.url.split(',').map((address) => new URL(address)).map((url) => ({ host: url.hostname, port: Number(url.port) }));
        client = makeClusterClient(config.library ?? 'ioredis', nodes, settings);
      } else if (config.library !== undefined) client = makeClient(config.library, config.url, settings);
      store =
        client === undefined
          ? new RedisCircuitStore({
              url: config.url,
              commandTimeout: config.commandTimeout,
              probeLease: config.probeLease,
              redisOptions: { retryStrategy: () => config.reconnectEvery, connectTimeout: 500 },
            })
          : new RedisCircuitStore({ client: client.client, commandTimeout: config.commandTimeout, probeLease: config.probeLease });
      breaker = new CircuitBreaker({
        name: config.name,
        store,
        ...(config.failureRate === undefined ? { failureThreshold: config.failureThreshold } : { failureRate: config.failureRate }),
        ...(config.quorum === undefined ? {} : { quorum: config.quorum }),
        resetTimeout: config.resetTimeout,
      });
      breaker.onStateChange((change) => send({ event: 'state', at: now(), from: change.from, to: change.to, reason: change.reason }));
      const ok = await store.ready(config.readyTimeout);
      return { ready: ok, pid: process.pid, ...view() };
    }
    case 'dependency':
      outcome = request.outcome;
      delay = request.delay ?? 0;
      return view();
    case 'call': {
      if (request.outcome !== undefined) outcome = request.outcome;
      const result = await call();
      return { ...result, ...view() };
    }
    case 'burst': {
      // `n` calls spread over about `spreadMs`: a few calls, then a 1 ms timer, and so on.
      if (request.outcome !== undefined) outcome = request.outcome;
      const before = invocations;
      const perTick = Math.max(1, Math.ceil(request.n / Math.max(1, request.spreadMs)));
      const calls: Promise<CallResult>[] = [];
      for (let i = 0; i < request.n; i++) {
        calls.push(call());
        if (i % perTick === perTick - 1) await sleep(1);
      }
      // Detached: reply once the calls are issued (a probe that hangs never settles).
      const results = request.detach === true ? await settledSoon(calls) : await Promise.all(calls);
      const count = (test: (r: CallResult) => boolean) => results.filter(test).length;
      return {
        invoked: invocations - before,
        ok: count((r) => r.result === 'ok'),
        refused: count((r) => r.error === 'CircuitBreakerOpenException'),
        failed: count((r) => r.error !== undefined && r.error !== 'CircuitBreakerOpenException'),
        slowest: Math.max(0, ...results.map((r) => r.took)),
        ...view(),
      };
    }
    case 'view':
      return view();
    case 'reset':
      breaker!.reset();
      return view();
    case 'close': {
      // Ends every connection the store made; with the IPC channel closed too, nothing keeps the process alive.
      closing = true;
      await store!.close();
      await client?.close();
      setImmediate(() => process.disconnect());
      return { closed: true };
    }
    default:
      throw new Error(`unknown command ${JSON.stringify(request)}`);
  }
}

process.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (reply) => send({ id: request.id, ...reply } as WorkerReply),
    (error: unknown) => send({ id: request.id, failure: String((error as Error)?.stack ?? error) } as WorkerReply),
  );
});
// The parent went away (or the spec is over): leave no orphan behind.
process.on('disconnect', () => {
  if (closing) {
    if (process.env.FLEET_DEBUG) setTimeout(() => console.log(process.pid, 'still alive', process.getActiveResourcesInfo()), 800).unref();
    return;
  }
  setTimeout(() => process.exit(0), 2_000).unref();
});
