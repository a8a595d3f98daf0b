import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, CircuitBreakerTimeoutException, isCircuitBreakerTimeoutException } from '../../src';
import { deferred, flush, rejectionOf } from '../support/helpers';

describe('CircuitBreaker timeout option', () => {
  let clock: sinon.SinonFakeTimers;
  let breaker: CircuitBreaker<never>;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
    breaker = new CircuitBreaker({ name: 'slow-api', failureThreshold: 2, resetTimeout: 1_000, timeout: 100 });
  });
  afterEach(() => clock.restore());

  it('rejects a call that outlives it with CircuitBreakerTimeoutException, and counts a failure', async () => {
    const pending = breaker.call(() => deferred<string>().promise);
    clock.tick(100);
    const error = (await rejectionOf(pending)) as CircuitBreakerTimeoutException;
    expect(error).to.be.instanceOf(CircuitBreakerTimeoutException);
    expect(isCircuitBreakerTimeoutException(error)).to.equal(true);
    expect(error).to.include({ name: 'CircuitBreakerTimeoutException', breaker: 'slow-api', timeout: 100 });
    expect(error.message).to.contain('slow-api').and.contain('100 ms');
    expect(breaker.stats()).to.include({ timeouts: 1, failures: 1, consecutiveFailures: 1 });
  });

  it('does not time out a call that settles one millisecond before', async () => {
    const slow = deferred<string>();
    const pending = breaker.call(() => slow.promise);
    clock.tick(99);
    slow.resolve('in time');
    expect(await pending).to.equal('in time');
    clock.tick(10);
    expect(breaker.stats().timeouts).to.equal(0);
  });

  it('aborts the AbortSignal passed as the last declared parameter, with the exception as reason', async () => {
    let received: AbortSignal | undefined;
    const fn = (id: string, signal?: AbortSignal): Promise<string> => {
      received = signal;
      void id;
      return new Promise(() => undefined);
    };
    const pending = breaker.call(fn, 'id-1');
    expect(received).to.be.instanceOf(AbortSignal);
    expect(received!.aborted).to.equal(false);
    clock.tick(100);
    const error = await rejectionOf(pending);
    expect(received!.aborted).to.equal(true);
    expect(received!.reason).to.equal(error);
  });

  it('passes the caller\'s arguments unchanged, the signal after them', async () => {
    const fn = sinon.stub().resolves('ok');
    await breaker.call(fn, 'a', 'b');
    expect(fn.firstCall.args.slice(0, 2)).to.deep.equal(['a', 'b']);
    expect(fn.firstCall.args[2]).to.be.instanceOf(AbortSignal);
  });

  it('clears its timer when the call settles, fulfilled or rejected', async () => {
    await breaker.call(() => Promise.resolve('ok'));
    await rejectionOf(breaker.call(() => Promise.reject(new Error('down'))));
    await flush();
    expect(clock.countTimers()).to.equal(0);
  });

  it('unrefs its timer, so a pending call never keeps the process alive', () => {
    const setTimeoutSpy = sinon.spy(globalThis, 'setTimeout');
    try {
      void breaker.call(() => new Promise<string>(() => undefined)).catch(() => undefined);
      expect(setTimeoutSpy.calledOnce).to.equal(true);
      const timer = setTimeoutSpy.firstCall.returnValue as unknown as NodeJS.Timeout;
      expect(timer.hasRef()).to.equal(false);
    } finally {
      setTimeoutSpy.restore();
    }
  });

  it('re-raises a rejection that comes in time unchanged', async () => {
    const error = new Error('down');
    expect(await rejectionOf(breaker.call(() => Promise.reject(error)))).to.equal(error);
    expect(await rejectionOf(breaker.call(() => Promise.reject('text')))).to.equal('text');
  });

  it('re-raises a synchronous throw unchanged', async () => {
    const thrown = { reason: 'sync' };
    const fn = (): Promise<never> => {
      throw thrown;
    };
    expect(await rejectionOf(breaker.call(fn))).to.equal(thrown);
  });

  it('counts the outcome of a call that settles after its timeout as late, not again', async () => {
    const slow = deferred<string>();
    const pending = breaker.call(() => slow.promise);
    clock.tick(100);
    await rejectionOf(pending);
    slow.reject(new Error('finally failed'));
    await flush();
    expect(breaker.stats()).to.include({ failures: 1, lateOutcomes: 1, consecutiveFailures: 1 });
  });

  it('opens the circuit after failureThreshold timeouts', async () => {
    for (let i = 0; i < 2; i++) {
      const pending = breaker.call(() => deferred<string>().promise);
      clock.tick(100);
      await rejectionOf(pending);
    }
    expect(breaker.state).to.equal('OPEN');
  });
});
