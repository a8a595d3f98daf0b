import { expect } from 'chai';
import fc from 'fast-check';
import sinon from 'sinon';
import { CircuitBreaker, CircuitBreakerTimeoutException, isCircuitBreakerTimeoutException } from '../../src';

/** One call of a schedule: when it starts (ms after the one before), and when its function settles, if ever. */
interface PlannedCall {
  readonly gap: number;
  readonly settlesAfter: number | null;
  readonly fails: boolean;
}

/** What the caller saw. */
interface Seen {
  at: number;
  value?: unknown;
  error?: unknown;
  signal?: AbortSignal;
}

/**
 * The deadlines of calls with a `timeout` (src/breaker/guarded-call.ts `Deadlines`): one timer
 * and one queue serve every pending call of a breaker, calls of one millisecond share a signal.
 * Whatever the schedule (bursts, pauses longer than the timeout, calls that never settle, outcomes
 * after the deadline), each caller gets its function's outcome if it came within `timeout`, else
 * the timeout exactly `timeout` ms after it started; a late outcome is counted as late, once; and
 * when every call has settled no timer keeps the process alive.
 */
describe('property: timeouts, whatever the schedule of calls', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 0 });
  });
  afterEach(() => clock.restore());

  const timeouts = fc.integer({ min: 1, max: 40 });
  const schedule = (timeout: number) =>
    fc.array(
      fc.record({
        gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: timeout * 3 })),
        // Never exactly at the deadline: which of two timers due at one instant fires first is the fake clock's choice.
        settlesAfter: fc.option(fc.integer({ min: 0, max: timeout * 2 }).filter((ms) => ms !== timeout), { nil: null }),
        fails: fc.boolean(),
      }),
      { minLength: 1, maxLength: 60 },
    );

  async function run(timeout: number, plan: readonly PlannedCall[]): Promise<void> {
    const breaker = new CircuitBreaker({ name: 'scheduled', failureThreshold: 1_000_000, timeout });
    const seen: Seen[] = [];
    const startedAt: number[] = [];
    for (const [i, call] of plan.entries()) {
      await clock.tickAsync(call.gap);
      startedAt.push(Date.now());
      const record: Seen = { at: -1 };
      seen.push(record);
      const outcome = breaker.call((signal?: AbortSignal) => {
        record.signal = signal;
        return new Promise((resolve, reject) => {
          if (call.settlesAfter === null) return;
          setTimeout(() => (call.fails ? reject(new Error(`call ${i} failed`)) : resolve(i)), call.settlesAfter);
        });
      });
      outcome.then(
        (value) => Object.assign(record, { at: Date.now(), value }),
        (error) => Object.assign(record, { at: Date.now(), error }),
      );
    }
    await clock.tickAsync(timeout * 3 + 1);

    let timedOut = 0;
    let late = 0;
    for (const [i, call] of plan.entries()) {
      const got = seen[i]!;
      const inTime = call.settlesAfter !== null && call.settlesAfter < timeout;
      if (inTime) {
        expect(got.at, `call ${i} settles when its function does`).to.equal(startedAt[i]! + call.settlesAfter!);
        if (call.fails) expect((got.error as Error).message).to.equal(`call ${i} failed`);
        else expect(got.value).to.equal(i);
      } else {
        timedOut++;
        if (call.settlesAfter !== null) late++;
        expect(got.at, `call ${i} times out ${timeout} ms after it started`).to.equal(startedAt[i]! + timeout);
        expect(got.error).to.be.instanceOf(CircuitBreakerTimeoutException);
        expect(got.signal!.aborted, `call ${i}'s signal is aborted`).to.equal(true);
        expect(isCircuitBreakerTimeoutException(got.signal!.reason)).to.equal(true);
      }
      // The signal is shared by the calls that started in the same millisecond, and aborted only if one of them timed out.
      const sameMillisecond = plan.map((_, j) => j).filter((j) => startedAt[j] === startedAt[i]);
      const anyTimedOut = sameMillisecond.some((j) => !(plan[j]!.settlesAfter !== null && plan[j]!.settlesAfter! < timeout));
      expect(got.signal!.aborted, `call ${i}'s signal`).to.equal(anyTimedOut);
      for (const j of sameMillisecond) expect(seen[j]!.signal).to.equal(got.signal);
    }
    const stats = breaker.stats();
    expect({ timeouts: stats.timeouts, lateOutcomes: stats.lateOutcomes, calls: stats.calls }).to.deep.equal({
      timeouts: timedOut,
      lateOutcomes: late,
      calls: plan.length,
    });
    expect(stats.failures).to.equal(timedOut + plan.filter((c) => c.fails && c.settlesAfter !== null && c.settlesAfter < timeout).length);
    // Everything settled: the breaker's timer, if any is left, fires once more and is not armed again.
    await clock.tickAsync(timeout + 1);
    expect(clock.countTimers()).to.equal(0);
  }

  it('each caller gets its outcome within the timeout, else the timeout at its deadline; late outcomes counted once', async () => {
    await fc.assert(
      fc.asyncProperty(
        timeouts.chain((timeout) => fc.tuple(fc.constant(timeout), schedule(timeout))),
        async ([timeout, plan]) => {
          await run(timeout, plan);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('holds across the queue being compacted: 3,000 calls, one pending throughout, every third timing out', async () => {
    const plan: PlannedCall[] = Array.from({ length: 3_000 }, (_, i) => ({
      gap: i % 7 === 0 ? 1 : 0,
      settlesAfter: i % 3 === 0 ? null : i % 3 === 1 ? 5 : 25,
      fails: i % 5 === 0,
    }));
    await run(20, plan);
  });

  it('a call started by a timed-out call\'s listener gets its own deadline', async () => {
    const breaker = new CircuitBreaker({ name: 'reentrant', failureThreshold: 1_000, timeout: 10 });
    const hang = (): Promise<string> => new Promise(() => undefined);
    const errors: { at: number; error: unknown }[] = [];
    let started = false;
    breaker.onFailure(() => {
      if (started) return;
      started = true;
      // Started while the timer's callback times calls out: armed by it when it ends, once.
      breaker.call(hang).catch((error: unknown) => errors.push({ at: Date.now(), error }));
    });
    const first = breaker.call(hang).catch((error: unknown) => errors.push({ at: Date.now(), error }));
    const second = breaker.call(hang).catch((error: unknown) => errors.push({ at: Date.now(), error }));
    await clock.tickAsync(10);
    await Promise.all([first, second]);
    expect(errors.map((e) => e.at)).to.deep.equal([10, 10]);
    expect(clock.countTimers()).to.equal(1);
    await clock.tickAsync(10);
    expect(errors.map((e) => e.at)).to.deep.equal([10, 10, 20]);
    expect(errors.every((e) => isCircuitBreakerTimeoutException(e.error))).to.equal(true);
    await clock.tickAsync(10);
    expect(clock.countTimers()).to.equal(0);
  });
});
