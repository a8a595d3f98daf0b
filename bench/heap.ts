/**
 * Child process of `npm run bench`, run with `node --expose-gc`:
 *   heap.js breakers <lib> <count>   bytes of heap per breaker, and timers made
 *   heap.js growth <contender> <calls>  heap growth over that many calls
 * Prints one JSON line.
 */
import { createHook } from 'node:async_hooks';
import { COUNT_WINDOW, PEERS, THRESHOLD, TIMEOUT, TIME_WINDOW, cockatiel, cockatielCount, cockatielSampling, cockatielWithTimeout, legacy, opossum } from './contenders';
import { ours, oursCountWindow, oursSlowCalls, oursTimeWindow, oursWithTimeout } from './contenders';
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

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Timers (Timeout resources, ref'd or not) made while `fn` runs, and how many of those are still
 * alive (neither fired nor cleared, ref'd or not) once it has returned.
 */
async function countTimers(fn: () => unknown): Promise<{ made: number; alive: number }> {
  const alive = new Set<number>();
  let made = 0;
  const hook = createHook({
    init(id, type) {
      if (type === 'Timeout') {
        made++;
        alive.add(id);
      }
    },
    destroy(id) {
      alive.delete(id);
    },
  });
  hook.enable();
  try {
    await fn();
    // destroy hooks are emitted from a queue: let it drain.
    await turn();
    await turn();
  } finally {
    hook.disable();
  }
  return { made, alive: alive.size };
}

interface Maker<T> {
  readonly label: string;
  /** Makes one breaker (only it is kept and measured). */
  readonly make: () => T;
  /** How to call through one. */
  readonly call: (breaker: T) => Promise<unknown>;
  /** Breakers per made object. */
  readonly per?: number;
}

const makers: Record<string, Maker<any>> = {
  breaker: {
    label: 'breaker: `new CircuitBreaker({ failureThreshold: 3, resetTimeout: 60_000 })`',
    make: () => ours(LONG),
    call: (b: ReturnType<typeof ours>) => b.call(work),
  },
  timeout: {
    label: `breaker with \`timeout: ${TIMEOUT}\``,
    make: () => oursWithTimeout(LONG),
    call: (b: ReturnType<typeof ours>) => b.call(work),
  },
  'count-window': {
    label: `breaker with a count window (\`failureRate.window: { calls: ${COUNT_WINDOW.calls} }\`)`,
    make: () => oursCountWindow(LONG),
    call: (b: ReturnType<typeof ours>) => b.call(work),
  },
  'time-window': {
    label: `breaker with a time window (\`failureRate.window: { duration: ${TIME_WINDOW.duration}, buckets: ${TIME_WINDOW.buckets} }\`)`,
    make: () => oursTimeWindow(LONG),
    call: (b: ReturnType<typeof ours>) => b.call(work),
  },
  'slow-calls': {
    label: `breaker with that time window and \`slowCall\``,
    make: () => oursSlowCalls(LONG),
    call: (b: ReturnType<typeof ours>) => b.call(work),
  },
  decorated: {
    label: '`@CircuitBreaker()` legacy: a decorated class of 4 methods, per breaker (class, prototype and closures included)',
    make: () => legacy.makeService({ failureThreshold: THRESHOLD, resetTimeout: LONG }),
    call: (svc: ReturnType<typeof legacy.makeService>) => svc.ok(),
    per: 4,
  },
  opossum: {
    label: `${PEERS.opossum.label}, defaults`,
    make: () => opossum(work),
    call: (b: ReturnType<typeof opossum>) => b.fire(),
  },
  cockatiel: {
    label: `${PEERS.cockatiel.label}, \`ConsecutiveBreaker\``,
    make: () => cockatiel(LONG),
    call: (p: ReturnType<typeof cockatiel>) => p.execute(work),
  },
  'cockatiel-count': {
    label: `${PEERS.cockatiel.label}, \`CountBreaker\` (size ${COUNT_WINDOW.calls})`,
    make: () => cockatielCount(LONG),
    call: (p: ReturnType<typeof cockatielCount>) => p.execute(work),
  },
  'cockatiel-sampling': {
    label: `${PEERS.cockatiel.label}, \`SamplingBreaker\` (${TIME_WINDOW.duration} ms)`,
    make: () => cockatielSampling(LONG),
    call: (p: ReturnType<typeof cockatielSampling>) => p.execute(work),
  },
  'cockatiel-timeout': {
    label: `${PEERS.cockatiel.label}, \`ConsecutiveBreaker\` + timeout policy`,
    make: () => cockatielWithTimeout(LONG),
    call: (p: ReturnType<typeof cockatielWithTimeout>) => p.execute(work),
  },
};

async function breakers(lib: string, count: number): Promise<void> {
  const maker = makers[lib];
  if (maker === undefined) throw new Error(`unknown lib ${lib}`);
  // Warm up: load code, make shared objects (hidden classes, registries) before measuring.
  const warm: unknown[] = [];
  for (let i = 0; i < 100; i++) warm.push(maker.make());
  const kept: unknown[] = new Array(count);
  const before = heapUsed();
  const { made: timersCreated } = await countTimers(() => {
    for (let i = 0; i < count; i++) kept[i] = maker.make();
  });
  const after = heapUsed();
  const calls = 1000;
  const one = kept[0];
  const duringCalls = await countTimers(async () => {
    for (let i = 0; i < calls; i++) await maker.call(one);
  });
  // Ref'd timers only (those that keep the process alive): unref'd ones are not active resources.
  const activeTimers = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const result = {
    lib: maker.label,
    count,
    bytesPerBreaker: (after - before) / count / (maker.per ?? 1),
    timersCreated,
    timersPerCall: duringCalls.made / calls,
    timersAlive: duringCalls.alive,
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
    case 'timeout': {
      const b = oursWithTimeout(LONG);
      call = () => b.call(work);
      label = `\`breaker.call(fn)\` with \`timeout\`, CLOSED, succeeding`;
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
      label = `${PEERS.opossum.label}, defaults, closed, succeeding`;
      break;
    }
    case 'cockatiel': {
      const p = cockatiel(LONG);
      call = () => p.execute(work);
      label = `${PEERS.cockatiel.label}, closed, succeeding`;
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
