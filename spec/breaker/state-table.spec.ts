import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, CircuitBreakerOpenException } from '../../src';
import { deferred, fail, flush, ok, openTheCircuit, rejectionOf } from '../support/helpers';

const THRESHOLD = 3;
const RESET_TIMEOUT = 1_000;

/** The state table (src/breaker/rules.ts), row by row, through breaker.call (src/breaker/breaker.ts). */
describe('the state table', () => {
  let clock: sinon.SinonFakeTimers;
  let breaker: CircuitBreaker<never>;

  beforeEach(() => {
    clock = sinon.useFakeTimers();
    breaker = new CircuitBreaker({ failureThreshold: THRESHOLD, resetTimeout: RESET_TIMEOUT });
  });
  afterEach(() => clock.restore());

  /** OPEN, then `resetTimeout` passes, then one call is let through as the probe and kept pending. */
  async function startAProbe() {
    await openTheCircuit(breaker);
    clock.tick(RESET_TIMEOUT);
    const probe = deferred<string>();
    const fn = sinon.stub().returns(probe.promise);
    const result = breaker.call(fn);
    expect(breaker.state).to.equal('HALF_OPEN');
    return { probe, fn, result };
  }

  describe('CLOSED', () => {
    it('starts CLOSED', () => {
      expect(breaker.state).to.equal('CLOSED');
    });

    it('invokes the function once per call, with the arguments given', async () => {
      const fn = sinon.stub().resolves('user');
      await breaker.call(fn, 'id-1', 2);
      expect(fn.calledOnceWithExactly('id-1', 2)).to.equal(true);
    });

    it('returns the result unchanged (the same object)', async () => {
      const user = { id: 'u1' };
      expect(await breaker.call(() => Promise.resolve(user))).to.equal(user);
    });

    it('returns the function\'s own native promise', () => {
      const promise = Promise.resolve(1);
      expect(breaker.call(() => promise)).to.equal(promise);
    });

    it('adopts a thenable that is not a native promise', async () => {
      const thenable = { then: (resolve: (value: string) => void) => resolve('from thenable') } as unknown as PromiseLike<string>;
      expect(await breaker.call(() => thenable)).to.equal('from thenable');
    });

    it('re-raises an Error rejection unchanged (the same object)', async () => {
      const error = new Error('down');
      expect(await rejectionOf(breaker.call(() => Promise.reject(error)))).to.equal(error);
    });

    for (const [label, thrown] of [
      ['a string', 'boom'],
      ['null', null],
      ['undefined', undefined],
      ['a number', 42],
      ['a plain object', { code: 'ECONNRESET' }],
    ] as const) {
      it(`re-raises ${label} unchanged, rejected or thrown synchronously`, async () => {
        expect(await rejectionOf(breaker.call(() => Promise.reject(thrown)))).to.equal(thrown);
        expect(
          await rejectionOf(
            breaker.call((): Promise<never> => {
              throw thrown;
            }),
          ),
        ).to.equal(thrown);
        expect(breaker.stats().consecutiveFailures).to.equal(2);
      });
    }

    it('counts a synchronous throw as a failure', async () => {
      const throwing = (): Promise<never> => {
        throw new Error('sync');
      };
      for (let i = 0; i < THRESHOLD; i++) await rejectionOf(breaker.call(throwing));
      expect(breaker.state).to.equal('OPEN');
    });

    it('stays CLOSED below failureThreshold consecutive failures', async () => {
      for (let i = 0; i < THRESHOLD - 1; i++) await rejectionOf(breaker.call(fail));
      expect(breaker.state).to.equal('CLOSED');
      expect(breaker.stats().consecutiveFailures).to.equal(THRESHOLD - 1);
    });

    it('OPENs when the count reaches failureThreshold', async () => {
      for (let i = 0; i < THRESHOLD; i++) await rejectionOf(breaker.call(fail));
      expect(breaker.state).to.equal('OPEN');
    });

    it('a success resets the failure count to 0', async () => {
      for (let i = 0; i < THRESHOLD - 1; i++) await rejectionOf(breaker.call(fail));
      await breaker.call(ok);
      expect(breaker.stats().consecutiveFailures).to.equal(0);
      for (let i = 0; i < THRESHOLD - 1; i++) await rejectionOf(breaker.call(fail));
      expect(breaker.state).to.equal('CLOSED');
    });

    it('remembers the time it opened: the probe is due resetTimeout after the tripping failure', async () => {
      clock.tick(5_000);
      await openTheCircuit(breaker);
      expect(breaker.stats().nextProbeAt).to.equal(5_000 + RESET_TIMEOUT);
    });

    it('opens with failureThreshold 1 on the first failure', async () => {
      const one = new CircuitBreaker({ failureThreshold: 1, resetTimeout: RESET_TIMEOUT });
      await rejectionOf(one.call(fail));
      expect(one.state).to.equal('OPEN');
    });

    it('rejects (and counts) a function that returns no promise, naming the breaker', async () => {
      const sync = sinon.stub().returns(5);
      const error = await rejectionOf(breaker.call(sync as unknown as () => Promise<number>));
      expect(error).to.be.instanceOf(TypeError);
      expect((error as Error).message).to.contain('"circuit-breaker"').and.contain('number 5');
      expect(sync.calledOnce).to.equal(true);
      expect(breaker.stats().consecutiveFailures).to.equal(1);
    });
  });

  describe('OPEN, before resetTimeout', () => {
    beforeEach(() => openTheCircuit(breaker));

    it('refuses with CircuitBreakerOpenException without invoking', async () => {
      const fn = sinon.stub().resolves('ok');
      const error = await rejectionOf(breaker.call(fn));
      expect(error).to.be.instanceOf(CircuitBreakerOpenException);
      expect(fn.called).to.equal(false);
    });

    it('refuses without invoking until resetTimeout, up to its last millisecond', async () => {
      const fn = sinon.stub().resolves('ok');
      clock.tick(RESET_TIMEOUT - 1);
      await rejectionOf(breaker.call(fn));
      expect(fn.called).to.equal(false);
      expect(breaker.state).to.equal('OPEN');
    });

    it('refuses synchronously-throwing functions too, without invoking them', async () => {
      const fn = sinon.stub().throws(new Error('never'));
      expect(await rejectionOf(breaker.call(fn))).to.be.instanceOf(CircuitBreakerOpenException);
      expect(fn.called).to.equal(false);
    });
  });

  describe('OPEN, resetTimeout passed', () => {
    beforeEach(() => openTheCircuit(breaker));

    it('turns HALF_OPEN when a call arrives, and invokes that call as the probe', async () => {
      clock.tick(RESET_TIMEOUT);
      const fn = sinon.stub().resolves('probe result');
      const result = breaker.call(fn);
      expect(breaker.state).to.equal('HALF_OPEN');
      expect(fn.calledOnce).to.equal(true);
      expect(await result).to.equal('probe result');
    });

    it('stays OPEN while no call arrives (decided lazily, no timer)', () => {
      clock.tick(RESET_TIMEOUT * 10);
      expect(breaker.state).to.equal('OPEN');
    });

    it('reads the clock when the call arrives, not when the circuit opened', async () => {
      clock.tick(RESET_TIMEOUT * 5);
      const fn = sinon.stub().resolves('ok');
      await breaker.call(fn);
      expect(fn.calledOnce).to.equal(true);
      expect(breaker.state).to.equal('CLOSED');
    });
  });

  describe('HALF_OPEN, probe in flight', () => {
    it('refuses every concurrent caller: exactly one probe at a time', async () => {
      const { fn } = await startAProbe();
      const others = [sinon.stub().resolves('a'), sinon.stub().resolves('b'), sinon.stub().resolves('c')];
      const errors = await Promise.all(others.map((other) => rejectionOf(breaker.call(other))));
      for (const error of errors) expect(error).to.be.instanceOf(CircuitBreakerOpenException);
      for (const other of others) expect(other.called).to.equal(false);
      expect(fn.calledOnce).to.equal(true);
      expect(breaker.state).to.equal('HALF_OPEN');
    });

    it('a successful probe CLOSEs the circuit with count 0, and its result is returned unchanged', async () => {
      const { probe, result } = await startAProbe();
      const value = { fresh: true };
      probe.resolve(value as unknown as string);
      expect(await result).to.equal(value);
      expect(breaker.state).to.equal('CLOSED');
      expect(breaker.stats().consecutiveFailures).to.equal(0);
    });

    it('after a successful probe, it takes failureThreshold failures again to open', async () => {
      const { probe, result } = await startAProbe();
      probe.resolve('ok');
      await result;
      for (let i = 0; i < THRESHOLD - 1; i++) await rejectionOf(breaker.call(fail));
      expect(breaker.state).to.equal('CLOSED');
      await rejectionOf(breaker.call(fail));
      expect(breaker.state).to.equal('OPEN');
    });

    it('a failed probe OPENs the circuit again for a fresh resetTimeout, re-raising its error unchanged', async () => {
      const { probe, result } = await startAProbe();
      clock.tick(250); // the probe takes a while
      const error = new Error('still down');
      probe.reject(error);
      expect(await rejectionOf(result)).to.equal(error);
      expect(breaker.state).to.equal('OPEN');
      expect(breaker.stats().nextProbeAt).to.equal(Date.now() + RESET_TIMEOUT);

      const fn = sinon.stub().resolves('ok');
      clock.tick(RESET_TIMEOUT - 1);
      await rejectionOf(breaker.call(fn));
      expect(fn.called).to.equal(false);
      clock.tick(1);
      await breaker.call(fn);
      expect(fn.calledOnce).to.equal(true);
    });

    it('a synchronously throwing probe OPENs the circuit again', async () => {
      await openTheCircuit(breaker);
      clock.tick(RESET_TIMEOUT);
      expect(await rejectionOf(breaker.call(() => Promise.reject(null)))).to.equal(null);
      expect(breaker.state).to.equal('OPEN');
    });
  });

  describe('a call admitted in an earlier state period', () => {
    it('does not decide the probe when it fails while the probe is in flight', async () => {
      const slow = deferred<string>();
      const slowCall = breaker.call(() => slow.promise); // admitted while CLOSED
      const { probe, result } = await startAProbe();

      const late = new Error('late');
      slow.reject(late);
      expect(await rejectionOf(slowCall)).to.equal(late); // still re-raised to its caller
      expect(breaker.state).to.equal('HALF_OPEN');
      expect(breaker.stats().lateOutcomes).to.equal(1);

      probe.resolve('ok');
      await result;
      expect(breaker.state).to.equal('CLOSED');
    });

    it('does not decide the probe when it succeeds while the probe is in flight', async () => {
      const slow = deferred<string>();
      const slowCall = breaker.call(() => slow.promise);
      const { probe, result } = await startAProbe();

      slow.resolve('late value');
      expect(await slowCall).to.equal('late value');
      expect(breaker.state).to.equal('HALF_OPEN');
      expect(breaker.stats().lateOutcomes).to.equal(1);

      probe.reject(new Error('still down'));
      await rejectionOf(result);
      expect(breaker.state).to.equal('OPEN');
    });

    it('does not count towards a new trip after the circuit closed again', async () => {
      const slow = deferred<string>();
      const slowCall = breaker.call(() => slow.promise);
      const { probe, result } = await startAProbe();
      probe.resolve('ok');
      await result;
      for (let i = 0; i < THRESHOLD - 1; i++) await rejectionOf(breaker.call(fail));
      slow.reject(new Error('late'));
      await rejectionOf(slowCall);
      expect(breaker.state).to.equal('CLOSED');
      expect(breaker.stats().consecutiveFailures).to.equal(THRESHOLD - 1);
    });
  });

  describe('time', () => {
    it('keeps no timers: nothing is scheduled by calls without a timeout, in any state', async () => {
      await breaker.call(ok);
      await openTheCircuit(breaker);
      await rejectionOf(breaker.call(ok));
      clock.tick(RESET_TIMEOUT);
      const probe = breaker.call(ok);
      await rejectionOf(breaker.call(ok));
      await probe;
      await flush();
      expect(clock.countTimers()).to.equal(0);
    });

    it('reads the `clock` option instead of Date.now when given', async () => {
      let now = 0;
      const custom = new CircuitBreaker({ failureThreshold: 1, resetTimeout: 100, clock: () => now });
      now = 1_000_000;
      await rejectionOf(custom.call(fail));
      expect(custom.stats().nextProbeAt).to.equal(1_000_100);
      clock.tick(10_000); // the fake Date.now moves; the custom clock does not
      expect(await rejectionOf(custom.call(ok))).to.be.instanceOf(CircuitBreakerOpenException);
      now += 100;
      expect(await custom.call(ok)).to.equal('ok');
    });

    describe('a wall clock that steps back', () => {
      it('waits at most one resetTimeout from the step, not the step as well', async () => {
        const breaker = new CircuitBreaker({ failureThreshold: 1, resetTimeout: 1_000 });
        clock.setSystemTime(10_000_000);
        await openTheCircuit(breaker);
        clock.setSystemTime(10_000_000 - 3_600_000); // an hour back
        const refusal = (await rejectionOf(breaker.call(ok))) as { retryAfter: number };
        expect(refusal.retryAfter).to.equal(1_000);
        clock.tick(1_000);
        expect(await breaker.call(ok)).to.equal('ok');
      });
    });
  });
});
