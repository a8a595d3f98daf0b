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
import type { KeyedCircuitBreaker } from '../breaker/keyed-breaker';
import { checkKnownOptions } from '../common/known-options';
import { measuredKeyedBreakers, measuredSeries, type MeasuredBreaker, type MeasuredSeries } from '../common/measured-breakers';
import type { CircuitBreakerStats } from '../breaker/stats';
import type { CircuitState } from '../events/types';
import type { Disposable } from '../events/listeners';

/** A breaker the metrics include: a breaker, or a keyed breaker (each of its keys' breakers). */

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
  /** Plain breakers (and keyed breakers, `new CircuitBreaker({ key: true })`) to include from the start; more with `add()`. */
  readonly breakers?: Iterable<CircuitBreaker<unknown> | KeyedCircuitBreaker<unknown>>;
}

/** What `createCircuitBreakerMetrics` returns. */
export interface CircuitBreakerMetrics {
  /** Includes a plain breaker, or a keyed one (each of its keys); `dispose()` the handle to drop it. */
  add(breaker: CircuitBreaker<unknown> | KeyedCircuitBreaker<unknown>): Disposable;
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
 * Registers, labelled by breaker name (`breaker`) and, for a key's breaker of a keyed one, its key (`key`):
 * - `circuit_breaker_state{breaker,key,state}`: gauge, breakers of that name in that state (1 or 0 for one breaker);
 * - `circuit_breaker_calls_total{breaker,key,outcome}`: counter, outcome `success | failure | ignored | refused`;
 * - `circuit_breaker_timeouts_total`, `circuit_breaker_fallbacks_total`, `circuit_breaker_opened_total`: counters;
 * - `circuit_breaker_consecutive_failures`: gauge;
 * - `circuit_breaker_keys{breaker}`: gauge, a keyed breaker's keys kept now (at most its `maxKeys`);
 * - `circuit_breaker_keys_evicted_total{breaker}`: counter, keys it dropped to stay within `maxKeys`.
 *
 * A key's breaker (`Class#method[key]`) is labelled `breaker="Class#method", key="key"`; other breakers
 * have no `key` label. A keyed breaker's series are bounded by its `maxKeys`: a dropped key's series go
 * at the next scrape. Breakers sharing a name (one per instance with `scope: 'instance'`) are summed.
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
  const plain = new Set<MeasuredBreaker>(options.breakers ?? []);

  const keyedBreakers = () => measuredKeyedBreakers(plain, decorated);
  const series = () => measuredSeries(plain, decorated);
  /** The labels of a series, with `more`; no `key` label for a breaker that is not a key's. */
  const labels = <L extends Record<string, string>>(of: MeasuredSeries, more: L): L & { breaker: string; key?: string } =>
    of.key === undefined ? { breaker: of.name, ...more } : { breaker: of.name, key: of.key, ...more };
  const sum = (list: readonly CircuitBreakerStats[], field: keyof CircuitBreakerStats): number =>
    list.reduce((total, s) => total + (s[field] as number), 0);

  const state = new Gauge({
    name: `${prefix}state`,
    help: 'Breakers of this name (and key) in this state (1 or 0 for a single breaker).',
    labelNames: ['breaker', 'key', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const of of series()) {
        for (const s of STATES) this.set(labels(of, { state: s }), of.stats.filter((x) => x.state === s).length);
      }
    },
  });
  const calls = new Counter({
    name: `${prefix}calls_total`,
    help: 'Calls through the breaker by outcome: success, failure (counted by isFailure), ignored (not counted), refused.',
    labelNames: ['breaker', 'key', 'outcome'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const of of series()) {
        for (const [outcome, field] of OUTCOMES) this.inc(labels(of, { outcome }), sum(of.stats, field));
      }
    },
  });
  const counter = (suffix: string, help: string, field: keyof CircuitBreakerStats) =>
    new Counter({
      name: `${prefix}${suffix}`,
      help,
      labelNames: ['breaker', 'key'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const of of series()) this.inc(labels(of, {}), sum(of.stats, field));
      },
    });
  const timeouts = counter('timeouts_total', 'Calls that outlived the timeout option (also counted as failures).', 'timeouts');
  const fallbacks = counter('fallbacks_total', 'Results supplied by the fallback option.', 'fallbacks');
  const opened = counter('opened_total', 'Times the circuit opened.', 'opened');
  const consecutive = new Gauge({
    name: `${prefix}consecutive_failures`,
    help: 'Failures counted towards the next trip.',
    labelNames: ['breaker', 'key'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const of of series()) this.set(labels(of, {}), sum(of.stats, 'consecutiveFailures'));
    },
  });
  const keys = new Gauge({
    name: `${prefix}keys`,
    help: "A keyed breaker's keys kept now (at most its maxKeys).",
    labelNames: ['breaker'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const keyed of keyedBreakers()) this.inc({ breaker: keyed.name }, keyed.size);
    },
  });
  const evicted = new Counter({
    name: `${prefix}keys_evicted_total`,
    help: 'Keys a keyed breaker dropped to stay within maxKeys.',
    labelNames: ['breaker'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const keyed of keyedBreakers()) this.inc({ breaker: keyed.name }, keyed.stats().evicted);
    },
  });
  const metrics = [state, calls, timeouts, fallbacks, opened, consecutive, keys, evicted];

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
