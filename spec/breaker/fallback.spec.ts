import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, CircuitBreakerOpenException } from '../../src';
import { fail, rejectionOf } from '../support/helpers';

describe('CircuitBreaker fallback option', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  describe('without fallbackOnFailure', () => {
    it('returns the fallback\'s result instead of a refusal, called with the exception and the arguments', async () => {
      const cached = { id: 'cached' };
      const fallback = sinon.stub().returns(cached);
      const breaker = new CircuitBreaker({ failureThreshold: 1, fallback });
      await rejectionOf(breaker.call(fail));
      const fn = sinon.stub().resolves({ id: 'fresh' });
      expect(await breaker.call(fn, 'id-1', 2)).to.equal(cached);
      expect(fn.called).to.equal(false);
      expect(fallback.calledOnce).to.equal(true);
      expect(fallback.firstCall.args[0]).to.be.instanceOf(CircuitBreakerOpenException);
      expect(fallback.firstCall.args.slice(1)).to.deep.equal(['id-1', 2]);
      expect(breaker.stats()).to.include({ fallbacks: 1, refusals: 1 });
    });

    it('re-raises a failure unchanged (the fallback is for refusals)', async () => {
      const fallback = sinon.stub().returns('cached');
      const breaker = new CircuitBreaker({ fallback });
      const error = new Error('down');
      expect(await rejectionOf(breaker.call(() => Promise.reject(error)))).to.equal(error);
      expect(fallback.called).to.equal(false);
    });

    it('returns a success unchanged', async () => {
      const breaker = new CircuitBreaker({ fallback: () => 'cached' });
      const value = { id: 1 };
      expect(await breaker.call(() => Promise.resolve(value))).to.equal(value);
    });

    it('rejects with what the fallback throws or rejects with', async () => {
      const thrown = new Error('no cache');
      const breaker = new CircuitBreaker({ failureThreshold: 1, fallback: () => { throw thrown; } });
      await rejectionOf(breaker.call(fail));
      expect(await rejectionOf(breaker.call(() => Promise.resolve(1)))).to.equal(thrown);

      const rejecting = new CircuitBreaker({ failureThreshold: 1, fallback: () => Promise.reject('no cache') });
      await rejectionOf(rejecting.call(fail));
      expect(await rejectionOf(rejecting.call(() => Promise.resolve(1)))).to.equal('no cache');
    });
  });

  describe('with fallbackOnFailure', () => {
    it('returns the fallback\'s result instead of the failure, still counting the failure', async () => {
      const fallback = sinon.stub().resolves('cached');
      const breaker = new CircuitBreaker({ failureThreshold: 2, fallback, fallbackOnFailure: true });
      const error = new Error('down');
      expect(await breaker.call((_id: string) => Promise.reject(error), 'id-1')).to.equal('cached');
      expect(fallback.firstCall.args).to.deep.equal([error, 'id-1']);
      expect(fallback.firstCall.args[0]).to.equal(error);
      expect(breaker.stats()).to.include({ failures: 1, consecutiveFailures: 1 });
      await breaker.call(() => Promise.reject(error));
      expect(breaker.state).to.equal('OPEN');
    });

    it('also covers a synchronous throw', async () => {
      const breaker = new CircuitBreaker({ fallback: (error: unknown) => `fallback for ${String(error)}`, fallbackOnFailure: true });
      const fn = (): Promise<string> => {
        throw 'sync';
      };
      expect(await breaker.call(fn)).to.equal('fallback for sync');
    });
  });
});
