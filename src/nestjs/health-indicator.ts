import { Injectable } from '@nestjs/common';
import type { CircuitBreaker } from '../breaker/breaker';
import { KeyedCircuitBreaker, keyOf } from '../breaker/keyed-breaker';
import type { CircuitState } from '../events/types';
import { listCircuitBreakers } from '../decorator/registry';

/** A breaker as the health indicator reports it. */
export interface CircuitBreakerHealth {
  /** The breaker's name: `Class#method`, or for one key's breaker of a keyed method `Class#method[key]`. */
  readonly name: string;
  /** For one key's breaker: its key (the entry has no `key` otherwise). */
  readonly key?: string;
  readonly state: CircuitState;
}

/** Options of {@link CircuitBreakerHealthIndicator.isHealthy}. */
export interface CircuitBreakerHealthOptions {
  /**
   * Names of breakers whose OPEN circuit makes the indicator `down` (the
   * service cannot serve without that dependency). Any other breaker that is
   * not CLOSED makes it `degraded`: the breaker is doing its job, and a
   * readiness or liveness probe that failed on it would take the service
   * down with its dependency. A key's breaker is named with its key
   * (`UpstreamClient#get[payments.internal]`): a keyed method's own name
   * makes none of its keys critical, so one dead host of many degrades.
   * @default [] (never down)
   */
  readonly critical?: readonly string[];
  /**
   * The breakers to report (a keyed breaker, `new CircuitBreaker({ key: true })`, reports each key's).
   * @default listCircuitBreakers() (every breaker made by `@CircuitBreaker`, each key's for a keyed method)
   */
  readonly breakers?: Iterable<CircuitBreaker<unknown> | KeyedCircuitBreaker<unknown>>;
  /**
   * The status for a breaker that is not CLOSED and not critical. `'up'` for
   * `@nestjs/terminus` before 12, which has no `degraded`.
   * @default 'degraded'
   */
  readonly notClosed?: 'degraded' | 'up';
}

/** A `@nestjs/terminus` health indicator result (the same shape, without importing terminus). */
export type CircuitBreakerHealthResult<Key extends string = string> = Record<
  Key,
  { status: 'up' | 'degraded' | 'down'; breakers: CircuitBreakerHealth[]; open?: string[] }
>;

/**
 * A health indicator for `@nestjs/terminus`: every breaker with its state,
 * `up` while all are CLOSED, `degraded` while one is OPEN or probing, `down`
 * only while a breaker named in `critical` is OPEN.
 *
 * @example
 * @Get('health') @HealthCheck()
 * check() {
 *   return this.health.check([() => this.breakers.isHealthy('circuitBreakers', { critical: ['PaymentsClient#charge'] })]);
 * }
 */
export class CircuitBreakerHealthIndicator {
  isHealthy<const Key extends string = 'circuitBreakers'>(
    key: Key = 'circuitBreakers' as Key,
    options: CircuitBreakerHealthOptions = {},
  ): CircuitBreakerHealthResult<Key> {
    const critical = options.critical ?? [];
    const breakers: CircuitBreakerHealth[] = [];
    const open: string[] = [];
    let down = false;
    for (const breaker of eachBreaker(options.breakers ?? listCircuitBreakers())) {
      const state = breaker.state;
      const keyed = keyOf(breaker);
      breakers.push(keyed === undefined ? { name: breaker.name, state } : { name: breaker.name, key: keyed.key, state });
      if (state === 'CLOSED') continue;
      open.push(breaker.name);
      if (state === 'OPEN' && critical.includes(breaker.name)) down = true;
    }
    const status = down ? 'down' : open.length > 0 ? (options.notClosed ?? 'degraded') : 'up';
    const result = open.length > 0 ? { status, breakers, open } : { status, breakers };
    return { [key]: result } as CircuitBreakerHealthResult<Key>;
  }
}

Injectable()(CircuitBreakerHealthIndicator);

/** Each breaker, a keyed breaker's keys in its place. */
function* eachBreaker(breakers: Iterable<CircuitBreaker<unknown> | KeyedCircuitBreaker<unknown>>): Iterable<CircuitBreaker<unknown>> {
  for (const breaker of breakers) {
    if (breaker instanceof KeyedCircuitBreaker) yield* breaker.breakers();
    else yield breaker;
  }
}
