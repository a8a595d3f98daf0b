/**
 * Measured prototypes of hot-path changes (bench/experiments/variant/src is a patched copy of src).
 * Run: npm run bench:build && node --expose-gc bench/.out/bench/experiments/compare.js
 * Compares, interleaved, the repo's src with the variant: bytes per breaker, a CLOSED
 * successful call, a decorated (legacy-applied) call, a refusal.
 */
import * as base from '../../src';
import * as variant from './variant/src';

declare const gc: () => void;
const BATCH = 1000;
const ROUNDS = Number(process.env.ROUNDS ?? 15);

async function work(): Promise<number> {
  return 1;
}
const FAILURE = new Error('dependency failed');
async function fails(): Promise<number> {
  throw FAILURE;
}

function used(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

function bytesPer(make: () => unknown, n = 10_000): number {
  for (let i = 0; i < 100; i++) make();
  const kept: unknown[] = new Array(n);
  const before = used();
  for (let i = 0; i < n; i++) kept[i] = make();
  const after = used();
  void kept.length;
  return (after - before) / n;
}

type Lib = typeof base;

function decorate(lib: Lib): { ok(): Promise<number> } {
  class Service {
    async ok(): Promise<number> {
      return 1;
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(Service.prototype, 'ok')!;
  const decorator = lib.CircuitBreaker({ failureThreshold: 3, resetTimeout: 60_000 }) as unknown as (
    t: object,
    k: string,
    d: PropertyDescriptor,
  ) => PropertyDescriptor;
  Object.defineProperty(Service.prototype, 'ok', decorator(Service.prototype, 'ok', descriptor));
  return new Service();
}

async function main(): Promise<void> {
  console.log('bytes per breaker, base:', bytesPer(() => new base.CircuitBreaker({ failureThreshold: 3, resetTimeout: 60_000 })).toFixed(0));
  console.log('bytes per breaker, variant:', bytesPer(() => new variant.CircuitBreaker({ failureThreshold: 3, resetTimeout: 60_000 })).toFixed(0));

  const bb = new base.CircuitBreaker({ failureThreshold: 3, resetTimeout: 60_000 });
  const vb = new variant.CircuitBreaker({ failureThreshold: 3, resetTimeout: 60_000 });
  const bs = decorate(base);
  const vs = decorate(variant as unknown as Lib);
  const bo = new base.CircuitBreaker({ failureThreshold: 3, resetTimeout: 60_000 });
  const vo = new variant.CircuitBreaker({ failureThreshold: 3, resetTimeout: 60_000 });
  for (let i = 0; i < 3; i++) {
    await bo.call(fails).catch(() => {});
    await vo.call(fails).catch(() => {});
  }
  if (bo.state !== 'OPEN' || vo.state !== 'OPEN') throw new Error('not open');
  const plain = { async ok(): Promise<number> { return 1; } };
  const contenders: [string, () => Promise<void>][] = [
    ['bare await', async () => { for (let i = 0; i < BATCH; i++) await plain.ok(); }],
    ['base call', async () => { for (let i = 0; i < BATCH; i++) await bb.call(work); }],
    ['variant call', async () => { for (let i = 0; i < BATCH; i++) await vb.call(work); }],
    ['base decorated', async () => { for (let i = 0; i < BATCH; i++) await bs.ok(); }],
    ['variant decorated', async () => { for (let i = 0; i < BATCH; i++) await vs.ok(); }],
    ['rejection floor', async () => { for (let i = 0; i < BATCH; i++) { try { await fails(); } catch {} } }],
    ['base refusal', async () => { for (let i = 0; i < BATCH; i++) { try { await bo.call(fails); } catch {} } }],
    ['variant refusal', async () => { for (let i = 0; i < BATCH; i++) { try { await vo.call(fails); } catch {} } }],
  ];
  const samples = new Map(contenders.map(([n]) => [n, [] as number[]]));
  for (const [, loop] of contenders) for (let i = 0; i < 50; i++) await loop();
  for (let r = 0; r < ROUNDS; r++) {
    const order = [...contenders.slice(r % contenders.length), ...contenders.slice(0, r % contenders.length)];
    for (const [name, loop] of order) {
      const per: number[] = [];
      for (let k = 0; k < 15; k++) {
        const t0 = process.hrtime.bigint();
        await loop();
        per.push(Number(process.hrtime.bigint() - t0) / BATCH);
      }
      per.sort((a, b) => a - b);
      samples.get(name)!.push(per[per.length >> 1]!);
    }
  }
  const med = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
  for (const [name, v] of samples) console.log(name.padEnd(20), med(v).toFixed(1), 'ns/call');
}

void main();
