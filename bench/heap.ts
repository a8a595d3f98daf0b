/**
 * Child process of `npm run bench`, run with `node --expose-gc`:
 *   heap.js breakers <lib> <count>   bytes of heap per breaker, and timers made
 *   heap.js growth <contender> <calls>  heap growth over that many calls
 * Prints one JSON line.
 */
import { createHook } from 'node:async_hooks';
import { THRESHOLD, cockatiel, legacy, opossum, ours } from './contenders';
import { fails, work } from './work';

declare const gc: () => void;
const LONG = 60_000;

function settle(): void {
  for (let i = 0; i < 4; i++) gc();
}

function heapUsed(): number {
  settle();
  return process.memoryUsage().heapUsed;
}

/** Counts timers (Timeout resources, ref'd or not) made while `fn` runs. */
async function countTimers(fn: () => unknown): Promise<number> {
  let timers = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === 'Timeout') timers++;
    },
  });
  hook.enable();
  try {
    await fn();
  } finally {
    hook.disable();
  }
  return timers;
}

const makers: Record<string, { label: string; make: () => { call: () => Promise<unknown> } }> = {
  breaker: {
    label: 'breaker: `new CircuitBreaker({ failureThreshold: 3, resetTimeout: 60_000 })`',
    make: () => {
      const b = ours(LONG);
      return { b, call: () => b.call(work) };
    },
  },
  decorated: {
    label: '`@CircuitBreaker()`: a decorated class with 4 methods, per breaker (class and closures included)',
    make: () => {
      const svc = legacy.makeService({ failureThreshold: THRESHOLD, resetTimeout: LONG });
      return { svc, call: () => svc.ok() };
    },
  },
  opossum: {
    label: 'opossum, defaults',
    make: () => {
      const b = opossum(work);
      return { b, call: () => b.fire() };
    },
  },
  cockatiel: {
    label: 'cockatiel, `ConsecutiveBreaker`',
    make: () => {
      const p = cockatiel(LONG);
      return { p, call: () => p.execute(work) };
    },
  },
};

async function breakers(lib: string, count: number): Promise<void> {
  const maker = makers[lib];
  if (maker === undefined) throw new Error(`unknown lib ${lib}`);
  // Warm up: load code, make shared objects (e.g. prototypes, registries) before measuring.
  const warm = [];
  for (let i = 0; i < 100; i++) warm.push(maker.make());
  const kept: { call: () => Promise<unknown> }[] = new Array(count);
  const before = heapUsed();
  let timersCreated = 0;
  timersCreated += await countTimers(() => {
    for (let i = 0; i < count; i++) kept[i] = maker.make();
  });
  const after = heapUsed();
  const perBreakerDivisor = lib === 'decorated' ? 4 : 1; // four decorated methods, four breakers
  const calls = 1000;
  const one = kept[0]!;
  const timersDuringCalls = await countTimers(async () => {
    for (let i = 0; i < calls; i++) await one.call();
  });
  const activeTimers = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const result = {
    lib: maker.label,
    count,
    bytesPerBreaker: (after - before) / count / perBreakerDivisor,
    timersCreated,
    timersPerCall: timersDuringCalls / calls,
    activeTimers,
  };
  void kept.length;
  void warm.length;
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0); // opossum's unref'd intervals must not matter
}

async function growth(contender: string, calls: number): Promise<void> {
  let call: () => Promise<unknown>;
  let label: string;
  switch (contender) {
    case 'call': {
      const b = ours(LONG);
      call = () => b.call(work);
      label = '`breaker.call(fn)`, CLOSED, succeeding';
      break;
    }
    case 'legacy':
    case 'standard': {
      const svc = (contender === 'legacy' ? legacy : require('./contenders').standard).makeService({ failureThreshold: THRESHOLD, resetTimeout: LONG });
      call = () => svc.ok();
      label = `\`@CircuitBreaker()\` ${contender}, CLOSED, succeeding`;
      break;
    }
    case 'refusal': {
      const b = ours(LONG);
      for (let i = 0; i < THRESHOLD; i++) await b.call(fails).catch(() => {});
      if (b.state !== 'OPEN') throw new Error('not open');
      call = () => b.call(fails);
      label = '`breaker.call(fn)`, OPEN, refusing';
      break;
    }
    case 'opossum': {
      const b = opossum(work);
      call = () => b.fire();
      label = 'opossum, defaults, closed, succeeding';
      break;
    }
    case 'cockatiel': {
      const p = cockatiel(LONG);
      call = () => p.execute(work);
      label = 'cockatiel, closed, succeeding';
      break;
    }
    default:
      throw new Error(`unknown contender ${contender}`);
  }
  const run = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      try {
        await call();
      } catch {
        // refusals
      }
    }
  };
  await run(Math.min(calls, 20_000));
  const before = heapUsed();
  await run(calls);
  const after = heapUsed();
  process.stdout.write(JSON.stringify({ contender: label, calls, growthBytes: after - before }) + '\n');
  process.exit(0);
}

const [task, what, n] = process.argv.slice(2);
const count = Number(n);
(task === 'breakers' ? breakers(what!, count) : growth(what!, count)).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
