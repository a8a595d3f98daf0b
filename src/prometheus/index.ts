/**
 * `circuit-breaker-decorator/prometheus`: breakers as Prometheus metrics,
 * through `prom-client` (an optional peer dependency: install it to use this).
 *
 * Metrics are read from `breaker.stats()` when the registry is scraped, so
 * they add nothing to a guarded call.
 *
 * @example
 * import { Registry } from 'prom-client';
 * import { createCircuitBreakerMetrics } from 'circuit-breaker-decorator/prometheus';
 * const registry = new Registry();
 * const metrics = createCircuitBreakerMetrics({ registry });   // every decorated method's breaker
 * metrics.add(paymentsBreaker);                                  // and plain breakers you name
 * @packageDocumentation
 */
import { Counter, Gauge, register as defaultRegistry, type Registry } from 'prom-client';
import type { CircuitBreaker } from '../breaker/breaker';
import { checkKnownOptions } from '../common/known-options';
import type { CircuitBreakerStats } from '../breaker/stats';
import type { CircuitState } from '../events/types';
import { listCircuitBreakers } from '../decorator/registry';
import type { Disposable } from '../events/listeners';

/** Options of `createCircuitBreakerMetrics`. */
export interface CircuitBreakerMetricsOptions {
  /**
   * The registry the metrics are registered in.
   * @default prom-client's global `register`
   */
  readonly registry?: Registry;
  /**
   * Prefix of every metric name.
   * @default 'circuit_breaker_'
   */
  readonly prefix?: string;
  /**
   * Include every breaker made by `@CircuitBreaker` (`listCircuitBreakers()`), as of each scrape.
   * @default true
   */
  readonly decorated?: boolean;
  /** Plain breakers to include from the start; more with `add()`. */
  readonly breakers?: Iterable<CircuitBreaker<unknown>>;
}

/** What `createCircuitBreakerMetrics` returns. */
export interface CircuitBreakerMetrics {
  /** Includes a plain breaker; `dispose()` the handle to drop it. */
  add(breaker: CircuitBreaker<unknown>): Disposable;
  /** Removes the metrics from the registry. */
  unregister(): void;
}

const STATES: readonly CircuitState[] = ['CLOSED', 'OPEN', 'HALF_OPEN'];
type CountedOutcome = 'success' | 'failure' | 'ignored' | 'refused';
const OUTCOMES: readonly (readonly [CountedOutcome, keyof CircuitBreakerStats])[] = [
  ['success', 'successes'],
  ['failure', 'failures'],
  ['ignored', 'ignored'],
  ['refused', 'refusals'],
];

/**
 * Registers, labelled by breaker name (`breaker`):
 * - `circuit_breaker_state{breaker,state}`: gauge, breakers of that name in that state (1 or 0 for one breaker);
 * - `circuit_breaker_calls_total{breaker,outcome}`: counter, outcome `success | failure | ignored | refused`;
 * - `circuit_breaker_timeouts_total`, `circuit_breaker_fallbacks_total`, `circuit_breaker_opened_total`: counters;
 * - `circuit_breaker_consecutive_failures`: gauge.
 *
 * Breakers sharing a name (one per instance with `scope: 'instance'`) are summed.
 *
 * @throws TypeError for a bad option
 */
export function createCircuitBreakerMetrics(options: CircuitBreakerMetricsOptions = {}): CircuitBreakerMetrics {
  checkKnownOptions(options, ['registry', 'prefix', 'decorated', 'breakers'], 'metrics');
  const registry = options.registry ?? defaultRegistry;
  const prefix = options.prefix ?? 'circuit_breaker_';
  if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
    throw new TypeError(`prefix must be a valid Prometheus metric name prefix, got ${JSON.stringify(prefix)}`);
  }
  const decorated = options.decorated ?? true;
  if (typeof decorated !== 'boolean') throw new TypeError('decorated must be a boolean');
  const plain = new Set<CircuitBreaker<unknown>>(options.breakers ?? []);

  /** Read at each collect: a scrape costs a stats() per breaker per metric, a call costs nothing. */
  const statsByName = (): ReadonlyMap<string, CircuitBreakerStats[]> => {
    const all = new Set<CircuitBreaker<unknown>>(plain);
    if (decorated) for (const breaker of listCircuitBreakers()) all.add(breaker);
    const stats = new Map<string, CircuitBreakerStats[]>();
    for (const breaker of all) {
      const s = breaker.stats();
      const list = stats.get(s.name);
      if (list === undefined) stats.set(s.name, [s]);
      else list.push(s);
    }
    return stats;
  };
  const sum = (list: readonly CircuitBreakerStats[], field: keyof CircuitBreakerStats): number =>
    list.reduce((total, s) => total + (s[field] as number), 0);

  const state = new Gauge({
    name: `${prefix}state`,
    help: 'Breakers of this name in this state (1 or 0 for a single breaker).',
    labelNames: ['breaker', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [breaker, list] of statsByName()) {
        for (const s of STATES) this.set({ breaker, state: s }, list.filter((x) => x.state === s).length);
      }
    },
  });
  const calls = new Counter({
    name: `${prefix}calls_total`,
    help: 'Calls through the breaker by outcome: success, failure (counted by isFailure), ignored (not counted), refused.',
    labelNames: ['breaker', 'outcome'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [breaker, list] of statsByName()) {
        for (const [outcome, field] of OUTCOMES) this.inc({ breaker, outcome }, sum(list, field));
      }
    },
  });
  const counter = (suffix: string, help: string, field: keyof CircuitBreakerStats) =>
    new Counter({
      name: `${prefix}${suffix}`,
      help,
      labelNames: ['breaker'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [breaker, list] of statsByName()) this.inc({ breaker }, sum(list, field));
      },
    });
  const timeouts = counter('timeouts_total', 'Calls that outlived the timeout option (also counted as failures).', 'timeouts');
  const fallbacks = counter('fallbacks_total', 'Results supplied by the fallback option.', 'fallbacks');
  const opened = counter('opened_total', 'Times the circuit opened.', 'opened');
  const consecutive = new Gauge({
    name: `${prefix}consecutive_failures`,
    help: 'Failures counted towards the next trip.',
    labelNames: ['breaker'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [breaker, list] of statsByName()) this.set({ breaker }, sum(list, 'consecutiveFailures'));
    },
  });
  const metrics = [state, calls, timeouts, fallbacks, opened, consecutive];

  return {
    add(breaker) {
      plain.add(breaker);
      return { dispose: () => void plain.delete(breaker) };
    },
    unregister() {
      for (const metric of metrics) registry.removeSingleMetric((metric as unknown as { name: string }).name);
    },
  };
}
