import { TIMEOUT_BRAND, hasBrand } from './brand';

/**
 * The rejection of a call that outlived the breaker's `timeout` option. It
 * counts as a failure; the guarded function's `AbortSignal` is aborted with it.
 */
export class CircuitBreakerTimeoutException extends Error {
  /** Always `'CircuitBreakerTimeoutException'` (set on the prototype). */
  declare readonly name: 'CircuitBreakerTimeoutException';
  /** The brand `isCircuitBreakerTimeoutException()` checks: a registered symbol, the same in every installed copy. */
  declare readonly [TIMEOUT_BRAND]: true;

  /** The breaker's name (`Class#method` for a decorated method). */
  readonly breaker: string;
  /** The `timeout` option the call outlived, in milliseconds. */
  readonly timeout: number;

  constructor(breaker: string, timeout: number, options?: ErrorOptions) {
    super(`Circuit breaker "${breaker}": call timed out after ${timeout} ms`, options);
    this.breaker = breaker;
    this.timeout = timeout;
  }
}

Object.defineProperty(CircuitBreakerTimeoutException.prototype, 'name', {
  value: 'CircuitBreakerTimeoutException',
  enumerable: false,
  configurable: true,
  writable: true,
});
Object.defineProperty(CircuitBreakerTimeoutException.prototype, TIMEOUT_BRAND, { value: true });

/** True for a `CircuitBreakerTimeoutException` from any installed copy of the package. */
export function isCircuitBreakerTimeoutException(value: unknown): value is CircuitBreakerTimeoutException {
  return hasBrand(value, TIMEOUT_BRAND);
}
