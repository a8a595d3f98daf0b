import { refusalException } from '../errors/circuit-breaker-open-exception';
import { announceRefusal } from './announce';
import type { CircuitBreaker } from './breaker';
import type { AnyFunction } from './guarded-call';
import { arrive, probing } from './rules';

/**
 * A call arriving while the circuit is not CLOSED: the state table decides
 * (rules.ts), and when the probe is due a breaker with a reachable store
 * asks its fleet who probes. Undefined admits the call; else what to return instead.
 */
export function admit(breaker: CircuitBreaker<unknown>, fn: AnyFunction, thisArg: unknown, args: ArrayLike<unknown>): Promise<unknown> | undefined {
  const options = breaker.options;
  const arrival = arrive(breaker.current, breaker.now(), options.halfOpenProbes);
  if (arrival.kind === 'invoke') {
    breaker.current = arrival.next;
    return undefined;
  }
  if (arrival.kind === 'refuse') {
    breaker.current = arrival.next;
    return refuse(breaker, arrival.retryAfter, thisArg, args);
  }
  // The probe is due. With a reachable store, the fleet decides who probes: this call asks (others here wait).
  const fleet = breaker.fleet;
  const current = breaker.current;
  const alone = current.kind === 'OPEN' && current.alone; // tripped below the fleet's quorum
  if (fleet === undefined || !fleet.available || alone) {
    breaker.transition(probing(Infinity, 1, 0, options.halfOpenProbes), 'reset-timeout'); // this call is the first probe
    return undefined;
  }
  if (fleet.asking) return refuse(breaker, 0, thisArg, args);
  return fleet.askToProbe(fn, thisArg, args, options.timeout === undefined ? 0 : options.timeout * 2);
}

/** A refusal: `CircuitBreakerOpenException`, or the fallback's answer to it. */
export function refuse(breaker: CircuitBreaker<unknown>, retryAfter: number, thisArg: unknown, args: ArrayLike<unknown>): Promise<unknown> {
  const extras = breaker.extras();
  extras.refusals++;
  const exception = refusalException(breaker.name, retryAfter);
  announceRefusal(extras.events, breaker, retryAfter);
  if (breaker.options.fallback === undefined) return Promise.reject(exception);
  return useFallback(breaker, exception, thisArg, args);
}

/** The fallback's answer to `error`, with the call's `this` and arguments. */
export function useFallback(breaker: CircuitBreaker<unknown>, error: unknown, thisArg: unknown, args: ArrayLike<unknown>): Promise<unknown> {
  breaker.extras().fallbacks++;
  try {
    return Promise.resolve(breaker.options.fallback!.call(thisArg, error, ...Array.prototype.slice.call(args)));
  } catch (fallbackError) {
    return Promise.reject(fallbackError);
  }
}
