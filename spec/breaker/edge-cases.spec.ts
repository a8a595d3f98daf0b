/**
 * Edge cases an independent review found, each pinned: what counts with a
 * fallback or a timeout, releasing an isolation, every transition observable,
 * a wall clock that steps back, detached per-instance calls.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, CircuitBreakerTimeoutException, type StateChangeEvent } from '../../src';
import { deferred, fail, flush, ok, openTheCircuit, rejectionOf } from '../support/helpers';

class ValidationError extends Error {}

describe('edge cases', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  describe('fallbackOnFailure with isFailure', () => {
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

  describe('timeout with isFailure', () => {
    it("counts the breaker's own timeout as a failure even when isFailure would not", async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 2, timeout: 100, isFailure: (error) => error instanceof ValidationError });
      for (let i = 0; i < 2; i++) {
        const call = breaker.call(() => deferred<string>().promise);
        await clock.tickAsync(100);
        expect(await rejectionOf(call)).to.be.instanceOf(CircuitBreakerTimeoutException);
      }
      expect(breaker.stats()).to.include({ state: 'OPEN', failures: 2, timeouts: 2, ignored: 0 });
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
  });

  describe('a fallback for refusals only', () => {
    it("keeps the CLOSED path: the caller gets the function's own promise", async () => {
      const breaker = new CircuitBreaker({ fallback: () => 'cached' });
      const own = Promise.resolve('fresh');
      expect(breaker.call(() => own)).to.equal(own);
    });
  });

  describe('releasing an isolation', () => {
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
  });

  describe('every transition is observable', () => {
    it('disable(), enable(), and isolate() while OPEN each emit a state change', async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 1 });
      const changes: string[] = [];
      breaker.onStateChange(({ from, to, reason }: StateChangeEvent) => changes.push(`${from}>${to}:${reason}`));
      breaker.disable();
      breaker.enable();
      await openTheCircuit(breaker);
      breaker.isolate();
      expect(changes).to.deep.equal(['CLOSED>CLOSED:disabled', 'CLOSED>CLOSED:enabled', 'CLOSED>OPEN:threshold', 'OPEN>OPEN:isolated']);
    });

    it('reports the failures that tripped it in the failure event', async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 2 });
      const counts: number[] = [];
      breaker.onFailure(({ failures }) => counts.push(failures));
      await rejectionOf(breaker.call(fail));
      await rejectionOf(breaker.call(fail));
      expect(counts).to.deep.equal([1, 2]);
    });
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

  describe("scope 'instance'", () => {
    it('rejects a call detached from its instance with a TypeError naming the method, never a synchronous throw', async () => {
      class Tenant {
        @CircuitBreaker({ scope: 'instance' })
        async load(): Promise<string> {
          return 'ok';
        }
      }
      const detached = new Tenant().load;
      let result: Promise<string> | undefined;
      expect(() => (result = detached.call(undefined))).not.to.throw();
      const error = await rejectionOf(result!);
      expect(error).to.be.instanceOf(TypeError);
      expect((error as Error).message).to.match(/load has one breaker per instance/);
    });
  });

  it('a decorated method that throws synchronously while CLOSED rejects with the same value', async () => {
    const thrown = { not: 'an error' };
    class Sync {
      @CircuitBreaker({ failureThreshold: 1 })
      async boom(): Promise<never> {
        throw thrown;
      }
      @CircuitBreaker({ failureThreshold: 1 })
      reallySync(): Promise<never> {
        throw thrown;
      }
    }
    const sync = new Sync();
    expect(await rejectionOf(sync.reallySync())).to.equal(thrown);
    expect(await rejectionOf(sync.boom())).to.equal(thrown);
    await flush();
  });
});
