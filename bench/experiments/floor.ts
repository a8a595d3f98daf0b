/** Why would a bare await measure slower than a guarded one? Floors measured several ways. */
import { PlainService, work } from '../work';
import { CircuitBreaker } from '../../src';

const BATCH = 1000;
type Measure = (fn: () => Promise<void>, opts: Record<string, unknown>) => Promise<{ p50: number }>;

async function main(): Promise<void> {
  const { measure } = await (new Function('s', 'return import(s)') as (s: string) => Promise<{ measure: Measure }>)('mitata');
  const plain = new PlainService();
  const breaker = new CircuitBreaker({ failureThreshold: 3, resetTimeout: 60_000 });
  const local = { async ok(): Promise<number> { return 1; } };
  const contenders: [string, () => Promise<void>][] = [
    ['await plain.ok()', async () => { for (let i = 0; i < BATCH; i++) await plain.ok(); }],
    ['await work()', async () => { for (let i = 0; i < BATCH; i++) await work(); }],
    ['await local.ok()', async () => { for (let i = 0; i < BATCH; i++) await local.ok(); }],
    ['await breaker.call(work)', async () => { for (let i = 0; i < BATCH; i++) await breaker.call(work); }],
  ];
  for (let r = 0; r < 5; r++) {
    for (const [name, loop] of contenders) {
      const s = await measure(loop, { min_cpu_time: 40e6, min_samples: 5 });
      console.log(r, name.padEnd(28), (s.p50 / BATCH).toFixed(1));
    }
  }
}
void main();
