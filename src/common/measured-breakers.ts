import type { CircuitBreaker } from '../breaker/breaker';
import { KeyedCircuitBreaker, keyOf } from '../breaker/keyed-breaker';
import type { CircuitBreakerStats } from '../breaker/stats';
import { listCircuitBreakers, listKeyedCircuitBreakers } from '../decorator/registry';

/**
 * What the metrics integrations (prometheus/, opentelemetry/) read at each
 * collection: the breakers they report, grouped by name and key. A
 * collection costs a stats() per breaker; a guarded call, nothing.
 */

/** A breaker an integration is given to report: a plain one, or a keyed one (each key's breaker is reported). */
export type MeasuredBreaker = CircuitBreaker<unknown> | KeyedCircuitBreaker<unknown>;

/** The breakers reported under one name (and one key, for a key's breaker): summed, as breakers of one name are. */
export interface MeasuredSeries {
  readonly name: string;
  /** A keyed breaker's key; undefined for any other breaker. */
  readonly key: string | undefined;
  readonly stats: CircuitBreakerStats[];
}

/** The series now: the `plain` breakers given (a keyed one's key breakers) and, with `decorated`, every decorated method's. */
export function measuredSeries(plain: Iterable<MeasuredBreaker>, decorated: boolean): Iterable<MeasuredSeries> {
  const all = new Set<CircuitBreaker<unknown>>();
  for (const breaker of plain) {
    if (breaker instanceof KeyedCircuitBreaker) for (const one of breaker.breakers()) all.add(one);
    else all.add(breaker);
  }
  if (decorated) for (const breaker of listCircuitBreakers()) all.add(breaker);
  const byNameAndKey = new Map<string, MeasuredSeries>();
  for (const breaker of all) {
    const stats = breaker.stats();
    const keyed = keyOf(breaker);
    const name = keyed === undefined ? stats.name : keyed.name;
    const key = keyed?.key;
    const id = key === undefined ? name : `${name}\u0000${key}`;
    const found = byNameAndKey.get(id);
    if (found === undefined) byNameAndKey.set(id, { name, key, stats: [stats] });
    else found.stats.push(stats);
  }
  return byNameAndKey.values();
}

/** The keyed breakers reported: the plain ones given and, with `decorated`, every keyed method's. */
export function measuredKeyedBreakers(plain: Iterable<MeasuredBreaker>, decorated: boolean): Set<KeyedCircuitBreaker<unknown>> {
  const keyed = new Set<KeyedCircuitBreaker<unknown>>();
  for (const breaker of plain) if (breaker instanceof KeyedCircuitBreaker) keyed.add(breaker);
  if (decorated) for (const breaker of listKeyedCircuitBreakers()) keyed.add(breaker);
  return keyed;
}
