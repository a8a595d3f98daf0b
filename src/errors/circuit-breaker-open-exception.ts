import { OPEN_BRAND, hasBrand } from './brand';

/**
 * Thrown (as a rejection) for a call the breaker refused without invoking the
 * guarded function: the circuit is OPEN, or a probe is already in flight
 * (here, or anywhere in the fleet with a `store`).
 *
 * It carries no stack frames: a refusal is the hot path of an outage, and the
 * frames would only show where the caller called.
 *
 * @example
 * try { await cache.get(id) }
 * catch (error) {
 *   if (isCircuitBreakerOpenException(error)) res.setHeader('Retry-After', Math.ceil(error.retryAfter / 1000));
 * }
 */
export class CircuitBreakerOpenException extends Error {
  /** Always `'CircuitBreakerOpenException'` (set on the prototype). */
  declare readonly name: 'CircuitBreakerOpenException';
  /** The brand `isCircuitBreakerOpenException()` checks: a registered symbol, the same in every installed copy. */
  declare readonly [OPEN_BRAND]: true;

  /** The refusing breaker's name (`Class#method` for a decorated method). */
  readonly breaker: string;
  /**
   * Milliseconds until a probe will be let through: 0 while a probe is in
   * flight anywhere in the fleet (its outcome decides soon), `Infinity` while
   * the circuit is isolated by hand.
   */
  readonly retryAfter: number;

  constructor(breaker: string, retryAfter: number, options?: ErrorOptions) {
    // Stack capture costs several times the rest of a refusal, and the frames
    // would only show the caller; `message` is a getter, built only when read.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(undefined, options);
    Error.stackTraceLimit = limit;
    this.breaker = breaker;
    this.retryAfter = retryAfter;
  }

  // A getter, not the property Error makes: refusals stay cheap.
  /** `Circuit breaker "name" is open: call refused, retry after N ms` (or `until released`), built when read. */
  override get message(): string {
    const wait = this.retryAfter === Infinity ? 'until released' : `retry after ${this.retryAfter} ms`;
    return `Circuit breaker "${this.breaker}" is open: call refused, ${wait}`;
  }

  /** The header alone (`Name: message`): a refusal carries no frames. Own `stack` (from `new`) shadows it. */
  override get stack(): string {
    return `${this.name}: ${this.message}`;
  }
}

/**
 * @internal A refusal made without running Error's constructor, which costs
 * more than the rest of a refusal even with no frames to capture. It is an
 * `instanceof Error` and a `CircuitBreakerOpenException` like one made with
 * `new` (same prototype, fields, message and stack header); it is not a
 * "native" error object (`util.types.isNativeError` is false).
 */
export function refusalException(breaker: string, retryAfter: number): CircuitBreakerOpenException {
  const exception = Object.create(CircuitBreakerOpenException.prototype) as { breaker: string; retryAfter: number };
  exception.breaker = breaker;
  exception.retryAfter = retryAfter;
  return exception as CircuitBreakerOpenException;
}

Object.defineProperty(CircuitBreakerOpenException.prototype, 'name', {
  value: 'CircuitBreakerOpenException',
  enumerable: false,
  configurable: true,
  writable: true,
});
Object.defineProperty(CircuitBreakerOpenException.prototype, OPEN_BRAND, { value: true });
// `[object Error]` for checks that read the tag (lodash's isError, error reporters), as a native error has.
Object.defineProperty(CircuitBreakerOpenException.prototype, Symbol.toStringTag, { value: 'Error', configurable: true });

/** True for a `CircuitBreakerOpenException` from any installed copy of the package. */
export function isCircuitBreakerOpenException(value: unknown): value is CircuitBreakerOpenException {
  return hasBrand(value, OPEN_BRAND);
}
