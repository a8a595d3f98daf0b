import { CircuitBreaker, type StateChangeEvent } from '../../src';

/** A promise and the functions that settle it, for calls that settle when a spec says so. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = unknown>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** What a promise rejected with; fails the spec when it fulfils. */
export async function rejectionOf(promise: PromiseLike<unknown>): Promise<unknown> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    return error;
  }
  throw new Error(`expected a rejection, got a fulfilment with ${String(value)}`);
}

/** Lets every pending promise reaction run (microtasks only: no timer, no real time). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

export const ok = (): Promise<string> => Promise.resolve('ok');

export const fail = (): Promise<never> => Promise.reject(new Error('dependency down'));

/** Fails `breaker` `failureThreshold` times in a row, so that a CLOSED circuit OPENs. */
export async function openTheCircuit(breaker: CircuitBreaker<unknown>): Promise<void> {
  for (let i = 0; i < breaker.options.failureThreshold; i++) await rejectionOf(breaker.call(fail));
  if (breaker.state !== 'OPEN') throw new Error(`openTheCircuit: breaker is ${breaker.state}`);
}

/** Every state change `breaker` reports from now on, as `from>to:reason`. */
export function changesOf(breaker: CircuitBreaker<unknown>): string[] {
  const changes: string[] = [];
  breaker.onStateChange(({ from, to, reason }: StateChangeEvent) => changes.push(`${from}>${to}:${reason}`));
  return changes;
}
