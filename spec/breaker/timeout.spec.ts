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

  it('keeps the process alive while a call is pending, and nothing once every call settled', async () => {
    const setTimeoutSpy = sinon.spy(globalThis, 'setTimeout');
    try {
      const slow = deferred<string>();
      const pending = breaker.call(() => slow.promise);
      expect(setTimeoutSpy.calledOnce).to.equal(true);
      const timer = setTimeoutSpy.firstCall.returnValue as unknown as NodeJS.Timeout;
      expect(timer.hasRef(), 'a caller awaits a deadline').to.equal(true);
      slow.resolve('ok');
      await pending;
      expect(timer.hasRef(), 'settled: it keeps nothing alive').to.equal(false);
      await breaker.call(() => Promise.resolve('again'));
      clock.tick(100);
      expect(clock.countTimers(), 'gone by the deadline, not armed again').to.equal(0);
    } finally {
      setTimeoutSpy.restore();
    }
  });

  it('serves every pending call with one timer: 1,000 concurrent calls arm one, and each times out', async () => {
    const setTimeoutSpy = sinon.spy(globalThis, 'setTimeout');
    let pending: Promise<unknown>[];
    try {
      const hungBreaker = new CircuitBreaker({ name: 'hung', failureThreshold: 5_000, timeout: 100 });
      pending = Array.from({ length: 1_000 }, () => rejectionOf(hungBreaker.call(() => new Promise<string>(() => undefined))));
      expect(setTimeoutSpy.callCount).to.equal(1);
    } finally {
      setTimeoutSpy.restore();
    }
    clock.tick(100);
    const errors = await Promise.all(pending);
    expect(errors.every(isCircuitBreakerTimeoutException)).to.equal(true);
    expect(clock.countTimers()).to.equal(0);
  });

  it('times out each call at its own deadline, whatever the calls before it did', async () => {
    const first = deferred<string>();
    const early = breaker.call(() => first.promise);
    clock.tick(30);
    let late: unknown = 'pending';
    void rejectionOf(breaker.call(() => new Promise<string>(() => undefined))).then((error) => (late = error));
    clock.tick(10);
    first.resolve('in time');
    expect(await early).to.equal('in time');
    await clock.tickAsync(89); // 99 ms after the second call started (the first one's deadline passed)
    expect(late).to.equal('pending');
    await clock.tickAsync(1);
    expect(isCircuitBreakerTimeoutException(late)).to.equal(true);
    expect(breaker.stats().timeouts).to.equal(1);
  });

  it('calls of one millisecond share one AbortSignal, aborted once they time out; a later call gets its own', async () => {
    const signals: AbortSignal[] = [];
    const hang = (signal?: AbortSignal): Promise<string> => {
      signals.push(signal!);
      return new Promise(() => undefined);
    };
    const together = [rejectionOf(breaker.call(hang)), rejectionOf(breaker.call(hang))];
    clock.tick(1);
    const later = rejectionOf(breaker.call(hang));
    expect(signals[0]).to.equal(signals[1]);
    expect(signals[2]).not.to.equal(signals[0]);
    clock.tick(99);
    const [a, b] = await Promise.all(together);
    expect(signals[0]!.aborted).to.equal(true);
    expect(signals[0]!.reason).to.equal(a);
    expect(isCircuitBreakerTimeoutException(b)).to.equal(true);
    expect(signals[2]!.aborted, 'its deadline is a millisecond later').to.equal(false);
    clock.tick(1);
    await later;
    expect(signals[2]!.aborted).to.equal(true);
  });

  it('never aborts the signal of calls that all settled in time', async () => {
    let received: AbortSignal | undefined;
    await breaker.call((signal?: AbortSignal) => ((received = signal), Promise.resolve('ok')));
    clock.tick(1_000);
    expect(received!.aborted).to.equal(false);
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
