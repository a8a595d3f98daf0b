import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, type StateChangeEvent } from '../../src';
import { deferred, openTheCircuit, rejectionOf } from '../support/helpers';

/** Breaker paths beside the fleet: fallbackOnFailure without a timeout, ignored errors, isolation mid-probe, disable twice. */
describe('breaker: more paths', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  const changesOf = (breaker: CircuitBreaker<unknown>) => {
    const changes: string[] = [];
    breaker.onStateChange(({ from, to, reason }: StateChangeEvent) => changes.push(`${from}>${to}:${reason}`));
    return changes;
  };

  describe('fallbackOnFailure without a timeout', () => {
    const make = () =>
      new CircuitBreaker({ failureThreshold: 2, resetTimeout: 100, fallback: (error: unknown) => `fallback for ${String(error)}`, fallbackOnFailure: true });

    it("passes exactly the caller's arguments and never times a call out", async () => {
      const breaker = make();
      const slow = deferred<string>();
      const fn = sinon.spy((..._args: unknown[]) => slow.promise);
      const result = breaker.call(fn, 'a', 1);
      expect(fn.firstCall.args).to.deep.equal(['a', 1]);
      await clock.tickAsync(3_600_000);
      slow.resolve('late but fine');
      expect(await result).to.equal('late but fine');
      expect(breaker.stats()).to.include({ successes: 1, timeouts: 0, failures: 0 });
    });

    it('a success clears the failure count', async () => {
      const breaker = make();
      expect(await breaker.call(() => Promise.reject('down'))).to.equal('fallback for down');
      expect(await breaker.call(() => Promise.resolve('up'))).to.equal('up');
      expect(await breaker.call(() => Promise.reject('down'))).to.equal('fallback for down');
      expect(breaker.state, 'one failure since the success').to.equal('CLOSED');
    });
  });

  describe('an error isFailure ignores', () => {
    it('with a timeout, is re-raised and counts nothing', async () => {
      const ignored = new Error('not found');
      const breaker = new CircuitBreaker({ failureThreshold: 1, timeout: 1_000, isFailure: (error) => error !== ignored });
      expect(await rejectionOf(breaker.call(() => Promise.reject(ignored)))).to.equal(ignored);
      expect(breaker.state).to.equal('CLOSED');
      expect(breaker.stats()).to.include({ failures: 0, ignored: 1 });
    });

    it('leaves a CLOSED breaker CLOSED and a disabled one disabled', async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 1, isFailure: () => false });
      await rejectionOf(breaker.call(() => Promise.reject(new Error('ignored'))));
      expect(breaker.state).to.equal('CLOSED');
      breaker.disable();
      await rejectionOf(breaker.call(() => Promise.reject(new Error('ignored'))));
      expect(breaker.stats()).to.include({ state: 'CLOSED', disabled: true, ignored: 2 });
    });

    it('from a probe: the next call probes, without a second half-open transition', async () => {
      const real = new Error('down');
      const breaker = new CircuitBreaker({ failureThreshold: 1, resetTimeout: 100, isFailure: (error) => error === real });
      await rejectionOf(breaker.call(() => Promise.reject(real)));
      clock.tick(100);
      const changes = changesOf(breaker);
      await rejectionOf(breaker.call(() => Promise.reject(new Error('ignored'))));
      expect(breaker.state).to.equal('HALF_OPEN');
      expect(await breaker.call(() => Promise.resolve('ok'))).to.equal('ok');
      expect(changes).to.deep.equal(['OPEN>HALF_OPEN:reset-timeout', 'HALF_OPEN>CLOSED:probe-succeeded']);
    });
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

  describe('isolate()', () => {
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
  });
});
