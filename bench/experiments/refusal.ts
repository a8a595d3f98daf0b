/**
 * What a refusal costs, piece by piece: an awaited rejection of a ready-made error (the floor),
 * and of a fresh exception built several ways.
 * Run: npm run bench:build && node bench/.out/bench/experiments/refusal.js
 */
const BATCH = 1000;
const ROUNDS = Number(process.env.ROUNDS ?? 15);
const READY = new Error('ready-made');

/** As src/errors: no stack frames (stackTraceLimit 0 around super), message a getter. */
class Limit0 extends Error {
  readonly breaker: string;
  readonly retryAfter: number;
  constructor(breaker: string, retryAfter: number) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(undefined);
    Error.stackTraceLimit = limit;
    this.breaker = breaker;
    this.retryAfter = retryAfter;
  }
  override get message(): string {
    return `Circuit breaker "${this.breaker}" is open: call refused, retry after ${this.retryAfter} ms`;
  }
}

/** The default: an Error with a captured stack and an eager message. */
class FullStack extends Error {
  readonly breaker: string;
  readonly retryAfter: number;
  constructor(breaker: string, retryAfter: number) {
    super(`Circuit breaker "${breaker}" is open: call refused, retry after ${retryAfter} ms`);
    this.breaker = breaker;
    this.retryAfter = retryAfter;
  }
}

/** Not constructed by Error at all: a plain object on Error's prototype chain (no [[ErrorData]]). */
interface Plain {
  breaker: string;
  retryAfter: number;
}
function PlainException(this: Plain, breaker: string, retryAfter: number): void {
  this.breaker = breaker;
  this.retryAfter = retryAfter;
}
PlainException.prototype = Object.create(Error.prototype, {
  message: {
    get(this: Plain) {
      return `Circuit breaker "${this.breaker}" is open: call refused, retry after ${this.retryAfter} ms`;
    },
  },
});
const NewPlain = PlainException as unknown as new (breaker: string, retryAfter: number) => Plain;

/** Error's constructor alone, while stackTraceLimit is already 0 (no toggling). */
class NoToggle extends Error {
  readonly breaker: string;
  readonly retryAfter: number;
  constructor(breaker: string, retryAfter: number) {
    super(undefined);
    this.breaker = breaker;
    this.retryAfter = retryAfter;
  }
}

async function main(): Promise<void> {
  let now = Date.now();
  const contenders: [string, () => Promise<void>][] = [
    ['await Promise.reject(ready-made)', async () => { for (let i = 0; i < BATCH; i++) { try { await Promise.reject(READY); } catch {} } }],
    ['Date.now() + reject(ready-made)', async () => { for (let i = 0; i < BATCH; i++) { try { now = Date.now(); await Promise.reject(READY); } catch {} } }],
    ['reject(new Limit0) [src today]', async () => { for (let i = 0; i < BATCH; i++) { try { await Promise.reject(new Limit0('X#y', 1000)); } catch {} } }],
    ['reject(new Plain) [no Error ctor]', async () => { for (let i = 0; i < BATCH; i++) { try { await Promise.reject(new NewPlain('X#y', 1000)); } catch {} } }],
    ['toggle stackTraceLimit + reject(ready)', async () => { for (let i = 0; i < BATCH; i++) { try { const l = Error.stackTraceLimit; Error.stackTraceLimit = 0; Error.stackTraceLimit = l; await Promise.reject(READY); } catch {} } }],
    ['reject(new NoToggle) at limit 0', async () => { const l = Error.stackTraceLimit; Error.stackTraceLimit = 0; for (let i = 0; i < BATCH; i++) { try { await Promise.reject(new NoToggle('X#y', 1000)); } catch {} } Error.stackTraceLimit = l; }],
    ['reject(new FullStack) [stack]', async () => { for (let i = 0; i < BATCH; i++) { try { await Promise.reject(new FullStack('X#y', 1000)); } catch {} } }],
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
  for (const [name, v] of samples) console.log(name.padEnd(36), med(v).toFixed(1), 'ns/call');
  void now;
}

void main();
