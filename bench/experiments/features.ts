/**
 * What each production feature costs a CLOSED successful call through `breaker.call`, measured
 * interleaved (rounds rotate the order; the median of the rounds is printed):
 *   npm run bench:build && node bench/.out/bench/experiments/features.js
 */
import { CircuitBreaker, InMemoryCircuitStore } from '../../src';

const work = async (): Promise<number> => 1;
const BATCH = 200_000;
const ROUNDS = Number(process.env.ROUNDS ?? 9);

const listened = new CircuitBreaker({ name: 'listened' });
listened.onSuccess(() => undefined);
listened.onStateChange(() => undefined);

const contenders: [string, CircuitBreaker<unknown>][] = [
  ['no options', new CircuitBreaker()],
  ['isFailure', new CircuitBreaker({ isFailure: () => true })],
  ['fallback (refusals only)', new CircuitBreaker({ fallback: () => 0 })],
  ['onSuccess + onStateChange listeners', listened],
  ['logger', new CircuitBreaker({ logger: { warn: () => undefined, info: () => undefined } })],
  ['store (in-memory)', new CircuitBreaker({ name: 'fleet', store: new InMemoryCircuitStore() })],
  ['maxResetTimeout (backoff)', new CircuitBreaker({ maxResetTimeout: 600_000 })],
  ['fallbackOnFailure', new CircuitBreaker({ fallback: () => 0, fallbackOnFailure: true })],
  ['timeout: 10_000', new CircuitBreaker({ timeout: 10_000 })],
];

async function main(): Promise<void> {
  const samples = new Map<string, number[]>(contenders.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const [name, breaker] = contenders[(i + round) % contenders.length]!;
      const start = process.hrtime.bigint();
      for (let n = 0; n < BATCH; n++) await breaker.call(work);
      samples.get(name)!.push(Number(process.hrtime.bigint() - start) / BATCH);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(samples.get('no options')!);
  console.log('| options | median ns per CLOSED successful call | vs no options |\n|---|---:|---:|');
  for (const [name] of contenders) {
    const m = median(samples.get(name)!);
    console.log(`| ${name} | ${m.toFixed(1)} | ${(m / base).toFixed(2)}x |`);
  }
}

void main();
