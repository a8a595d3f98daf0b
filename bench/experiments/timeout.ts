/**
 * What a call with a `timeout` must cost at least, beside what ours costs: the floors of any wrapper
 * that can reject a call its function never settles. Such a wrapper returns a promise of its own
 * (settled by the outcome's reaction, one microtask later) and reads the clock once a call, for the
 * deadline. Each floor below is bare JavaScript, no breaker: the plain observed call (what a CLOSED
 * call without `timeout` pays), plus a promise of its own, plus one clock read. Interleaved rounds,
 * medians of mitata's per-sample medians.
 *
 *   npm run bench:build && node bench/.out/bench/experiments/timeout.js
 */
import { CircuitBreaker } from '../../src';
import { work } from '../work';
import { interleavedMedians } from './interleaved';

const BATCH = 1000;
const ROUNDS = Number(process.env.ROUNDS ?? 9);

let counted = 0;
const onFulfilled = (): void => void counted++;
const onRejected = (): void => void counted--;

/** A CLOSED call's floor: the outcome observed beside the caller, who gets the function's promise. */
function observed(): Promise<unknown> {
  const outcome = work();
  outcome.then(onFulfilled, onRejected);
  return outcome;
}

let resolveNext: (value: unknown) => void = () => undefined;
let rejectNext: (error: unknown) => void = () => undefined;
function capture(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  resolveNext = resolve;
  rejectNext = reject;
}

/** A promise of its own, settled by the outcome's reactions (closures over its resolving functions). */
function ownPromise(): Promise<unknown> {
  const outcome = work();
  const promise = new Promise<unknown>(capture);
  const resolve = resolveNext;
  const reject = rejectNext;
  outcome.then(
    (value) => {
      counted++;
      resolve(value);
    },
    (error: unknown) => {
      counted--;
      reject(error);
    },
  );
  return promise;
}

const deadlines: number[] = [];
/** That, and one clock read a call for its deadline: the least a timeout needs. */
function ownPromiseAndClock(): Promise<unknown> {
  if (deadlines.length === 1024) deadlines.length = 0;
  deadlines.push(performance.now() + 10_000);
  return ownPromise();
}

async function main(): Promise<void> {
  const plain = new CircuitBreaker({ failureThreshold: 3, resetTimeout: 60_000 });
  const timed = new CircuitBreaker({ failureThreshold: 3, resetTimeout: 60_000, timeout: 10_000 });
  const loop = (call: () => Promise<unknown>) => async () => {
    for (let i = 0; i < BATCH; i++) await call();
  };
  const all: [string, () => Promise<void>][] = [
    ['floor: observed call', loop(observed)],
    ['floor: + a promise of its own', loop(ownPromise)],
    ['floor: + a clock read (performance.now)', loop(ownPromiseAndClock)],
    ['breaker.call(fn)', loop(() => plain.call(work))],
    ['breaker.call(fn) with timeout', loop(() => timed.call(work))],
  ];
  const medians = await interleavedMedians(all.map(([, run]) => run), BATCH, ROUNDS);
  console.log(`Node ${process.version}, ${ROUNDS} rounds (counted ${counted})`);
  const floor = medians[0]!;
  const breaker = medians[3]!;
  all.forEach(([name], i) => {
    const ns = medians[i]!;
    console.log(`${name.padEnd(44)} ${ns.toFixed(1).padStart(7)} ns  ${(ns / floor).toFixed(2)}x the observed call  ${(ns / breaker).toFixed(2)}x breaker.call`);
  });
}
void main();
