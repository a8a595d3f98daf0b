/**
 * Brands are registered symbols (`Symbol.for`), so a guard recognises an
 * error thrown by another installed copy of the package, where `instanceof`
 * would not.
 */
export const OPEN_BRAND: unique symbol = Symbol.for('circuit-breaker-decorator.CircuitBreakerOpenException') as never;
export const TIMEOUT_BRAND: unique symbol = Symbol.for('circuit-breaker-decorator.CircuitBreakerTimeoutException') as never;

export function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

