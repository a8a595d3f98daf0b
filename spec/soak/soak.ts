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
 * A keyed method (`key`, `maxKeys: 100`) sees 100,000 distinct keys: it keeps at most 100 breakers, the heap
 * stays flat, and the memory a key costs is measured.
 */
import assert from 'node:assert/strict';
import { CircuitBreaker, getKeyedCircuitBreaker, listCircuitBreakers } from '../../src';

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

const KEYED_KEYS = Number(process.env.SOAK_KEYS ?? 100_000);

/**
 * 100,000 distinct hosts through a method keyed by host with `maxKeys: 100`: every tenth host fails three
 * times and opens, and is called again 20 hosts later, after its wait, when it has recovered (the probe
 * closes it); ten hot hosts are called between the others. At every checkpoint at most 100 breakers are
 * kept (and listed), the hot ones among them; the heap after GC does not grow from the first checkpoint to the last.
 */
async function keyed(): Promise<void> {
  let now = 0;
  class Upstream {
    @CircuitBreaker({ key: (host: string) => host, maxKeys: 100, failureThreshold: 3, resetTimeout: 100, clock: () => now })
    async get(host: string, fail: boolean): Promise<string> {
      if (fail) throw error;
      return host;
    }
  }
  const upstream = new Upstream();
  const set = getKeyedCircuitBreaker(upstream, 'get');
  const listed = () => listCircuitBreakers().filter((breaker) => breaker.name.startsWith('Upstream#get[')).length;
  const heap: number[] = [];
  const perCheckpoint = KEYED_KEYS / CHECKPOINTS;
  let calls = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < KEYED_KEYS; i++) {
    now += 10;
    const host = `host-${i}.example.com`;
    const failing = i % 10 === 0;
    for (let j = 0; j < 3; j++) {
      await upstream.get(host, failing).catch(() => undefined);
      calls++;
    }
    if (i >= 20 && (i - 20) % 10 === 0) {
      // The host that failed 20 hosts (200 ms) ago is back: its probe closes its circuit.
      await upstream.get(`host-${i - 20}.example.com`, false);
      calls++;
    }
    await upstream.get(`hot-${i % 10}.example.com`, false);
    calls++;
    if ((i + 1) % perCheckpoint === 0) {
      assert.ok(set.size <= 100, `${set.size} keys kept`);
      assert.ok(listed() <= 100, `${listed()} keys' breakers listed`);
      heap.push(heapAfterGc());
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stats = set.stats();
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
  console.log(`keyed: ${KEYED_KEYS.toLocaleString('en')} distinct keys (${calls.toLocaleString('en')} calls) in ${seconds.toFixed(1)} s through maxKeys 100`);
  console.log(`  kept ${stats.keys.length} (${JSON.stringify(stats.states)}), evicted ${stats.evicted} (of them OPEN: ${stats.evictedOpen})`);
  console.log(`  heap after GC per ${perCheckpoint.toLocaleString('en')} keys (MB): ${heap.map(mb).join(' ')}`);
  assert.equal(stats.keys.length, 100);
  assert.ok(stats.evicted >= KEYED_KEYS + 10 - 100, 'every key but the 100 kept was dropped, some more than once');
  assert.ok(stats.states.OPEN > 0, 'OPEN keys were kept');
  for (let h = 0; h < 10; h++) assert.ok(stats.keys.includes(`hot-${h}.example.com`), 'the hot keys are kept');
  const growth = heap[heap.length - 1]! - heap[0]!;
  console.log(`  heap growth first to last checkpoint: ${(growth / 1024).toFixed(1)} KB (tolerance ${TOLERANCE / 1024} KB)`);
  assert.ok(growth < TOLERANCE, `heap grew by ${growth} bytes over ${KEYED_KEYS} keys`);
  const rising = heap.slice(CHECKPOINTS / 2).every((value, k, half) => k === 0 || value > half[k - 1]! + 64 * 1024);
  assert.ok(!rising, `heap rises at every checkpoint: ${heap.join(', ')}`);

  // What a key costs: 10,000 keys kept, against none (a breaker, its options, its name, the entry and the Map slot).
  const many = new CircuitBreaker({ key: true, maxKeys: 10_000, name: 'upstream' });
  const keys = Array.from({ length: 10_000 }, (_, k) => `key-${k}.example.com`); // the key strings are the caller's
  const empty = heapAfterGc();
  for (const key of keys) await many.call(key, () => Promise.resolve(key));
  const full = heapAfterGc();
  console.log(`  memory per key: ${((full - empty) / keys.length).toFixed(0)} bytes (10,000 keys, called once each; the key string aside)`);
  assert.equal(many.size, 10_000);
}

void (async () => {
  await soak();
  await timers();
  await keyed();
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
