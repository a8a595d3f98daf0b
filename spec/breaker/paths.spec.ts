import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, type StateChangeEvent } from '../../src';
import { deferred, openTheCircuit, rejectionOf } from '../support/helpers';

/** Paths the state-table specs reach only in part: stale isolation handles, transition reasons, the fallback-only path. */
describe('breaker paths', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

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

  it('reports the reason of every manual transition', async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, resetTimeout: 10 });
    const changes: StateChangeEvent[] = [];
    breaker.onStateChange((change) => changes.push(change));
    const handle = breaker.isolate();
    handle.dispose();
    await openTheCircuit(breaker);
    breaker.reset();
    breaker.disable();
    breaker.enable();
    expect(changes.map(({ from, to, reason }) => `${from}>${to}:${reason}`)).to.deep.equal([
      'CLOSED>OPEN:isolated',
      'OPEN>CLOSED:released',
      'CLOSED>OPEN:threshold',
      'OPEN>CLOSED:reset',
      'CLOSED>CLOSED:disabled',
      'CLOSED>CLOSED:enabled',
    ]);
    const closes: string[] = [];
    breaker.onClose((event) => closes.push(event.reason));
    breaker.isolate();
    breaker.disable();
    breaker.enable();
    expect(closes).to.deep.equal(['disabled', 'enabled']);
    expect(changes.at(-2)).to.deep.include({ from: 'OPEN', to: 'CLOSED', reason: 'disabled' });
    expect(changes.at(-1)).to.deep.include({ from: 'CLOSED', to: 'CLOSED', reason: 'enabled' });
  });

  describe('with a fallback and no timeout', () => {
    const make = () => new CircuitBreaker({ failureThreshold: 1, resetTimeout: 100, fallback: () => 'fallback' });

    it('passes exactly the caller\'s arguments (no signal is added without a timeout)', async () => {
      const breaker = make();
      const fn = sinon.spy((...args: unknown[]) => Promise.resolve(args.length));
      expect(await breaker.call(fn, 'a', 'b')).to.equal(2);
      expect(fn.firstCall.args).to.deep.equal(['a', 'b']);
    });

    it('never times a call out, counts its success, and re-raises a failure (fallbackOnFailure is off)', async () => {
      const breaker = make();
      const slow = deferred<string>();
      const result = breaker.call(() => slow.promise);
      await clock.tickAsync(60_000);
      slow.resolve('late but fine');
      expect(await result).to.equal('late but fine');
      expect(breaker.stats().timeouts).to.equal(0);
      expect(breaker.stats().successes).to.equal(1);
      const error = new Error('down');
      expect(await rejectionOf(breaker.call(() => Promise.reject(error)))).to.equal(error);
      expect(breaker.state).to.equal('OPEN');
      expect(await breaker.call(() => Promise.resolve('not called'))).to.equal('fallback');
    });

    it('a successful probe closes the circuit', async () => {
      const breaker = make();
      await rejectionOf(breaker.call(() => Promise.reject(new Error('down'))));
      clock.tick(100);
      expect(await breaker.call(() => Promise.resolve('probe'))).to.equal('probe');
      expect(breaker.state).to.equal('CLOSED');
    });
  });

  describe('with a timeout', () => {
    it('a call that settles in time clears its timer: the timeout never fires later', async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 1, timeout: 100 });
      expect(await breaker.call(() => Promise.resolve('fast'))).to.equal('fast');
      const error = new Error('fast failure');
      expect(await rejectionOf(breaker.call(() => Promise.reject(error)))).to.equal(error);
      breaker.reset();
      await clock.tickAsync(1_000);
      const stats = breaker.stats();
      expect([stats.timeouts, stats.failures, stats.successes, stats.lateOutcomes, breaker.state]).to.deep.equal([0, 1, 1, 0, 'CLOSED']);
      expect(clock.countTimers()).to.equal(0);
    });
  });
});
