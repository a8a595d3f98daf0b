/**
 * Soak: 1,000,000 calls of mixed outcomes through one breaker leave no heap
 * growth and no timers or handles behind. `npm run test:soak` (node --expose-gc), part of `npm test`.
 *
 * The calls cycle the breaker through every state: successes, rejections,
 * synchronous throws, non-Error throws, thenables, refusals while OPEN, probes
 * that fail and probes that succeed, slow calls that settle in a later period.
 * Time comes from the `clock` option (no real sleeps). The heap is measured after
 * full GCs at checkpoints; it must not grow from the first checkpoint to the
 * last by more than a small tolerance, nor keep growing checkpoint after checkpoint.
 * A second breaker with a `timeout` runs 1,000,000 calls: one timer serves the pending ones, none is left.
 */
import assert from 'node:assert/strict';
import { CircuitBreaker } from '../../src';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (npm run test:soak)');

const TOTAL = Number(process.env.SOAK_CALLS ?? 1_000_000);
const TIMED_TOTAL = Number(process.env.SOAK_TIMED_CALLS ?? 1_000_000);
const BATCH = 20;
const CHECKPOINTS = 10;
/** Bytes the heap may differ by between the first and last checkpoint (GC noise, JIT code, interned strings). */
const TOLERANCE = 1024 * 1024;

function heapAfterGc(): number {
  for (let i = 0; i < 4; i++) gc!();
  return process.memoryUsage().heapUsed;
}

function timeouts(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

/**
 * Timers set and neither fired nor cleared. `getActiveResourcesInfo()` lists only ref'd ones (those
 * keeping the process alive), so setTimeout is counted here as well.
 */
const pendingTimers = new Set<unknown>();
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
  const timer = realSetTimeout(
    (...callbackArgs: unknown[]) => {
      pendingTimers.delete(timer);
      callback(...callbackArgs);
    },
    ms,
    ...args,
  );
  pendingTimers.add(timer);
  return timer;
}) as typeof setTimeout;
globalThis.clearTimeout = ((timer: Parameters<typeof clearTimeout>[0]) => {
  pendingTimers.delete(timer);
  realClearTimeout(timer);
}) as typeof clearTimeout;

const resourcesBefore = process.getActiveResourcesInfo();

let now = 0;
const breaker = new CircuitBreaker({ name: 'soak', failureThreshold: 5, resetTimeout: 100, clock: () => now });
const error = new Error('down');
const slow: (() => void)[] = [];

/** One call; `i` picks its outcome so that the breaker trips, refuses, probes, fails probes and closes, over and over. */
function call(i: number): Promise<unknown> {
  now++; // a millisecond a call: the circuit opens, waits, probes and closes many times
  const phase = i % 400;
  switch (true) {
    case phase < 150:
      return breaker.call(() => Promise.resolve(i));
    case phase < 152:
      // A slow call admitted now, settled after its batch, in a later period (after the trip below).
      void breaker.call(() => new Promise<number>((resolve) => slow.push(() => resolve(i)))).catch(() => undefined);
      return Promise.resolve(undefined);
    case phase < 200:
      // Rejections, synchronous throws, non-Error throws: trip after 5, then refusals.
      return breaker.call(() => {
        if (phase % 3 === 0) throw error;
        if (phase % 3 === 1) throw 'a string';
        return Promise.reject(error);
      });
    case phase < 260:
      return breaker.call(() => ({ then: (resolve: (value: number) => void) => resolve(i) }) as unknown as PromiseLike<number>);
    default:
      return breaker.call(() => Promise.resolve(i));
  }
}

async function soak(): Promise<void> {
  const heap: number[] = [];
  const perCheckpoint = TOTAL / CHECKPOINTS;
  let calls = 0;
  const started = process.hrtime.bigint();
  while (calls < TOTAL) {
    const batch: Promise<unknown>[] = new Array(BATCH);
    for (let j = 0; j < BATCH; j++) batch[j] = call(calls + j).catch(() => undefined);
    await Promise.all(batch);
    for (const settle of slow.splice(0)) settle();
    calls += BATCH;
    if (calls % perCheckpoint === 0) heap.push(heapAfterGc());
  }
  await new Promise((resolve) => setImmediate(resolve));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stats = breaker.stats();
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
  console.log(`soak: ${TOTAL.toLocaleString('en')} calls in ${seconds.toFixed(1)} s through one breaker`);
  console.log(
    `  successes ${stats.successes}, failures ${stats.failures}, refusals ${stats.refusals}, late ${stats.lateOutcomes}, opened ${stats.opened}, state ${stats.state}`,
  );
  console.log(`  heap after GC per ${perCheckpoint.toLocaleString('en')} calls (MB): ${heap.map(mb).join(' ')}`);
  assert.equal(stats.calls + stats.refusals, TOTAL, 'every call was admitted or refused');
  assert.ok(stats.opened > 100, 'the breaker opened again and again');
  assert.ok(stats.refusals > 0 && stats.lateOutcomes > 0, 'it refused calls and saw late outcomes');
  const growth = heap[heap.length - 1]! - heap[0]!;
  console.log(`  heap growth first to last checkpoint: ${(growth / 1024).toFixed(1)} KB (tolerance ${TOLERANCE / 1024} KB)`);
  assert.ok(growth < TOLERANCE, `heap grew by ${growth} bytes over ${TOTAL} calls`);
  // No trend: the heap does not rise at every checkpoint of the second half.
  const secondHalf = heap.slice(CHECKPOINTS / 2);
  const rising = secondHalf.every((value, k) => k === 0 || value > secondHalf[k - 1]! + 64 * 1024);
  assert.ok(!rising, `heap rises at every checkpoint: ${heap.join(', ')}`);
}

/**
 * A million calls through a breaker with a `timeout`: one timer serves every pending call (ref'd while any
 * is pending, so a caller awaiting a deadline gets it); once all settled none keeps the process alive, and
 * the last one is gone by its deadline. The heap stays flat.
 */
async function timers(): Promise<void> {
  const timeout = 50;
  const timed = new CircuitBreaker({ name: 'soak-timeout', failureThreshold: 1_000_000, timeout });
  const heap: number[] = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < TIMED_TOTAL; i += BATCH) {
    const batch: Promise<unknown>[] = [];
    for (let j = 0; j < BATCH; j++) batch.push(timed.call(() => ((i + j) % 2 === 0 ? Promise.resolve(j) : Promise.reject(error))).catch(() => undefined));
    assert.equal(pendingTimers.size, 1, 'one timer serves the pending calls');
    assert.equal(timeouts(), 1, 'and keeps the process alive while they are pending');
    await Promise.all(batch);
    if ((i + BATCH) % (TIMED_TOTAL / CHECKPOINTS) === 0) heap.push(heapAfterGc());
  }
  assert.equal(timeouts(), 0, 'all settled: no timer keeps the process alive');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stats = timed.stats();
  assert.equal(stats.calls, TIMED_TOTAL);
  assert.equal(stats.timeouts, 0);
  const growth = heap[heap.length - 1]! - heap[0]!;
  console.log(`timeout breaker: ${TIMED_TOTAL.toLocaleString('en')} calls in ${seconds.toFixed(1)} s, heap growth first to last checkpoint ${(growth / 1024).toFixed(1)} KB`);
  assert.ok(growth < TOLERANCE, `heap grew by ${growth} bytes over ${TIMED_TOTAL} calls with a timeout`);
  // The idle timer fires once more, by the last deadline, and is not armed again.
  await new Promise((resolve) => realSetTimeout(resolve, timeout + 20));
  console.log(`  timers left pending ${timeout + 20} ms after the last call settled: ${pendingTimers.size}`);
  assert.equal(pendingTimers.size, 0, 'every timeout timer fired or was cleared');
}

void (async () => {
  await soak();
  await timers();
  const after = process.getActiveResourcesInfo();
  console.log(`active resources before: [${resourcesBefore.join(', ')}], after: [${after.join(', ')}]`);
  assert.equal(timeouts(), 0, 'no timers left');
  assert.equal(pendingTimers.size, 0, 'no unref\'d timers left');
  assert.ok(after.length <= resourcesBefore.length, `handles left behind: ${after.join(', ')}`);
  console.log('soak: ok');
})().catch((failure: unknown) => {
  console.error(failure);
  process.exitCode = 1;
});
