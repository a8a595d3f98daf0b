import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, CircuitBreakerTimeoutException, getCircuitBreaker } from '../../src';
import { untyped } from '../support/decorators';
import { deferred, openTheCircuit, rejectionOf } from '../support/helpers';

/** What guarded functions return or throw when they do not keep the promise contract. */
const thenableFulfilling = (value: unknown) => ({ then: (resolve: (v: unknown) => void) => resolve(value) });
const thenableRejecting = (error: unknown) => ({ then: (_: unknown, reject: (e: unknown) => void) => reject(error) });
const thenGetterThrowing = (error: unknown) => ({
  get then(): never {
    throw error;
  },
});

describe('bad input (gaps the option, state-table and decorator specs leave)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  describe('options out of range or of the wrong type', () => {
    const cases: readonly [string, Record<string, unknown>, typeof TypeError | typeof RangeError, string][] = [
      ['maxResetTimeout negative', { resetTimeout: 0, maxResetTimeout: -1 }, RangeError, 'maxResetTimeout'],
      ['maxResetTimeout NaN', { maxResetTimeout: NaN }, RangeError, 'maxResetTimeout'],
      ['maxResetTimeout Infinity', { maxResetTimeout: Infinity }, RangeError, 'maxResetTimeout'],
      ['backoffMultiplier NaN', { backoffMultiplier: NaN }, RangeError, 'backoffMultiplier'],
      ['backoffMultiplier Infinity', { backoffMultiplier: Infinity }, RangeError, 'backoffMultiplier'],
      ['timeout NaN', { timeout: NaN }, RangeError, 'timeout'],
      ['timeout Infinity', { timeout: Infinity }, RangeError, 'timeout'],
      ['timeout below 1 ms', { timeout: 0.5 }, RangeError, 'timeout'],
      ['logger null', { logger: null }, TypeError, 'logger'],
      ['store not a circuit store', { name: 'shared', store: {} }, TypeError, 'store'],
      ['clock an object', { clock: {} }, TypeError, 'clock'],
      ['name an object', { name: { toString: () => 'x' } }, TypeError, 'name'],
    ];
    for (const [description, options, errorClass, option] of cases) {
      it(`new CircuitBreaker and @CircuitBreaker throw ${errorClass.name} naming ${option} for ${description}`, () => {
        expect(() => new CircuitBreaker(options as never)).to.throw(errorClass, option);
        expect(() => CircuitBreaker(options as never)).to.throw(errorClass, option);
      });
    }

    it('accepts the edges of each range', () => {
      expect(() => new CircuitBreaker({ failureThreshold: 1, resetTimeout: 0, maxResetTimeout: 0, backoffMultiplier: 1, timeout: 1 })).to.not.throw();
      expect(() => new CircuitBreaker({ timeout: 2 ** 31 - 1 })).to.not.throw();
    });

    it('names every known option when one is unknown', () => {
      expect(() => new CircuitBreaker({ treshold: 1 } as never)).to.throw(TypeError, /unknown circuit breaker option "treshold" \(known options: failureThreshold, resetTimeout, name/);
    });
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
  const ways: readonly { readonly name: string; make(): { readonly breaker: CircuitBreaker<unknown>; call(fn: () => unknown): Promise<unknown> } }[] = [
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

  for (const way of ways) {
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

  describe('with a timeout, an outcome after the timeout', () => {
    for (const outcome of ['fulfils', 'rejects'] as const) {
      it(`${outcome}: the caller already has the timeout; the outcome is late and decides nothing`, async () => {
        const breaker = new CircuitBreaker({ failureThreshold: 5, timeout: 100 });
        const slow = deferred<string>();
        const promise = breaker.call(() => slow.promise);
        clock.tick(100);
        expect(await rejectionOf(promise)).to.be.instanceOf(CircuitBreakerTimeoutException);
        if (outcome === 'fulfils') slow.resolve('too late');
        else slow.reject(new Error('too late'));
        await clock.tickAsync(0);
        const stats = breaker.stats();
        expect([stats.timeouts, stats.failures, stats.successes, stats.lateOutcomes, stats.consecutiveFailures]).to.deep.equal([1, 1, 0, 1, 1]);
      });
    }
  });
});
