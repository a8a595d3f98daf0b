import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, CircuitBreakerOpenException } from '../../src';
import { changesOf, deferred, fail, ok, openTheCircuit, rejectionOf } from '../support/helpers';

/** isolate(), reset(), disable() and enable() (src/breaker/breaker.ts), and where a release leads (afterRelease in src/breaker/rules.ts). */
describe('manual control', () => {
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

    it('isolating twice reports one transition', () => {
      const breaker = new CircuitBreaker();
      const changes = changesOf(breaker);
      const first = breaker.isolate();
      const second = breaker.isolate();
      first.dispose();
      expect(breaker.state).to.equal('OPEN');
      second.dispose();
      expect(changes).to.deep.equal(['CLOSED>OPEN:isolated', 'OPEN>CLOSED:released']);
    });

    it('a handle from before reset() or disable() releases nothing, however many resets and disables came between', () => {
      const breaker = new CircuitBreaker();
      const stale = breaker.isolate();
      breaker.reset();
      breaker.isolate();
      breaker.disable();
      stale.dispose();
      breaker.enable();
      const fresh = breaker.isolate();
      expect(breaker.state).to.equal('OPEN');
      fresh.dispose();
      expect(breaker.state, 'the one live handle released it').to.equal('CLOSED');
      expect(breaker.stats().isolated).to.equal(false);
    });

    describe('released', () => {
      it('closes a circuit that was closed before', async () => {
        const breaker = new CircuitBreaker();
        breaker.isolate().dispose();
        expect(breaker.state).to.equal('CLOSED');
      });

      it('leaves a circuit that failures had opened OPEN, with the probe due at once', async () => {
        const breaker = new CircuitBreaker({ failureThreshold: 1, resetTimeout: 60_000 });
        await openTheCircuit(breaker);
        breaker.isolate().dispose();
        expect(breaker.state).to.equal('OPEN');
        const probe = sinon.stub().resolves('ok');
        expect(await breaker.call(probe)).to.equal('ok');
        expect(probe.calledOnce).to.equal(true);
        expect(breaker.state).to.equal('CLOSED');
      });

      it('during a probe: released, the circuit is OPEN with the probe due, not CLOSED', async () => {
        const breaker = new CircuitBreaker({ failureThreshold: 1, resetTimeout: 100 });
        await openTheCircuit(breaker);
        clock.tick(100);
        const probe = deferred<string>();
        const probing = breaker.call(() => probe.promise);
        expect(breaker.state).to.equal('HALF_OPEN');
        const changes = changesOf(breaker);
        const handle = breaker.isolate();
        handle.dispose();
        expect(breaker.state).to.equal('OPEN');
        expect(breaker.stats().nextProbeAt).to.equal(Date.now());
        expect(changes).to.deep.equal(['HALF_OPEN>OPEN:isolated', 'OPEN>OPEN:released']);
        probe.resolve('late');
        await probing;
        expect(breaker.state, 'the earlier probe decides nothing').to.equal('OPEN');
      });
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

    describe('a disabled breaker', () => {
      it('reports each success to listeners, as CLOSED', async () => {
        const breaker = new CircuitBreaker();
        const successes: unknown[] = [];
        breaker.onSuccess((event) => successes.push(event));
        breaker.disable();
        expect(await breaker.call(() => Promise.resolve('ok'))).to.equal('ok');
        expect(successes).to.deep.equal([{ breaker: 'circuit-breaker', state: 'CLOSED' }]);
      });

      it('reports the base wait again once disabled, after failed probes lengthened it', async () => {
        const breaker = new CircuitBreaker({ failureThreshold: 1, resetTimeout: 100, maxResetTimeout: 1_000 });
        await openTheCircuit(breaker);
        clock.tick(100);
        await rejectionOf(breaker.call(() => Promise.reject(new Error('still down'))));
        expect(breaker.stats().resetTimeout).to.equal(200);
        breaker.disable();
        expect(breaker.stats().resetTimeout).to.equal(100);
      });

      it('disabled twice, still counts the outcome of a call made in between', async () => {
        const breaker = new CircuitBreaker({ failureThreshold: 1 });
        breaker.disable();
        const slow = deferred<string>();
        const pending = breaker.call(() => slow.promise);
        breaker.disable();
        slow.resolve('ok');
        await pending;
        expect(breaker.stats()).to.include({ successes: 1, lateOutcomes: 0 });
      });
    });
  });
});
