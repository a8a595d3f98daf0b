import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, CircuitBreakerOpenException, CircuitBreakerTimeoutException, isCircuitBreakerTimeoutException } from '../../src';
import { deferred, fail, flush, ok, rejectionOf } from '../support/helpers';

class ValidationError extends Error {}

/**
 * The path of a call with a `timeout` or `fallbackOnFailure` (src/breaker/guarded-call.ts), and the
 * fallback that answers refusals.
 */
describe('guarded call: timeout and fallback', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  describe('timeout', () => {
    describe('a breaker with a 100 ms timeout', () => {
      let breaker: CircuitBreaker<never>;
      beforeEach(() => {
        breaker = new CircuitBreaker({ name: 'slow-api', failureThreshold: 2, resetTimeout: 1_000, timeout: 100 });
      });

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

    it('a thenable whose then() throws is one failure, and its timer does not fire later', async () => {
      const breaker = new CircuitBreaker({ timeout: 100 });
      const broken = new Error('then threw');
      const thenable = {
        then() {
          throw broken;
        },
      };
      expect(await rejectionOf(breaker.call(() => thenable as unknown as Promise<string>))).to.equal(broken);
      await clock.tickAsync(1_000);
      expect(breaker.stats()).to.include({ failures: 1, timeouts: 0 });
      expect(clock.countTimers()).to.equal(0);
    });

    it('a Promise subclass is adopted: one whose then() throws (its species takes other arguments) is a failure, never a throw nor a timeout later', async () => {
      class Job<T> extends Promise<T> {
        constructor(
          readonly id: string,
          executor: (resolve: (value: T) => void, reject: (error: unknown) => void) => void,
        ) {
          super(executor);
        }
      }
      class Task<T> extends Promise<T> {}
      const breaker = new CircuitBreaker({ failureThreshold: 5, timeout: 10 });
      expect(await breaker.call(() => new Task<string>((resolve) => resolve('done')))).to.equal('done');
      let returned: Promise<string> | undefined;
      expect(() => (returned = breaker.call(() => new Job<string>('j1', (resolve) => resolve('done'))))).not.to.throw();
      expect(await rejectionOf(returned!)).to.be.instanceOf(TypeError);
      await clock.tickAsync(100);
      expect(breaker.stats()).to.include({ successes: 1, failures: 1, timeouts: 0 });
      expect(clock.countTimers()).to.equal(0);
    });

    it('calls a function that has a property named call or apply, not the property', async () => {
      const breaker = new CircuitBreaker({ timeout: 10 });
      const not = (): string => 'a property';
      for (const args of [[], [21], [21, 1], [21, 1, 1]] as number[][]) {
        const fn = Object.assign(async (...values: unknown[]) => values, { call: not, apply: not });
        const got = await breaker.call(fn, ...args);
        expect(got.slice(0, -1), 'the arguments').to.deep.equal(args);
        expect(got[args.length], 'then the signal').to.be.instanceOf(AbortSignal);
      }
    });

    it('arms one timer for a job awaiting one call after another, however many', async () => {
      const breaker = new CircuitBreaker({ timeout: 100 });
      const setTimeoutSpy = sinon.spy(globalThis, 'setTimeout');
      try {
        for (let i = 0; i < 50; i++) {
          await breaker.call(ok);
          await clock.tickAsync(1);
        }
        expect(setTimeoutSpy.callCount).to.equal(1);
      } finally {
        setTimeoutSpy.restore();
      }
    });

    it('wakes only for the deadlines of pending calls: a settled call between two hung ones arms no timer', async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 10, timeout: 100 });
      const hang = (): Promise<string> => new Promise(() => undefined);
      const setTimeoutSpy = sinon.spy(globalThis, 'setTimeout');
      try {
        const first = rejectionOf(breaker.call(hang)); // deadline 100
        await clock.tickAsync(10);
        await breaker.call(ok); // deadline 110, settled at once
        await clock.tickAsync(10);
        const third = rejectionOf(breaker.call(hang)); // deadline 120
        await clock.tickAsync(100);
        expect(isCircuitBreakerTimeoutException(await first) && isCircuitBreakerTimeoutException(await third)).to.equal(true);
        // Armed for 100, then from there for 120: never for the settled call's 110.
        expect(setTimeoutSpy.args.map(([, ms]) => ms)).to.deep.equal([100, 20]);
        expect(clock.countTimers()).to.equal(0);
      } finally {
        setTimeoutSpy.restore();
      }
    });

    it('a call started when the only pending one times out (from its listener) is served by one timer', async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 10, timeout: 100 });
      const hang = (): Promise<string> => new Promise(() => undefined);
      let again: Promise<unknown> | undefined;
      breaker.onFailure(() => (again ??= rejectionOf(breaker.call(hang))));
      const first = rejectionOf(breaker.call(hang));
      await clock.tickAsync(100);
      expect(isCircuitBreakerTimeoutException(await first)).to.equal(true);
      expect(clock.countTimers(), 'one timer for the call started then').to.equal(1);
      await clock.tickAsync(100);
      expect(isCircuitBreakerTimeoutException(await again)).to.equal(true);
    });

    it('calls of one deadline millisecond share one signal, even after the idle timer fired in it', async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 1_000, timeout: 10 });
      const signals: AbortSignal[] = [];
      const hang = (): Promise<string> => new Promise(() => undefined);
      // B runs at 10 before the breaker's timer (armed for A's deadline, 10) fires, C after it: both with deadline 20.
      setTimeout(() => void breaker.call((signal?: AbortSignal) => (signals.push(signal!), Promise.resolve('B'))), 10);
      await breaker.call(() => Promise.resolve('A'));
      setTimeout(() => void breaker.call((signal?: AbortSignal) => (signals.push(signal!), hang())).catch(() => undefined), 10);
      await clock.tickAsync(10);
      await clock.tickAsync(10); // C times out
      expect(signals[0]).to.equal(signals[1]);
      expect(signals[0]!.aborted).to.equal(true);
    });

    it('passes the signal after the caller arguments, whatever the parameters declare', async () => {
      const breaker = new CircuitBreaker({ timeout: 100 });
      const seen: unknown[][] = [];
      async function get(id: string, options: { fresh?: boolean } = {}, signal?: AbortSignal): Promise<string> {
        seen.push([id, options, signal]);
        return 'ok';
      }
      await breaker.call(get as (id: string) => Promise<string>, 'a');
      expect(seen[0]![1]).to.be.instanceOf(AbortSignal); // after the one argument given
      await breaker.call(get, 'b', { fresh: true });
      expect(seen[1]![1]).to.deep.equal({ fresh: true });
      expect(seen[1]![2]).to.be.instanceOf(AbortSignal);
    });

    describe('an outcome after the timeout', () => {
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

    describe('with isFailure', () => {
      it("counts the breaker's own timeout as a failure even when isFailure would not", async () => {
        const breaker = new CircuitBreaker({ failureThreshold: 2, timeout: 100, isFailure: (error) => error instanceof ValidationError });
        for (let i = 0; i < 2; i++) {
          const call = breaker.call(() => deferred<string>().promise);
          await clock.tickAsync(100);
          expect(await rejectionOf(call)).to.be.instanceOf(CircuitBreakerTimeoutException);
        }
        expect(breaker.stats()).to.include({ state: 'OPEN', failures: 2, timeouts: 2, ignored: 0 });
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
    });
  });

  describe('fallback, for refusals only (without fallbackOnFailure)', () => {
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

    it("keeps the CLOSED path: the caller gets the function's own promise", async () => {
      const breaker = new CircuitBreaker({ fallback: () => 'cached' });
      const own = Promise.resolve('fresh');
      expect(breaker.call(() => own)).to.equal(own);
    });

    describe('without a timeout', () => {
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
  });

  describe('fallbackOnFailure', () => {
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

    describe('without a timeout', () => {
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

    describe('with isFailure', () => {
      it('re-raises an error isFailure does not count, instead of answering it with the fallback', async () => {
        const breaker = new CircuitBreaker({
          fallback: () => 'fallback',
          fallbackOnFailure: true,
          isFailure: (error) => !(error instanceof ValidationError),
        });
        const invalid = new ValidationError('bad id');
        expect(await rejectionOf(breaker.call(() => Promise.reject(invalid)))).to.equal(invalid);
        expect(await breaker.call(fail)).to.equal('fallback');
        expect(breaker.stats()).to.include({ ignored: 1, failures: 1, fallbacks: 1 });
      });
    });
  });
});
