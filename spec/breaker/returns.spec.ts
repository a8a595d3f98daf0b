import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, getCircuitBreaker } from '../../src';
import { untyped } from '../support/decorators';
import { openTheCircuit, rejectionOf } from '../support/helpers';

/** What guarded functions return or throw when they do not keep the promise contract. */
const thenableFulfilling = (value: unknown) => ({ then: (resolve: (v: unknown) => void) => resolve(value) });
const thenableRejecting = (error: unknown) => ({ then: (_: unknown, reject: (e: unknown) => void) => reject(error) });
const thenGetterThrowing = (error: unknown) => ({
  get then(): never {
    throw error;
  },
});

/**
 * What a guarded function may return or throw, and what `breaker.call` is given, on the plain path
 * (src/breaker/breaker.ts) and on the guarded one (src/breaker/guarded-call.ts: timeout, fallbackOnFailure).
 */
describe('breaker: what the function returns', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  const ways = [
    { name: 'the plain path', make: () => new CircuitBreaker({ failureThreshold: 2 }) },
    { name: 'a timeout', make: () => new CircuitBreaker({ failureThreshold: 2, timeout: 1_000 }) },
    {
      name: 'fallbackOnFailure',
      make: () => new CircuitBreaker({ failureThreshold: 2, fallback: (error: unknown) => ({ fellBack: error }), fallbackOnFailure: true }),
    },
  ];

  for (const way of ways) {
    describe(`through ${way.name}`, () => {
      it('adopts a thenable that is a function (a callable thenable)', async () => {
        const breaker = way.make();
        const thenable = Object.assign(() => undefined, { then: (resolve: (value: string) => void) => resolve('called back') });
        expect(await breaker.call(() => thenable as unknown as PromiseLike<string>)).to.equal('called back');
        expect(breaker.stats()).to.include({ successes: 1, failures: 0 });
      });

      it('rejects a function that returns null with the TypeError naming the breaker and what it returned', async () => {
        const breaker = way.make();
        const outcome = await breaker.call(() => null as never).then(
          (value: unknown) => (value as { fellBack: unknown }).fellBack,
          (error: unknown) => error,
        );
        expect(outcome).to.be.instanceOf(TypeError);
        expect((outcome as TypeError).message).to.equal(
          'circuit breaker "circuit-breaker" guards functions that return a promise, but the function returned null',
        );
        expect(breaker.stats().failures).to.equal(1);
      });

      it('rejects a function that returns a function without then as not a promise', async () => {
        const breaker = way.make();
        const outcome = await breaker.call(() => (() => 'no then') as never).then(
          (value: unknown) => (value as { fellBack: unknown }).fellBack,
          (error: unknown) => error,
        );
        expect((outcome as TypeError).message).to.contain('but the function returned function');
      });
    });
  }

  it('a timed call whose promise fulfils in time returns its value and counts one success', async () => {
    const breaker = new CircuitBreaker({ timeout: 1_000 });
    const value = { id: 1 };
    expect(await breaker.call(() => Promise.resolve(value))).to.equal(value);
    await clock.tickAsync(5_000);
    expect(breaker.stats()).to.include({ successes: 1, timeouts: 0, lateOutcomes: 0 });
    expect(await rejectionOf(breaker.call(() => Promise.reject(new Error('x'))))).to.have.property('message', 'x');
  });

  describe('breaker.call with something that is not a function', () => {
    for (const notAFunction of [undefined, null, 42, 'fetchUser', {}]) {
      it(`rejects ${String(notAFunction)} with a TypeError naming the breaker, counting nothing`, async () => {
        const breaker = new CircuitBreaker({ name: 'api', failureThreshold: 1 });
        const error = await rejectionOf(breaker.call(notAFunction as never));
        expect(error).to.be.instanceOf(TypeError);
        expect((error as Error).message).to.contain('"api"').and.to.contain('needs a function');
        const stats = breaker.stats();
        expect([stats.calls, stats.failures, stats.refusals, stats.state]).to.deep.equal([0, 0, 0, 'CLOSED']);
      });
    }

    it('is a TypeError even while the circuit is open (a misuse, not a refusal)', async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 1 });
      await openTheCircuit(breaker);
      expect(await rejectionOf(breaker.call(undefined as never))).to.be.instanceOf(TypeError);
      expect(breaker.stats().refusals).to.equal(0);
    });
  });

  // Each kind of function runs three ways: breaker.call, a guarded breaker (timeout), and a decorated method.
  const contractWays: readonly { readonly name: string; make(): { readonly breaker: CircuitBreaker<unknown>; call(fn: () => unknown): Promise<unknown> } }[] = [
    {
      name: 'breaker.call',
      make() {
        const breaker = new CircuitBreaker({ name: 'plain', failureThreshold: 2 });
        return { breaker, call: (fn) => breaker.call(fn as () => Promise<unknown>) };
      },
    },
    {
      name: 'breaker.call with a timeout',
      make() {
        const breaker = new CircuitBreaker({ name: 'timed', failureThreshold: 2, timeout: 1_000 });
        return { breaker, call: (fn) => breaker.call(fn as () => Promise<unknown>) };
      },
    },
    {
      name: 'a decorated method',
      make() {
        class Service {
          @untyped(CircuitBreaker({ failureThreshold: 2, scope: 'instance' }))
          run(fn: () => unknown): unknown {
            return fn();
          }
        }
        const service = new Service();
        return { breaker: getCircuitBreaker(service, 'run'), call: (fn) => service.run(fn) as Promise<unknown> };
      },
    },
  ];

  for (const way of contractWays) {
    describe(`functions that break the promise contract, through ${way.name}`, () => {
      for (const [label, value] of [['null', null], ['undefined', undefined]] as const) {
        it(`re-raises a rejection with ${label} unchanged, and counts it (twice trips the circuit)`, async () => {
          const { breaker, call } = way.make();
          const first = call(() => Promise.reject(value));
          expect(await rejectionOf(first)).to.equal(value);
          expect(await rejectionOf(call(() => thenableRejecting(value)))).to.equal(value);
          expect(breaker.stats().failures).to.equal(2);
          expect(breaker.state).to.equal('OPEN');
        });

        it(`re-raises a synchronous throw of ${label} unchanged, as a rejection`, async () => {
          const { breaker, call } = way.make();
          let promise: Promise<unknown> | undefined;
          expect(() => {
            promise = call(() => {
              throw value;
            });
          }).to.not.throw();
          expect(await rejectionOf(promise!)).to.equal(value);
          expect(breaker.stats().failures).to.equal(1);
        });
      }

      it('adopts a thenable: its value is returned, a success counted', async () => {
        const { breaker, call } = way.make();
        const value = { id: 1 };
        const promise = call(() => thenableFulfilling(value));
        expect(promise).to.be.instanceOf(Promise);
        expect(await promise).to.equal(value);
        expect(breaker.stats().successes).to.equal(1);
      });

      it('rejects (never throws synchronously) when the returned object\'s then getter throws, and counts it', async () => {
        const { breaker, call } = way.make();
        const error = new Error('then getter');
        let promise: Promise<unknown> | undefined;
        expect(() => (promise = call(() => thenGetterThrowing(error)))).to.not.throw();
        expect(await rejectionOf(promise!)).to.equal(error);
        expect(breaker.stats().failures).to.equal(1);
      });

      for (const [label, value] of [['a number', 42], ['undefined', undefined], ['a plain object', { then: 'not a function' }]] as const) {
        it(`rejects a function that returns ${label} with a TypeError naming the breaker, counted as a failure`, async () => {
          const { breaker, call } = way.make();
          const error = (await rejectionOf(call(() => value))) as TypeError;
          expect(error).to.be.instanceOf(TypeError);
          expect(error.message).to.contain(`"${breaker.name}"`).and.to.contain('guards functions that return a promise');
          expect(breaker.stats().failures).to.equal(1);
        });
      }
    });
  }
});
