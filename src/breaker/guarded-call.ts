import { CircuitBreakerTimeoutException } from '../errors/circuit-breaker-timeout-exception';
import { useFallback } from './admission';
import type { CircuitBreaker } from './breaker';
import { slowCallOf } from './options';
import { settleFulfilled, settleRejected } from './outcomes';

/** A function a breaker calls, with the caller's `this` and arguments. */
export type AnyFunction = (this: unknown, ...args: any[]) => unknown;

/** The breaker of a call on this path. */
type GuardedCallHost = CircuitBreaker<unknown>;

/** How a pending call is told it timed out (its rejection reaction, with `timedOut` set). */
type TimeOut = (error: unknown, timedOut: true) => void;

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
 *
 * The call is a closure context, not an object: its two reactions share the
 * variables below, and the timeout reaches it through the rejection reaction
 * (`timedOut` set), so a call makes no record and no third function.
 */
export function callGuarded(host: GuardedCallHost, fn: AnyFunction, thisArg: unknown, args: ArrayLike<unknown>): Promise<unknown> {
  const deadlines = host.options.timeout === undefined ? undefined : host.deadlines();
  const period = host.period;
  // With `slowCall`, when it started (else NaN: never slow).
  const startedAt = slowCallOf(host.options) === undefined ? NaN : host.now();
  const promise = new Promise<unknown>(capture);
  const resolve = captured.resolve;
  const reject = captured.reject;
  /** Its place among the pending calls of `deadlines`. */
  let place = 0;
  const fulfilled = (value: unknown): void => {
    if (deadlines !== undefined && !deadlines.settle(place)) return void host.extras().lateOutcomes++;
    settleFulfilled(host, period, startedAt);
    resolve(value);
  };
  const rejected = (error: unknown, timedOut?: true): void => {
    if (timedOut === true) {
      // The breaker's own timeout always counts: an isFailure written for the dependency's errors must not hide a hang.
      answer(host, error, settleRejected(host, period, error, true, startedAt), resolve, reject, thisArg, args);
    } else if (deadlines !== undefined && !deadlines.settle(place)) {
      host.extras().lateOutcomes++; // the deadline came first
    } else {
      answer(host, error, settleRejected(host, period, error, false, startedAt), resolve, reject, thisArg, args);
    }
  };
  let outcome: Promise<unknown>;
  try {
    let result: unknown;
    if (deadlines === undefined) {
      result = fn.apply(thisArg, args as unknown[]);
    } else {
      place = deadlines.add(rejected);
      result = callWithSignal(fn, thisArg, args, deadlines.signal);
    }
    // A native promise is taken as it is. Anything else is adopted, so a thenable whose `then` throws is a
    // rejection here too (a Promise subclass as well: its `then` may throw, its species taking other arguments).
    if (result instanceof Promise && result.constructor === Promise) outcome = result;
    else if (isThenable(result)) outcome = Promise.resolve(result);
    else throw host.notAPromise(result);
  } catch (error) {
    outcome = Promise.reject(error);
  }
  outcome.then(fulfilled, rejected);
  return promise;
}

/** The resolving functions of the promise being made: one executor for every call, not a closure each. */
const captured: { resolve: (value: unknown) => void; reject: (error: unknown) => void } = { resolve: () => undefined, reject: () => undefined };
function capture(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  captured.resolve = resolve;
  captured.reject = reject;
}

/** A failed call's answer: the fallback's, for a counted failure when `fallbackOnFailure` is set, else the error. */
function answer(
  host: GuardedCallHost,
  error: unknown,
  counted: boolean,
  resolve: (value: unknown) => void,
  reject: (error: unknown) => void,
  thisArg: unknown,
  args: ArrayLike<unknown>,
): void {
  if (counted && host.options.fallbackOnFailure) resolve(useFallback(host, error, thisArg, args));
  else reject(error);
}


/**
 * The pending calls of one breaker with a `timeout`, in the order they
 * started. All share the breaker's timeout, so their deadlines come in that
 * order too: one timer, armed for the earliest pending deadline, serves them
 * all (a timer per call costs microseconds). While a call is pending the
 * timer keeps the process alive, as any timer a caller awaits; once none is,
 * it is unref'd and, when it fires, not armed again.
 *
 * Calls whose deadline falls in the same millisecond form a group: they time
 * out together and share one AbortSignal, aborted for all of them at once,
 * so one AbortController serves a burst and a call adds one slot, not a record.
 */
export class Deadlines {
  /** Slot i holds how call `first + i` is timed out, until it settles or times out (then undefined). */
  private slots: (TimeOut | undefined)[] = [];
  /** The number of the call in slot 0: calls are numbered from 0 in the order they started. */
  private first = 0;
  /** Slots before it have settled or timed out. */
  private head = 0;
  private pending = 0;
  /** The groups (a deadline each), in order: the number of the group's first call, its deadline, its signal's controller. */
  private groupStart: number[] = [];
  private groupDeadline: number[] = [];
  private groupController: AbortController[] = [];
  private groupHead = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** While the timer's callback times calls out: the slots stay put (a call it times out may settle others). */
  private expiring = false;
  /** The signal of the newest group, which the call just added belongs to. */
  signal!: AbortSignal;

  constructor(private readonly host: GuardedCallHost) {}

  /** A call starts. @returns its number (for `settle`); `signal` is then its signal. */
  add(timeOut: TimeOut): number {
    const now = performance.now();
    const deadline = Math.ceil(now) + this.host.options.timeout!;
    const place = this.first + this.slots.length;
    this.slots.push(timeOut);
    // A call of the newest group's deadline joins it: expire and idle leave the newest group open, unless it timed
    // out, and a call starting after that has a later deadline.
    if (this.groupDeadline[this.groupDeadline.length - 1] !== deadline) {
      const controller = new AbortController();
      this.groupStart.push(place);
      this.groupDeadline.push(deadline);
      this.groupController.push(controller);
      this.signal = controller.signal;
    }
    // While the timer's callback runs, it arms the timer itself when it ends.
    if (++this.pending === 1 && !this.expiring) {
      if (this.timer === undefined) this.timer = setTimeout(this.expire, deadline - now);
      else this.timer.ref(); // armed for an earlier deadline, which comes first
    }
    return place;
  }

  /** Call number `place` settled. @returns false when it had settled already (timed out): the outcome is late. */
  settle(place: number): boolean {
    const slot = place - this.first;
    if (slot < 0 || this.slots[slot] === undefined) return false;
    this.slots[slot] = undefined;
    if (--this.pending === 0 && !this.expiring) this.idle();
    return true;
  }

  /** None pending: nothing to keep the process alive for, and every slot is done with. */
  private idle(): void {
    this.timer?.unref();
    this.head = this.slots.length;
    // The newest group stays open: calls started in its millisecond join it (one AbortController a millisecond).
    this.groupHead = Math.max(this.groupHead, this.groupDeadline.length - 1);
    // Reused, not remade, while small: a job awaiting one call after another makes no array per call.
    if (this.slots.length >= 1024) this.compact();
  }

  /** Drops the slots and groups before the heads. */
  private compact(): void {
    this.first += this.head;
    this.slots.splice(0, this.head);
    this.head = 0;
    this.groupStart.splice(0, this.groupHead);
    this.groupDeadline.splice(0, this.groupHead);
    this.groupController.splice(0, this.groupHead);
    this.groupHead = 0;
  }

  private readonly expire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    this.expiring = true;
    const slots = this.slots;
    let next = Infinity;
    // Each group due times out its pending calls, in order; the first call's error aborts the group's signal.
    while (this.groupHead < this.groupDeadline.length) {
      const g = this.groupHead;
      const end = g + 1 < this.groupStart.length ? this.groupStart[g + 1]! - this.first : slots.length;
      if (this.groupDeadline[g]! > now) {
        // Not due: skip its settled calls; if one is pending, the timer is armed for this group.
        while (this.head < end && slots[this.head] === undefined) this.head++;
        if (this.head < end) {
          next = this.groupDeadline[g]!;
          break;
        }
        if (g + 1 === this.groupDeadline.length) break; // the newest group stays open for calls of its millisecond
        this.groupHead++;
        continue;
      }
      const controller = this.groupController[g]!;
      for (; this.head < end; this.head++) {
        const timeOut = slots[this.head];
        if (timeOut === undefined) continue;
        slots[this.head] = undefined;
        this.pending--;
        const error = new CircuitBreakerTimeoutException(this.host.name, this.host.options.timeout!);
        this.host.extras().timeouts++;
        controller.abort(error); // by the group's first call: aborting again changes nothing
        timeOut(error, true);
      }
      this.groupHead++;
    }
    this.expiring = false;
    if (this.pending === 0) return this.idle();
    if (this.head >= 1024 && this.head * 2 >= slots.length) this.compact();
    // Read again: the calls timed out ran listeners and fallbacks, which take time of their own.
    this.timer = setTimeout(this.expire, next - performance.now());
  };
}

/** `Function.prototype.call`, not `fn.call`: a function may have a property of that name. */
const call = Function.prototype.call;

/**
 * `fn` called with the caller's arguments and the signal after them (its
 * last parameter, as cockatiel passes its context). Up to two arguments, no
 * array is made: a call with `timeout` then costs ~17 ns less.
 */
function callWithSignal(fn: AnyFunction, thisArg: unknown, args: ArrayLike<unknown>, signal: AbortSignal): unknown {
  const n = args.length;
  if (n === 0) return call.call(fn, thisArg, signal);
  if (n === 1) return call.call(fn, thisArg, args[0], signal);
  if (n === 2) return call.call(fn, thisArg, args[0], args[1], signal);
  const copy = new Array<unknown>(n + 1);
  for (let i = 0; i < n; i++) copy[i] = args[i];
  copy[n] = signal;
  return Reflect.apply(fn, thisArg, copy);
}
