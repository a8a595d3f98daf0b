import type { CircuitBreakerOptions } from '../breaker/options';
import { resolveOptions } from '../breaker/options';
import { describe } from '../events/listeners';
import { forEachDecoratedMethod } from './registry';

/**
 * What `setCircuitBreakerDefaults` takes: the options that make sense for
 * every decorated method (not `name` or `fallback`, which are a method's own).
 */
export type CircuitBreakerDefaults = Omit<CircuitBreakerOptions<never>, 'name' | 'fallback' | 'fallbackOnFailure'>;

const OWN_OPTIONS: readonly string[] = ['name', 'fallback', 'fallbackOnFailure'];
let current: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * Sets the options every `@CircuitBreaker(...)` uses where it does not give
 * its own: for methods decorated later, and for every decorated method whose
 * breaker has not been called yet (so an app can set them at start-up, after
 * its classes are defined and before they serve; `CircuitBreakerModule.forRoot`
 * of `circuit-breaker-decorator/nestjs` does). A breaker already called keeps
 * its options. `{}` clears them. Breakers shared with `@CircuitBreaker(breaker)`
 * and plain `new CircuitBreaker()` are not affected; with `scope: 'instance'`,
 * a default `store` is ignored (a fleet shares one circuit per name).
 *
 * @throws TypeError/RangeError naming a bad option, as the decorator would
 * @example setCircuitBreakerDefaults({ failureThreshold: 5, resetTimeout: 30_000, store });
 */
export function setCircuitBreakerDefaults(defaults: CircuitBreakerDefaults = {}): void {
  if (typeof defaults !== 'object' || defaults === null || Array.isArray(defaults)) {
    throw new TypeError(`circuit breaker defaults must be an object, got ${describe(defaults)}`);
  }
  for (const key of OWN_OPTIONS) {
    if (key in defaults) throw new TypeError(`"${key}" is a method's own option and cannot be a default`);
  }
  resolveOptions(defaults); // checks every value now, where the mistake is made
  current = Object.freeze({ ...defaults });
  forEachDecoratedMethod((method) => method.applyDefaults());
}

/** @internal The current defaults. */
export function circuitBreakerDefaults(): Readonly<Record<string, unknown>> {
  return current;
}
