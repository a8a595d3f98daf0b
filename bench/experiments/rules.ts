/**
 * Where a time window's CLOSED success goes, beside the consecutive rule: the clock read (Date.now,
 * a constant clock), the window itself, and a fleet window (an in-memory store: no network, the
 * same FleetWindow code as with Redis). Interleaved rounds, medians of mitata's per-sample medians.
 *
 *   npm run bench:build && node bench/.out/bench/experiments/rules.js
 */
import { CircuitBreaker, InMemoryCircuitStore } from '../../src';
import { work } from '../work';
import { interleavedMedians } from './interleaved';

const BATCH = 1000;
const ROUNDS = Number(process.env.ROUNDS ?? 9);

async function main(): Promise<void> {
  const rate = { threshold: 0.5, minimumCalls: 20 };
  const time = { duration: 10_000, buckets: 10 };
  let t = 1_000_000;
  const breakers: [string, CircuitBreaker][] = [
    ['consecutive', new CircuitBreaker({ failureThreshold: 3, resetTimeout: 60_000 })],
    ['count window { calls: 100 }', new CircuitBreaker({ failureRate: { ...rate, window: { calls: 100 } }, resetTimeout: 60_000 })],
    ['time window, Date.now', new CircuitBreaker({ failureRate: { ...rate, window: time }, resetTimeout: 60_000 })],
    ['time window, constant clock', new CircuitBreaker({ failureRate: { ...rate, window: time }, resetTimeout: 60_000, clock: () => t })],
    ['time window, performance.now', new CircuitBreaker({ failureRate: { ...rate, window: time }, resetTimeout: 60_000, clock: () => performance.now() })],
    ['fleet window (in-memory store), Date.now', new CircuitBreaker({ failureRate: { ...rate, window: time }, resetTimeout: 60_000, name: 'exp', store: new InMemoryCircuitStore() })],
  ];
  const loops = breakers.map(([, b]) => async () => { for (let i = 0; i < BATCH; i++) await b.call(work); });
  const nowLoop = async () => { let s = 0; for (let i = 0; i < BATCH; i++) s += Date.now(); t += s > 0 ? 0 : 1; };
  const all: [string, () => Promise<void>][] = [...breakers.map(([name], i) => [name, loops[i]!] as [string, () => Promise<void>]), ['Date.now() alone (1,000 reads)', nowLoop]];
  const medians = await interleavedMedians(all.map(([, loop]) => loop), BATCH, ROUNDS);
  const base = medians[0]!;
  console.log(`Node ${process.version}, ${ROUNDS} rounds`);
  all.forEach(([name], i) => console.log(`${name.padEnd(44)} ${medians[i]!.toFixed(1).padStart(7)} ns  ${(medians[i]! / base).toFixed(2)}x`));
}
void main();
