import { expect } from 'chai';
import fc from 'fast-check';
import sinon from 'sinon';
import { CircuitBreaker, getCircuitBreaker } from '../../src';
import { fcParameters, isFailure, runModel, type Target } from './harness';
import { BreakerModel, type ModelOptions } from './model';
import { anyRule, consecutiveRule, countWindowRule, timeWindowRule, tripOptions, tripSteps as steps } from './trip-arbitraries';

/**
 * The trip rules of issue 15 against the reference model: random option sets
 * (the consecutive rule, a failure rate over a count window or a time window
 * with random thresholds, sizes and minimums, slow calls, 1..4 probes, a
 * backoff) and random command lists, through `breaker.call` and decorated
 * methods. After every step: state, counters, `window`, `failureRate`,
 * `slowCallRate`, `consecutiveFailures`, the wait, each call's admission (and
 * retryAfter) and outcome, every open event (its reason) and state change.
 */

/**
 * What the runs of a property got to, so that a generator that stops reaching a rule fails loudly. Checked
 * at the default 200 runs or more (the mutation runs use fewer, and would reach less).
 */
class Reached {
  private readonly seen = new Map<string, number>();

  note(model: BreakerModel): void {
    for (const { reason } of model.openings) this.add(`open:${reason}`);
    if (model.probes > 1) {
      for (const change of model.changes) if (change === 'HALF_OPEN>CLOSED:probe-succeeded') this.add(`closed after ${model.probes} probes`);
    }
  }

  private add(what: string): void {
    this.seen.set(what, (this.seen.get(what) ?? 0) + 1);
  }

  expect(...what: readonly string[]): void {
    if ((fcParameters.numRuns ?? 100) < 200) return;
    for (const one of what) expect(this.seen.get(one) ?? 0, `times the runs reached ${one}: ${JSON.stringify([...this.seen])}`).to.be.greaterThan(0);
  }
}

/** A breaker on its own clock, driven through `breaker.call`. */
function plainTarget(options: ModelOptions, start: number): Target {
  let now = start;
  const breaker = new CircuitBreaker({ ...options, isFailure, clock: () => now });
  return {
    breaker,
    invoke: (fn) => breaker.call(fn as () => Promise<unknown>),
    now: () => now,
    advance: (ms) => (now += ms),
  };
}

/** A class of the spec's own, made for each option set: its decorated methods are what is checked. */
function guardedClass(options: ModelOptions) {
  class Guarded {
    @CircuitBreaker({ ...options, isFailure })
    run(fn: () => unknown): Promise<unknown> {
      return fn() as Promise<unknown>;
    }

    @CircuitBreaker({ ...options, isFailure })
    static run(fn: () => unknown): Promise<unknown> {
      return fn() as Promise<unknown>;
    }
  }
  return Guarded;
}

describe(`model-based: the trip rules against a reference model (fast-check, seed ${String(fcParameters.seed)}, ${String(fcParameters.numRuns)} runs)`, () => {
  const start = fc.oneof(fc.constantFrom(0, 5_000), fc.nat(1_000_000));

  async function checkPlain(rule: fc.Arbitrary<ModelOptions>, reached: Reached): Promise<void> {
    await fc.assert(
      fc.asyncProperty(tripOptions(rule), start, steps, async (options, at, run) => {
        const model = new BreakerModel(options);
        await runModel(plainTarget(options, at), model, run);
        reached.note(model);
      }),
      fcParameters,
    );
  }

  describe('breaker.call, on the clock option', () => {
    it('the consecutive rule, with 1..4 probes and a backoff', async () => {
      const reached = new Reached();
      await checkPlain(consecutiveRule, reached);
      reached.expect('open:threshold', 'open:probe-failed', 'closed after 2 probes', 'closed after 4 probes');
    });

    it('a failure rate over a count window (random threshold, calls, minimumCalls; slow calls)', async () => {
      const reached = new Reached();
      await checkPlain(countWindowRule, reached);
      reached.expect('open:failure-rate', 'open:slow-calls', 'open:probe-failed', 'closed after 3 probes');
    });

    it('a failure rate over a time window (random threshold, duration, buckets, minimumCalls; slow calls)', async () => {
      const reached = new Reached();
      await checkPlain(timeWindowRule, reached);
      reached.expect('open:failure-rate', 'open:slow-calls', 'open:probe-failed', 'closed after 3 probes');
    });
  });

  describe('through decorated methods (a class per option set), the clock driven by sinon fake timers', () => {
    let clock: sinon.SinonFakeTimers;
    beforeEach(() => {
      clock = sinon.useFakeTimers({ now: 0, toFake: ['Date'] });
    });
    afterEach(() => clock.restore());

    const sinonTarget = (breaker: CircuitBreaker<unknown>, invoke: Target['invoke']): Target => ({
      breaker,
      invoke,
      now: () => Date.now(),
      advance: (ms) => clock.tick(ms),
    });

    it('an instance method, any rule', async () => {
      const reached = new Reached();
      await fc.assert(
        fc.asyncProperty(tripOptions(anyRule), start, steps, async (options, at, run) => {
          clock.setSystemTime(at);
          const Guarded = guardedClass(options);
          const instance = new Guarded();
          const model = new BreakerModel(options);
          await runModel(sinonTarget(getCircuitBreaker(instance, 'run'), (fn) => instance.run(fn)), model, run);
          reached.note(model);
        }),
        fcParameters,
      );
      reached.expect('open:threshold', 'open:failure-rate', 'open:slow-calls', 'open:probe-failed');
    });

    it('a static method, any rule', async () => {
      const reached = new Reached();
      await fc.assert(
        fc.asyncProperty(tripOptions(anyRule), start, steps, async (options, at, run) => {
          clock.setSystemTime(at);
          const Guarded = guardedClass(options);
          const model = new BreakerModel(options);
          await runModel(sinonTarget(getCircuitBreaker(Guarded, 'run'), (fn) => Guarded.run(fn)), model, run);
          reached.note(model);
        }),
        fcParameters,
      );
      reached.expect('open:threshold', 'open:failure-rate', 'open:slow-calls', 'open:probe-failed');
    });
  });
});
