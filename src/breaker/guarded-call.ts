import { CircuitBreakerTimeoutException } from '../errors/circuit-breaker-timeout-exception';
import type { ResolvedOptions } from './options';

/** A function a breaker calls, with the caller's `this` and arguments. */
export type AnyFunction = (this: unknown, ...args: any[]) => unknown;

/** What the timeout and fallback path needs of its breaker. */
export interface GuardedCallHost {
  readonly name: string;
  readonly options: ResolvedOptions;
  /** The state period the call was admitted in: an outcome from an earlier one decides nothing. */
  readonly period: number;
  settleFulfilled(period: number): void;
  /** @returns whether the error counted as a failure (`own`: the breaker's own timeout, which always does). */
  settleRejected(period: number, error: unknown, own: boolean): boolean;
  useFallback(error: unknown, thisArg: unknown, args: ArrayLike<unknown>): Promise<unknown>;
  /** Counts a timeout, or an outcome that came after one. */
  countTimeout(): void;
  countLateOutcome(): void;
  notAPromise(result: unknown): TypeError;
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * A call with a `timeout` or `fallbackOnFailure`: it needs a promise of its
 * own, settled by the function's outcome, the timeout, or the fallback.
 * A counted failure may be answered by the fallback; an error `isFailure`
 * did not count is re-raised as it is.
 */
export function callGuarded(host: GuardedCallHost, fn: AnyFunction, thisArg: unknown, args: ArrayLike<unknown>): Promise<unknown> {
  const { timeout, fallbackOnFailure } = host.options;
  const period = host.period;
  let controller: AbortController | undefined;
  let callArgs = args;
  if (timeout !== undefined) {
    controller = new AbortController();
    callArgs = withSignal(args, controller.signal);
  }
  let outcome: Promise<unknown>;
  try {
    const result = fn.apply(thisArg, callArgs as unknown[]);
    if (!isThenable(result)) throw host.notAPromise(result);
    // Adopted, so a thenable whose `then` throws is a rejection here too.
    outcome = Promise.resolve(result);
  } catch (error) {
    outcome = Promise.reject(error);
  }
  const failed = (error: unknown, counted: boolean): Promise<unknown> =>
    counted && fallbackOnFailure ? host.useFallback(error, thisArg, args) : Promise.reject(error);
  if (controller === undefined) {
    return outcome.then(
      (value) => {
        host.settleFulfilled(period);
        return value;
      },
      (error: unknown) => failed(error, host.settleRejected(period, error, false)),
    );
  }
  const signal = controller;
  return new Promise<unknown>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      host.countTimeout();
      const error = new CircuitBreakerTimeoutException(host.name, timeout!);
      signal.abort(error);
      // The breaker's own timeout always counts: an isFailure written for the dependency's errors must not hide a hang.
      failed(error, host.settleRejected(period, error, true)).then(resolve, reject);
    }, timeout);
    // A pending call must never keep the process alive.
    if (typeof timer === 'object' && typeof timer.unref === 'function') timer.unref();
    outcome.then(
      (value) => {
        if (settled) return host.countLateOutcome();
        settled = true;
        clearTimeout(timer);
        host.settleFulfilled(period);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return host.countLateOutcome();
        settled = true;
        clearTimeout(timer);
        failed(error, host.settleRejected(period, error, false)).then(resolve, reject);
      },
    );
  });
}

/** The call's arguments with the signal after them (the function's last parameter, as cockatiel passes its context). */
function withSignal(args: ArrayLike<unknown>, signal: AbortSignal): unknown[] {
  const copy = Array.prototype.slice.call(args) as unknown[];
  copy.push(signal);
  return copy;
}
