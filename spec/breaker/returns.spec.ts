import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker } from '../../src';
import { rejectionOf } from '../support/helpers';

/** What a guarded function may return, on the plain path and on the guarded one (timeout, fallbackOnFailure). */
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
});
