/** Builds each library's breaker the same way for every scenario and the heap measurements. */
import OpossumBreaker from 'opossum';
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleAll, type CircuitBreakerPolicy } from 'cockatiel';
import { CircuitBreaker, InMemoryCircuitStore, getCircuitBreaker, isCircuitBreakerOpenException } from '../src';
import type * as Fixture from './fixtures/service';

type FixtureModule = typeof Fixture;
// Transpiled by bench/build.js from the same source, once per decorator mode.
export const legacy: FixtureModule = require('./fixtures/service.legacy');
export const standard: FixtureModule = require('./fixtures/service.standard');

export { CircuitBreaker, getCircuitBreaker, isCircuitBreakerOpenException, OpossumBreaker, BrokenCircuitError, CircuitState };

export const THRESHOLD = 3;

export function ours(resetTimeout: number): CircuitBreaker {
  return new CircuitBreaker({ failureThreshold: THRESHOLD, resetTimeout });
}

/**
 * Ours with a fleet store attached. A CLOSED call never touches the store, so any store shows
 * the same cost; the in-memory one keeps the benchmark free of a Redis server (the store's own
 * propagation delay is `npm run bench:fleet`, against a real redis-server).
 */
export function oursWithStore(resetTimeout: number): CircuitBreaker {
  return new CircuitBreaker({ failureThreshold: THRESHOLD, resetTimeout, name: 'bench-fleet', store: new InMemoryCircuitStore() });
}

/** opossum with its defaults: a 10 s timeout (a timer per call), 50% error rate over a 10 s rolling window. */
export function opossum<A extends unknown[], R>(fn: (...args: A) => Promise<R>, options: OpossumBreaker.Options = {}): OpossumBreaker<A, R> {
  return new OpossumBreaker(fn, options);
}

/** cockatiel's breaker policy with a consecutive-failure breaker, the closest to this package's rule. */
export function cockatiel(resetTimeout: number): CircuitBreakerPolicy {
  return circuitBreaker(handleAll, { halfOpenAfter: resetTimeout, breaker: new ConsecutiveBreaker(THRESHOLD) });
}

/** Versions of the compared packages, read from their installed package.json. */
export function versions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['opossum', 'cockatiel', 'mitata', 'typescript']) {
    out[name] = (require(`${name}/package.json`) as { version: string }).version;
  }
  out['circuit-breaker-decorator'] = (require('../../../package.json') as { version: string }).version;
  return out;
}
