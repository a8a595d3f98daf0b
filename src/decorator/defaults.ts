import type { CircuitBreakerOptions } from '../breaker/options';
import { checkOptionsObject, resolveOptions } from '../breaker/options';
import { forEachDecoratedMethod, keyName, type GuardedMethod } from './registry';

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
 * Defaults that do not fit a decorated method whose breaker they would change
 * (a default `maxResetTimeout` below its own `resetTimeout`) are refused as a
 * whole, naming the method: nothing is changed.
 *
 * @throws TypeError/RangeError naming a bad option, as the decorator would
 * @example setCircuitBreakerDefaults({ failureThreshold: 5, resetTimeout: 30_000, store });
 */
export function setCircuitBreakerDefaults(defaults: CircuitBreakerDefaults = {}): void {
  checkOptionsObject('circuit breaker defaults', defaults);
  for (const key of OWN_OPTIONS) {
    if (key in defaults) throw new TypeError(`"${key}" is a method's own option and cannot be a default`);
  }
  resolveOptions(defaults); // checks every value now, where the mistake is made
  const previous = current;
  current = Object.freeze({ ...defaults });
  let failed: GuardedMethod | undefined;
  try {
    forEachDecoratedMethod((method) => {
      failed = method;
      method.applyDefaults();
    });
  } catch (error) {
    // Defaults that do not fit one method (its resetTimeout above a default maxResetTimeout, say) are refused
    // as a whole: the methods already given them get the previous ones back, which fitted every method.
    current = previous;
    forEachDecoratedMethod((method) => method.applyDefaults());
    throw refusal(error, failed!);
  }
}

function refusal(error: unknown, method: GuardedMethod): unknown {
  if (!(error instanceof Error)) return error;
  // A breaker knows its `Class#method` name once its class is known; before that, the key is all there is.
  const [breaker] = method.breakers();
  const name = breaker === undefined ? `${method.isStatic ? '.' : '#'}${keyName(method.key)}` : breaker.name;
  const message = `setCircuitBreakerDefaults: these defaults do not fit @CircuitBreaker on ${name}, so none were set: ${error.message}`;
  return error instanceof RangeError ? new RangeError(message, { cause: error }) : new TypeError(message, { cause: error });
}

/** @internal The current defaults. */
export function circuitBreakerDefaults(): Readonly<Record<string, unknown>> {
  return current;
}
