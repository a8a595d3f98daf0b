import { describeValue } from '../common/describe-value';

/** Breakers whose clock broke after creation, warned about once. */
const warned = new WeakSet<object>();

/**
 * Reads a breaker's clock (`Date.now()` without a `clock` option). The clock
 * passed the check when the breaker was made, but it is read in promise
 * reactions too, where a throw would be an unhandled rejection: a reading
 * that later is not a finite number, or a throw, makes the breaker warn once
 * (code `CIRCUIT_BREAKER_CLOCK`) and read `Date.now()` instead.
 */
export function readClock(clock: (() => number) | undefined, breaker: { readonly name: string }): number {
  if (clock === undefined) return Date.now();
  let time: unknown;
  try {
    time = clock();
  } catch (error) {
    return brokenClock(breaker, `threw ${error instanceof Error ? error.message : describeValue(error)}`);
  }
  return typeof time === 'number' && Number.isFinite(time) ? time : brokenClock(breaker, `returned ${describeValue(time)}`);
}

function brokenClock(breaker: { readonly name: string }, what: string): number {
  if (!warned.has(breaker)) {
    warned.add(breaker);
    process.emitWarning(`circuit breaker "${breaker.name}": clock ${what}; using Date.now() instead`, { code: 'CIRCUIT_BREAKER_CLOCK' });
  }
  return Date.now();
}
