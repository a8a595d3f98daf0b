import { CircuitBreakerTimeoutException } from '../errors/circuit-breaker-timeout-exception';
import { useFallback } from './admission';
import type { CircuitBreaker } from './breaker';
import { slowCallOf } from './options';
import { settleFulfilled, settleRejected } from './outcomes';

/** A function a breaker calls, with the caller's `this` and arguments. */
export type AnyFunction = (this: unknown, ...args: any[]) => unknown;

/** The breaker of a call on this path. */
type GuardedCallHost = CircuitBreaker<unknown>;

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * A call with a `timeout` or `fallbackOnFailure`: it needs a promise of its
 * own, settled by the function's outcome, the timeout, or the fallback. A
 * counted failure may be answered by the fallback; an error `isFailure` did
 * not count is re-raised as it is.
 */
export function callGuarded(host: GuardedCallHost, fn: AnyFunction, thisArg: unknown, args: ArrayLike<unknown>): Promise<unknown> {
  const timeout = host.options.timeout;
  const call = new GuardedCall(host, thisArg, args);
  let callArgs = args;
  if (timeout !== undefined) callArgs = withSignal(args, host.deadlines().add(call));
  let outcome: Promise<unknown>;
  try {
    const result = fn.apply(thisArg, callArgs as unknown[]);
    if (!isThenable(result)) throw host.notAPromise(result);
    // Adopted, so a thenable whose `then` throws is a rejection here too.
    outcome = Promise.resolve(result);
  } catch (error) {
    outcome = Promise.reject(error);
  }
  const promise = new Promise<unknown>(capture);
  call.resolve = captured.resolve;
  call.reject = captured.reject;
  outcome.then(call.fulfilled, call.rejected);
  return promise;
}

/** The resolving functions of the promise being made: one executor for every call, not a closure each. */
const captured: { resolve: (value: unknown) => void; reject: (error: unknown) => void } = { resolve: () => undefined, reject: () => undefined };
function capture(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  captured.resolve = resolve;
  captured.reject = reject;
}

/** One call on this path: settled once, by its outcome or its deadline, whichever comes first. */
export class GuardedCall {
  readonly period: number;
  /** With `slowCall`, when it started (else NaN). */
  private readonly startedAt: number;
  settled = false;
  /** Set by Deadlines.add: the whole millisecond (performance.now) it times out at, and its signal's controller. */
  deadline = 0;
  controller: AbortController | undefined;
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;

  constructor(
    private readonly host: GuardedCallHost,
    private readonly thisArg: unknown,
    private readonly args: ArrayLike<unknown>,
  ) {
    this.period = host.period;
    this.startedAt = slowCallOf(host.options) === undefined ? NaN : host.now();
  }

  readonly fulfilled = (value: unknown): void => {
    if (this.settle()) {
      settleFulfilled(this.host, this.period, this.startedAt);
      this.resolve(value);
    }
  };

  readonly rejected = (error: unknown): void => {
    if (this.settle()) this.failed(error, settleRejected(this.host, this.period, error, false, this.startedAt));
  };

  timedOut(): void {
    this.settled = true;
    const host = this.host;
    host.deadlines().settled();
    host.extras().timeouts++;
    const error = new CircuitBreakerTimeoutException(host.name, host.options.timeout!);
    if (!this.controller!.signal.aborted) this.controller!.abort(error);
    // The breaker's own timeout always counts: an isFailure written for the dependency's errors must not hide a hang.
    this.failed(error, settleRejected(host, this.period, error, true, this.startedAt));
  }

  /** False when the deadline came first: the outcome is late. */
  private settle(): boolean {
    if (this.settled) {
      this.host.extras().lateOutcomes++;
      return false;
    }
    this.settled = true;
    if (this.controller !== undefined) this.host.deadlines().settled();
    return true;
  }

  private failed(error: unknown, counted: boolean): void {
    if (counted && this.host.options.fallbackOnFailure) this.resolve(useFallback(this.host, error, this.thisArg, this.args));
    else this.reject(error);
  }
}

/**
 * The pending calls of one breaker with a `timeout`, in the order they
 * started. All share the breaker's timeout, so their deadlines come in that
 * order too: one timer, armed for the earliest pending deadline, serves them
 * all (a timer per call costs microseconds). While a call is pending the
 * timer keeps the process alive, as any timer a caller awaits; once none is,
 * it is unref'd and, when it fires, not armed again.
 *
 * Calls whose deadline falls in the same millisecond share one AbortSignal:
 * they time out together, so it is aborted for all of them at once, and one
 * AbortController serves a burst instead of one a call.
 */
export class Deadlines {
  private queue: GuardedCall[] = [];
  private head = 0;
  private pending = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private controller: AbortController | undefined;
  private controllerDeadline = -1;

  constructor(private readonly timeout: number) {}

  /** A call starts: its deadline is set, and the signal it gets is returned. */
  add(call: GuardedCall): AbortSignal {
    const now = performance.now();
    const deadline = Math.ceil(now) + this.timeout;
    call.deadline = deadline;
    this.queue.push(call);
    if (++this.pending === 1) {
      if (this.timer === undefined) this.timer = setTimeout(this.expire, deadline - now);
      else this.timer.ref(); // armed for an earlier deadline, which comes first
    }
    if (this.controllerDeadline !== deadline) {
      this.controller = new AbortController();
      this.controllerDeadline = deadline;
    }
    call.controller = this.controller;
    return this.controller!.signal;
  }

  /** A pending call settled. */
  settled(): void {
    if (--this.pending !== 0) return;
    // None pending: nothing to keep the process alive for, and nothing in the queue to time out.
    this.queue = [];
    this.head = 0;
    this.timer?.unref();
  }

  private readonly expire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    while (this.head < this.queue.length) {
      const call = this.queue[this.head]!;
      if (!call.settled && call.deadline > now) break;
      this.head++;
      if (!call.settled) call.timedOut(); // may empty the queue (none pending): the loop ends
    }
    if (this.pending === 0) return;
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.timer = setTimeout(this.expire, this.queue[this.head]!.deadline - now);
  };
}

/**
 * The call's arguments with the signal after them (the function's last
 * parameter, as cockatiel passes its context), in an array made at its size:
 * slice() then push() made two, and cost a call ~17 ns more.
 */
function withSignal(args: ArrayLike<unknown>, signal: AbortSignal): unknown[] {
  const n = args.length;
  const copy = new Array<unknown>(n + 1);
  for (let i = 0; i < n; i++) copy[i] = args[i];
  copy[n] = signal;
  return copy;
}
