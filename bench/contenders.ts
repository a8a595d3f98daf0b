/**
 * Builds each library's breaker the same way for every scenario and the heap measurements.
 *
 * The peers are what a user would pick today on the running Node: opossum 10 and cockatiel 4
 * (devDependencies `opossum10` and `cockatiel4`, aliases of `npm:opossum@^10` and `npm:cockatiel@^4`)
 * need Node >= 22; on older releases the newest that run there, opossum 9 and cockatiel 3, and the
 * tables say which (`PEERS`). opossum 10 runs the same code as 9 with newer engines; cockatiel 4 is
 * ESM-only, loaded with `require()` (Node >= 22 loads ES modules that way).
 */
import type OpossumBreaker from 'opossum';
import type * as Cockatiel from 'cockatiel';
import { CircuitBreaker, InMemoryCircuitStore, getCircuitBreaker, isCircuitBreakerOpenException } from '../src';
import type * as Fixture from './fixtures/service';

type FixtureModule = typeof Fixture;
// Transpiled by bench/build.js from the same source, once per decorator mode.
export const legacy: FixtureModule = require('./fixtures/service.legacy');
export const standard: FixtureModule = require('./fixtures/service.standard');

export const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const CURRENT = NODE_MAJOR >= 22;

/** The installed package each peer is loaded from on this Node, and its version. */
export const PEERS = {
  opossum: peer(CURRENT ? 'opossum10' : 'opossum'),
  cockatiel: peer(CURRENT ? 'cockatiel4' : 'cockatiel'),
} as const;

// cockatiel 3's types describe cockatiel 4's API as far as these benchmarks use it.
const OpossumClass: typeof OpossumBreaker = require(PEERS.opossum.module);
const cockatielLib: typeof Cockatiel = require(PEERS.cockatiel.module);
export const { BrokenCircuitError, CircuitState } = cockatielLib;

export { CircuitBreaker, getCircuitBreaker, isCircuitBreakerOpenException };

export const THRESHOLD = 3;
/** The timeout of every contender that has one: opossum's default, and ours and cockatiel's alike. */
export const TIMEOUT = 10_000;

function peer(module: string): { module: string; version: string; major: number; label: string } {
  const { name, version } = require(`${module}/package.json`) as { name: string; version: string };
  const major = Number(version.split('.')[0]);
  return { module, version, major, label: `${name} ${major}` };
}

export function ours(resetTimeout: number): CircuitBreaker {
  return new CircuitBreaker({ failureThreshold: THRESHOLD, resetTimeout });
}

/** Ours with a `timeout` (one timer per breaker serves every pending call, and a signal per call). */
export function oursWithTimeout(resetTimeout: number): CircuitBreaker {
  return new CircuitBreaker({ failureThreshold: THRESHOLD, resetTimeout, timeout: TIMEOUT });
}

/**
 * Ours with a fleet store attached. A CLOSED call never touches the store, so any store shows
 * the same cost; the in-memory one keeps the benchmark free of a Redis server (the store's own
 * propagation delay is `npm run bench:fleet`, against a real redis-server).
 */
export function oursWithStore(resetTimeout: number): CircuitBreaker {
  return new CircuitBreaker({ failureThreshold: THRESHOLD, resetTimeout, name: 'bench-fleet', store: new InMemoryCircuitStore() });
}

// ---- the trip rules (issue 15): each rule beside the consecutive one, and the peers' rate breakers ----

/** The rate threshold of every rate contender: above a one-in-three failure rate, so none ever trips. */
export const RATE_THRESHOLD = 0.5;
/** Outcomes a rate window must hold before it can trip (ours' `minimumCalls`, cockatiel's `minimumNumberOfCalls`). */
export const MINIMUM_CALLS = 20;
export const COUNT_WINDOW = { calls: 100 } as const;
export const TIME_WINDOW = { duration: 10_000, buckets: 10 } as const;
export const SLOW_CALL = { duration: 2_000, threshold: 0.8 } as const;

/** Ours with a count window: the last 100 counted outcomes. */
export function oursCountWindow(resetTimeout: number): CircuitBreaker {
  return new CircuitBreaker({ failureRate: { threshold: RATE_THRESHOLD, minimumCalls: MINIMUM_CALLS, window: COUNT_WINDOW }, resetTimeout });
}

/** Ours with a time window: the outcomes of the last 10 s in 10 buckets (one clock read per outcome). */
export function oursTimeWindow(resetTimeout: number, clock?: () => number, minimumCalls = MINIMUM_CALLS): CircuitBreaker {
  return new CircuitBreaker({ failureRate: { threshold: RATE_THRESHOLD, minimumCalls, window: TIME_WINDOW }, resetTimeout, ...(clock === undefined ? {} : { clock }) });
}

/** Ours with a time window and slow calls (the clock read when a call starts too). */
export function oursSlowCalls(resetTimeout: number): CircuitBreaker {
  return new CircuitBreaker({ failureRate: { threshold: RATE_THRESHOLD, minimumCalls: MINIMUM_CALLS, window: TIME_WINDOW }, slowCall: SLOW_CALL, resetTimeout });
}

/** cockatiel's CountBreaker: a failure rate over the last `size` calls (cockatiel >= 3.1). */
export function cockatielCount(resetTimeout: number): Cockatiel.CircuitBreakerPolicy {
  const breaker = new cockatielLib.CountBreaker({ threshold: RATE_THRESHOLD, size: COUNT_WINDOW.calls, minimumNumberOfCalls: MINIMUM_CALLS });
  return cockatielLib.circuitBreaker(cockatielLib.handleAll, { halfOpenAfter: resetTimeout, breaker });
}

/** cockatiel's SamplingBreaker: a failure rate over the last `duration` ms (its default minimumRps). */
export function cockatielSampling(resetTimeout: number): Cockatiel.CircuitBreakerPolicy {
  const breaker = new cockatielLib.SamplingBreaker({ threshold: RATE_THRESHOLD, duration: TIME_WINDOW.duration });
  return cockatielLib.circuitBreaker(cockatielLib.handleAll, { halfOpenAfter: resetTimeout, breaker });
}

export type Opossum<A extends unknown[], R> = OpossumBreaker<A, R>;

/** opossum with its defaults: a 10 s timeout (a timer per call), 50% error rate over a 10 s rolling window. */
export function opossum<A extends unknown[], R>(fn: (...args: A) => Promise<R>, options: OpossumBreaker.Options = {}): OpossumBreaker<A, R> {
  return new OpossumClass(fn, options);
}

/** cockatiel's breaker policy with a consecutive-failure breaker, the closest to this package's rule. */
export function cockatiel(resetTimeout: number): Cockatiel.CircuitBreakerPolicy {
  return cockatielLib.circuitBreaker(cockatielLib.handleAll, { halfOpenAfter: resetTimeout, breaker: new cockatielLib.ConsecutiveBreaker(THRESHOLD) });
}

/**
 * cockatiel's breaker around its timeout policy, the composition that counts a timeout as a failure
 * as ours does: `wrap(breaker, timeout(TIMEOUT, Aggressive))`. Aggressive: the call rejects at the
 * deadline whether or not the function heeds its signal, as ours does. A timer and an AbortController per call.
 */
export function cockatielWithTimeout(resetTimeout: number) {
  return cockatielLib.wrap(cockatiel(resetTimeout), cockatielLib.timeout(TIMEOUT, cockatielLib.TimeoutStrategy.Aggressive));
}

/** Versions of the compared packages, read from their installed package.json. */
export function versions(): Record<string, string> {
  const out: Record<string, string> = { opossum: PEERS.opossum.version, cockatiel: PEERS.cockatiel.version };
  for (const name of ['mitata', 'typescript']) {
    out[name] = (require(`${name}/package.json`) as { version: string }).version;
  }
  out['circuit-breaker-decorator'] = (require('../../../package.json') as { version: string }).version;
  return out;
}
