import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, CircuitBreakerOpenException } from '../../src';
import { deferred, fail, ok, openTheCircuit, rejectionOf } from '../support/helpers';

describe('CircuitBreaker manual control', () => {
  let clock: sinon.SinonFakeTimers;
  let breaker: CircuitBreaker<never>;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
    breaker = new CircuitBreaker({ failureThreshold: 2, resetTimeout: 1_000 });
  });
  afterEach(() => clock.restore());

  describe('isolate()', () => {
    it('forces the circuit OPEN: calls are refused with retryAfter Infinity, without invoking', async () => {
      breaker.isolate();
      const fn = sinon.stub().resolves('ok');
      clock.tick(1_000_000);
      const error = (await rejectionOf(breaker.call(fn))) as CircuitBreakerOpenException;
      expect(error).to.be.instanceOf(CircuitBreakerOpenException);
      expect(error.retryAfter).to.equal(Infinity);
      expect(fn.called).to.equal(false);
      expect(breaker.state).to.equal('OPEN');
      expect(breaker.stats().isolated).to.equal(true);
    });

    it('is released (CLOSED, count 0) when its handle is disposed', async () => {
      await rejectionOf(breaker.call(fail));
      const handle = breaker.isolate();
      handle.dispose();
      expect(breaker.state).to.equal('CLOSED');
      expect(breaker.stats().consecutiveFailures).to.equal(0);
      const fn = sinon.stub().resolves('ok');
      await breaker.call(fn);
      expect(fn.calledOnce).to.equal(true);
    });

    it('stays isolated until every handle is disposed; disposing twice counts once', () => {
      const first = breaker.isolate();
      const second = breaker.isolate();
      first.dispose();
      first.dispose();
      expect(breaker.state).to.equal('OPEN');
      second.dispose();
      expect(breaker.state).to.equal('CLOSED');
    });

    it('makes an in-flight probe\'s outcome decide nothing', async () => {
      await openTheCircuit(breaker);
      clock.tick(1_000);
      const probe = deferred<string>();
      const result = breaker.call(() => probe.promise);
      const handle = breaker.isolate();
      probe.resolve('ok');
      await result;
      expect(breaker.state).to.equal('OPEN');
      expect(breaker.stats().isolated).to.equal(true);
      handle.dispose();
    });
  });

  describe('reset()', () => {
    it('closes an OPEN circuit and clears the count', async () => {
      await openTheCircuit(breaker);
      breaker.reset();
      expect(breaker.state).to.equal('CLOSED');
      const fn = sinon.stub().resolves('ok');
      await breaker.call(fn);
      expect(fn.calledOnce).to.equal(true);
      await rejectionOf(breaker.call(fail));
      expect(breaker.state).to.equal('CLOSED');
    });

    it('releases every isolation; handles disposed later do nothing', async () => {
      const handle = breaker.isolate();
      breaker.reset();
      expect(breaker.state).to.equal('CLOSED');
      const again = breaker.isolate();
      handle.dispose(); // from before reset(): must not release the new isolation
      expect(breaker.state).to.equal('OPEN');
      again.dispose();
      expect(breaker.state).to.equal('CLOSED');
    });
  });

  describe('disable() / enable()', () => {
    it('disable() lets every call through, even past failureThreshold, still counting stats', async () => {
      breaker.disable();
      for (let i = 0; i < 5; i++) await rejectionOf(breaker.call(fail));
      const fn = sinon.stub().resolves('ok');
      expect(await breaker.call(fn)).to.equal('ok');
      expect(fn.calledOnce).to.equal(true);
      expect(breaker.state).to.equal('CLOSED');
      expect(breaker.stats()).to.include({ disabled: true, failures: 5, successes: 1, calls: 6 });
    });

    it('disable() lets calls through an OPEN circuit', async () => {
      await openTheCircuit(breaker);
      breaker.disable();
      expect(await breaker.call(ok)).to.equal('ok');
    });

    it('enable() resumes CLOSED with a zero count', async () => {
      await rejectionOf(breaker.call(fail));
      breaker.disable();
      breaker.enable();
      expect(breaker.stats()).to.include({ disabled: false, consecutiveFailures: 0, state: 'CLOSED' });
      await rejectionOf(breaker.call(fail));
      expect(breaker.state).to.equal('CLOSED');
      await rejectionOf(breaker.call(fail));
      expect(breaker.state).to.equal('OPEN');
    });

    it('enable() does nothing unless disabled', async () => {
      await openTheCircuit(breaker);
      breaker.enable();
      expect(breaker.state).to.equal('OPEN');
    });
  });
});
