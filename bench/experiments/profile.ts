/**
 * A profiling target: `node --cpu-prof --cpu-prof-dir=/tmp/prof bench/.out/bench/experiments/profile.js refusal|closed`
 * then `node bench/experiments/top.js /tmp/prof/*.cpuprofile` lists self time by function.
 */
import { CircuitBreaker } from '../../src';
import { fails, work } from '../work';

async function main(): Promise<void> {
  const what = process.argv[2] ?? 'refusal';
  const breaker = new CircuitBreaker({ failureThreshold: 3, resetTimeout: 60_000 });
  if (what === 'refusal') for (let i = 0; i < 3; i++) await breaker.call(fails).catch(() => {});
  const fn = what === 'refusal' ? fails : work;
  const end = Date.now() + 3000;
  while (Date.now() < end) {
    for (let i = 0; i < 10_000; i++) {
      try {
        await breaker.call(fn);
      } catch {
        // refused
      }
    }
  }
}
void main();
