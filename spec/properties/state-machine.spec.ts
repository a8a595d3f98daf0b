import fc from 'fast-check';
import sinon from 'sinon';
import { CircuitBreaker, getCircuitBreaker } from '../../src';
import { fcParameters, isFailure, runModel, stepArbitrary, type Target } from './harness';
import { BreakerModel } from './model';

/** A class of the spec's own: the model drives its decorated methods, so the decorator path is what is checked. */
class Guarded {
  @CircuitBreaker({ failureThreshold: 2, resetTimeout: 500, isFailure })
  run(fn: () => unknown): Promise<unknown> {
    return fn() as Promise<unknown>;
  }

  @CircuitBreaker({ failureThreshold: 3, resetTimeout: 10, isFailure })
  static run(fn: () => unknown): Promise<unknown> {
    return fn() as Promise<unknown>;
  }
}

describe(`model-based: the state table against a reference model (fast-check, seed ${String(fcParameters.seed)}, ${String(fcParameters.numRuns)} runs)`, () => {
  const steps = (manual: boolean) => fc.array(stepArbitrary(manual), { minLength: 1, maxLength: 60 });

  it('breaker.call: random calls, settlements, bursts and clock steps', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.constantFrom(0, 10, 1_000), steps(false), async (threshold, resetTimeout, run) => {
        let now = 5_000;
        const breaker = new CircuitBreaker({ failureThreshold: threshold, resetTimeout, isFailure, clock: () => now });
        const target: Target = {
          breaker,
          invoke: (fn) => breaker.call(fn as () => Promise<unknown>),
          now: () => now,
          advance: (ms) => (now += ms),
        };
        await runModel(target, new BreakerModel({ failureThreshold: threshold, resetTimeout }), run);
      }),
      fcParameters,
    );
  });

  it('breaker.call: with manual control (isolate/dispose, reset, disable/enable)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.constantFrom(0, 10, 1_000), steps(true), async (threshold, resetTimeout, run) => {
        let now = 0;
        const breaker = new CircuitBreaker({ failureThreshold: threshold, resetTimeout, isFailure, clock: () => now });
        const target: Target = {
          breaker,
          invoke: (fn) => breaker.call(fn as () => Promise<unknown>),
          now: () => now,
          advance: (ms) => (now += ms),
        };
        await runModel(target, new BreakerModel({ failureThreshold: threshold, resetTimeout }), run);
      }),
      fcParameters,
    );
  });

  describe('through a decorated method, the clock driven by sinon fake timers', () => {
    let clock: sinon.SinonFakeTimers;
    beforeEach(() => {
      clock = sinon.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
    });
    afterEach(() => clock.restore());

    it('an instance method (one breaker per method, shared by instances)', async () => {
      const breaker = getCircuitBreaker(Guarded.prototype, 'run');
      await fc.assert(
        fc.asyncProperty(steps(true), async (run) => {
          breaker.reset();
          const instance = new Guarded();
          const target: Target = {
            breaker,
            invoke: (fn) => instance.run(fn),
            now: () => Date.now(),
            advance: (ms) => clock.tick(ms),
          };
          await runModel(target, new BreakerModel({ failureThreshold: 2, resetTimeout: 500 }), run);
        }),
        fcParameters,
      );
    });

    it('a static method', async () => {
      const breaker = getCircuitBreaker(Guarded, 'run');
      await fc.assert(
        fc.asyncProperty(steps(true), async (run) => {
          breaker.reset();
          const target: Target = {
            breaker,
            invoke: (fn) => Guarded.run(fn),
            now: () => Date.now(),
            advance: (ms) => clock.tick(ms),
          };
          await runModel(target, new BreakerModel({ failureThreshold: 3, resetTimeout: 10 }), run);
        }),
        fcParameters,
      );
    });
  });
});
