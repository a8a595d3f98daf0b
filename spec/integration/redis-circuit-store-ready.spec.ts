import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import sinon from 'sinon';
import { RedisCircuitStore } from '../../src/redis';
import { findFreePort, RedisServer, requireRedisServer } from '../support/redis-server';

// Real time, real redis-server. An app awaits ready() at start-up: it must get an answer within the
// store's connect timeout whether Redis is up, down (nothing listening) or hung (SIGSTOP: the kernel accepts
// the connection, nothing answers), and must not be kept alive by it afterwards.
const COMMAND_TIMEOUT = 250;
/** The default bound: the connect timeout the store gives ioredis, Math.max(1000, commandTimeout). */
const BOUND = Math.max(1000, COMMAND_TIMEOUT);
/** Timer and event-loop slack on a loaded 2-core machine. */
const SLACK = 300;
const CHILD = join(__dirname, 'ready-child.ts');

interface ChildResult {
  readonly ready: boolean;
  /** ms ready() took, measured in the child. */
  readonly elapsed: number;
  /** ms from the child's answer to its exit (after store.close()). */
  readonly exitAfter: number;
  readonly code: number | null;
}

/** Runs ready-child.ts; rejects if it has not exited by itself within `deadline` ms (it is then killed). */
function runChild(args: readonly string[], deadline: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register', CHILD, ...args], {
      env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.json', TS_NODE_TRANSPILE_ONLY: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let answeredAt: number | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (answeredAt === undefined && stdout.includes('\n')) answeredAt = performance.now();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ready-child ${args.join(' ')} still running after ${deadline} ms (answered: ${stdout.trim() || 'nothing'})\n${stderr}`));
    }, deadline);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (answeredAt === undefined) return reject(new Error(`ready-child exited (${code}) without an answer\n${stderr}`));
      const { ready, elapsed } = JSON.parse(stdout) as { ready: boolean; elapsed: number };
      resolve({ ready, elapsed, exitAfter: performance.now() - answeredAt, code });
    });
  });
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

/**
 * Watches the timers armed for `ms` (ioredis arms its own meanwhile, so counting every pending timer would be
 * noise): `armed()` lists them, `pending()` those not cleared (a 60 s timer does not fire within a spec).
 */
function watchTimers(ms: number): { armed: () => NodeJS.Timeout[]; pending: () => NodeJS.Timeout[] } {
  const set = sinon.spy(globalThis, 'setTimeout');
  const clear = sinon.spy(globalThis, 'clearTimeout');
  const armed = () => set.getCalls().filter((call) => call.args[1] === ms).map((call) => call.returnValue as unknown as NodeJS.Timeout);
  const cleared = (timer: NodeJS.Timeout) => clear.getCalls().some((call) => call.args[0] === timer);
  return { armed, pending: () => armed().filter((timer) => !cleared(timer)) };
}

describe('RedisCircuitStore#ready() against a real redis-server', function () {
  this.timeout(20_000);
  let server: RedisServer | undefined;
  let deadPort: number;
  let store: RedisCircuitStore | undefined;
  /** ms, printed at the end for the README and the report. */
  const figures: Record<string, number> = {};

  before(async function () {
    requireRedisServer(this);
    server = await RedisServer.start();
    deadPort = await findFreePort();
  });

  after(async () => {
    await server?.close();
    const line = Object.entries(figures)
      .map(([what, ms]) => `${what} ${ms.toFixed(0)} ms`)
      .join(', ');
    if (line !== '') console.log(`      ready(): ${line} (bound ${BOUND} ms)`);
  });

  afterEach(async () => {
    sinon.restore();
    server?.resume();
    await store?.close();
    store = undefined;
  });

  it('resolves true once both connections are ready, and again at once when asked later', async () => {
    store = new RedisCircuitStore({ url: server!.url, commandTimeout: COMMAND_TIMEOUT });
    const timers = watchTimers(60_000);
    const first = await timed(() => store!.ready(60_000));
    expect(first.value).to.equal(true);
    expect(first.ms).to.be.below(BOUND);
    figures['live'] = first.ms;
    expect(timers.armed(), 'ready() waited on a timer').to.have.length(1);
    expect(timers.pending(), 'and cleared it').to.deep.equal([]);
    expect(await store.ready(60_000)).to.equal(true);
    expect(timers.armed(), 'no timer once both are ready').to.have.length(1);
  });

  it('resolves false within the connect timeout when nothing listens on the port', async () => {
    store = new RedisCircuitStore({ url: `redis://127.0.0.1:${deadPort}`, commandTimeout: COMMAND_TIMEOUT });
    const { value, ms } = await timed(() => store!.ready());
    expect(value).to.equal(false);
    expect(ms).to.be.within(BOUND - 5, BOUND + SLACK);
    figures['nothing listening'] = ms;
    expect(store.available).to.equal(false);
  });

  it('resolves false within the connect timeout against a hung server (SIGSTOP), then true once it answers', async () => {
    server!.pause();
    store = new RedisCircuitStore({ url: server!.url, commandTimeout: COMMAND_TIMEOUT });
    const { value, ms } = await timed(() => store!.ready());
    expect(value).to.equal(false);
    expect(ms).to.be.within(BOUND - 5, BOUND + SLACK);
    figures['hung (SIGSTOP)'] = ms;
    server!.resume();
    // The store reconnects by itself (its connect timeout gave up the hung attempt); ready() now sees it.
    expect(await store.ready(5_000)).to.equal(true);
  });

  it('takes a timeout of its own, and rejects one that is not a finite number >= 0', async () => {
    store = new RedisCircuitStore({ url: `redis://127.0.0.1:${deadPort}`, commandTimeout: COMMAND_TIMEOUT });
    const { value, ms } = await timed(() => store!.ready(100));
    expect(value).to.equal(false);
    expect(ms).to.be.within(95, 100 + SLACK);
    for (const bad of [-1, Number.NaN, Infinity, '100' as unknown as number]) {
      const error = await store.ready(bad).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, String(bad)).to.be.instanceOf(RangeError);
      expect(String(error)).to.match(/ready\(\) timeout/);
    }
  });

  it('bounds itself by the connect timeout in effect: redisOptions.connectTimeout when set', async () => {
    store = new RedisCircuitStore({ url: `redis://127.0.0.1:${deadPort}`, redisOptions: { connectTimeout: 400 } });
    const { value, ms } = await timed(() => store!.ready());
    expect(value).to.equal(false);
    expect(ms).to.be.within(395, 400 + SLACK);
  });

  it('resolves false at once when the store is closed, before or while waiting, leaving no timer', async () => {
    store = new RedisCircuitStore({ url: `redis://127.0.0.1:${deadPort}`, commandTimeout: COMMAND_TIMEOUT });
    const timers = watchTimers(60_000);
    const waiting = timed(() => store!.ready(60_000));
    expect(timers.pending(), 'ready() waits on one timer').to.have.length(1);
    await store.close();
    const { value, ms } = await waiting;
    expect(value).to.equal(false);
    expect(ms).to.be.below(SLACK);
    expect(timers.pending(), 'its timer is cleared').to.deep.equal([]);
    expect(await store.ready(60_000)).to.equal(false);
    expect(timers.armed(), 'a closed store answers without a timer').to.have.length(1);
  });

  describe('an app awaiting it at start-up, in a process of its own, exits by itself afterwards', () => {
    // Each child loads ts-node (a second or two on a loaded machine); the three run side by side.
    let results: Record<'live' | 'nothing listening' | 'hung (SIGSTOP)', ChildResult>;
    let hung: RedisServer | undefined;

    before(async function () {
      this.timeout(30_000);
      hung = await RedisServer.start();
      hung.pause();
      const deadline = 20_000;
      const [live, dead, frozen] = await Promise.all([
        // A generous timeout of its own: a timer it failed to clear would hold the child for a minute.
        runChild([server!.url, '60000'], deadline),
        runChild([`redis://127.0.0.1:${deadPort}`], deadline),
        runChild([hung.url], deadline),
      ]);
      results = { live: live!, 'nothing listening': dead!, 'hung (SIGSTOP)': frozen! };
    });

    after(async () => {
      await hung?.close();
    });

    for (const [what, ready] of [
      ['live', true],
      ['nothing listening', false],
      ['hung (SIGSTOP)', false],
    ] as const) {
      it(`${what}: ready() resolves ${ready}, and the process exits once the store is closed`, () => {
        const result = results[what];
        figures[`child ${what}`] = result.elapsed;
        figures[`child ${what}: exit after`] = result.exitAfter;
        expect(result.ready).to.equal(ready);
        expect(result.code).to.equal(0);
        expect(result.elapsed).to.be.below(ready ? BOUND : BOUND + SLACK);
        if (!ready) expect(result.elapsed).to.be.at.least(BOUND - 5);
        // close() ends the connections at once (disconnectTimeout: commandTimeout); nothing else holds the process.
        expect(result.exitAfter).to.be.below(COMMAND_TIMEOUT + 2 * SLACK);
      });
    }

    it('closed while waiting: ready() resolves false at once and the process exits', async () => {
      const result = await runChild([`redis://127.0.0.1:${deadPort}`, '60000', '200'], 20_000);
      expect(result.ready).to.equal(false);
      expect(result.elapsed).to.be.within(195, 200 + SLACK);
      expect(result.exitAfter).to.be.below(COMMAND_TIMEOUT + 2 * SLACK);
    });
  });
});
