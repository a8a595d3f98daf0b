import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, CircuitBreakerOpenException, getCircuitBreaker } from '../../src';
import { deferred, openTheCircuit, rejectionOf, type Deferred } from '../support/helpers';
import { settleReactions } from './harness';

/** A method of the spec's own, so the same races run through the decorator. */
class Remote {
  @CircuitBreaker({ failureThreshold: 3, resetTimeout: 1_000 })
  fetch(work: () => Promise<unknown>): Promise<unknown> {
    return work();
  }
}

/** Fires `n` calls in one synchronous burst; answers what each caller got, once all have settled. */
function burst(n: number, call: () => Promise<unknown>): { readonly settled: Promise<PromiseSettledResult<unknown>[]> } {
  const promises: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) promises.push(call());
  return { settled: Promise.allSettled(promises) };
}

function refusals(results: PromiseSettledResult<unknown>[], retryAfter: number): number {
  let refused = 0;
  for (const result of results) {
    if (result.status === 'rejected' && result.reason instanceof CircuitBreakerOpenException) {
      expect(result.reason.retryAfter).to.equal(retryAfter);
      refused++;
    }
  }
  return refused;
}

describe('concurrency', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 0, toFake: ['Date'] });
  });
  afterEach(() => clock.restore());

  const ways = [
    {
      name: 'breaker.call',
      make: () => {
        const breaker = new CircuitBreaker({ failureThreshold: 3, resetTimeout: 1_000 });
        return { breaker, call: (work: () => Promise<unknown>) => breaker.call(work) };
      },
    },
    {
      name: 'a decorated method',
      make: () => {
        const remote = new Remote();
        const breaker = getCircuitBreaker(remote, 'fetch');
        breaker.reset();
        return { breaker, call: (work: () => Promise<unknown>) => remote.fetch(work) };
      },
    },
  ];

  for (const way of ways) {
    describe(way.name, () => {
      it('10,000 concurrent calls when the probe is due invoke the function exactly once', async () => {
        const { breaker, call } = way.make();
        await openTheCircuit(breaker);
        clock.tick(1_000);
        const before = breaker.stats();
        const probe = deferred<string>();
        const work = sinon.spy(() => probe.promise);
        const { settled } = burst(10_000, () => call(work));
        expect(work.callCount).to.equal(1);
        expect(breaker.state).to.equal('HALF_OPEN');
        probe.resolve('probed');
        const results = await settled;
        expect(results[0]).to.deep.equal({ status: 'fulfilled', value: 'probed' });
        expect(refusals(results, 0)).to.equal(9_999);
        expect(work.callCount).to.equal(1);
        expect(breaker.state).to.equal('CLOSED');
        expect(breaker.stats().refusals - before.refusals).to.equal(9_999);
        expect(breaker.stats().calls - before.calls).to.equal(1);
      });

      it('slow calls from the earlier CLOSED period settling during the probe do not decide it', async () => {
        for (const probeSucceeds of [true, false]) {
          const { breaker, call } = way.make();
          const slow: Deferred<unknown>[] = [];
          for (let i = 0; i < 50; i++) {
            const d = deferred();
            slow.push(d);
            void call(() => d.promise).catch(() => undefined);
          }
          await openTheCircuit(breaker);
          clock.tick(1_000);
          const probe = deferred<string>();
          const probeResult = call(() => probe.promise);
          expect(breaker.state).to.equal('HALF_OPEN');
          const lateBefore = breaker.stats().lateOutcomes;
          // Half of the slow calls succeed, half fail, all while the probe is in flight.
          slow.forEach((d, i) => (i % 2 === 0 ? d.resolve('late') : d.reject(new Error('late failure'))));
          await settleReactions();
          expect(breaker.state, 'the probe is still undecided').to.equal('HALF_OPEN');
          expect(breaker.stats().lateOutcomes - lateBefore).to.equal(50);
          expect(breaker.stats().consecutiveFailures).to.equal(0);
          const refused = await rejectionOf(call(() => Promise.resolve('no')));
          expect(refused).to.be.instanceOf(CircuitBreakerOpenException);
          if (probeSucceeds) {
            probe.resolve('ok');
            expect(await probeResult).to.equal('ok');
            expect(breaker.state).to.equal('CLOSED');
          } else {
            const error = new Error('still down');
            probe.reject(error);
            expect(await rejectionOf(probeResult)).to.equal(error);
            expect(breaker.state).to.equal('OPEN');
            expect(breaker.stats().nextProbeAt).to.equal(Date.now() + 1_000);
          }
        }
      });

      it('a failing, then a succeeding probe, each racing a burst of refused calls, leave the state the table says', async () => {
        const { breaker, call } = way.make();
        await openTheCircuit(breaker);
        const work = sinon.spy(() => Promise.resolve('refused calls never run'));

        // The first probe fails; bursts arrive before, in the same tick as, and after its rejection.
        clock.tick(1_000);
        const first = deferred<never>();
        const firstResult = call(() => first.promise);
        const before = burst(1_000, () => call(work));
        const failure = new Error('probe failed');
        first.reject(failure);
        const sameTick = burst(1_000, () => call(work)); // the rejection is not yet observed: still in flight
        expect(await rejectionOf(firstResult)).to.equal(failure);
        expect(breaker.state).to.equal('OPEN');
        const after = burst(1_000, () => call(work));
        expect(refusals(await before.settled, 0)).to.equal(1_000);
        expect(refusals(await sameTick.settled, 0)).to.equal(1_000);
        expect(refusals(await after.settled, 1_000)).to.equal(1_000);
        expect(breaker.stats().nextProbeAt).to.equal(Date.now() + 1_000);

        // A fresh resetTimeout later, the second probe succeeds, racing another burst.
        clock.tick(999);
        expect(refusals(await burst(100, () => call(work)).settled, 1)).to.equal(100);
        clock.tick(1);
        const second = deferred<string>();
        const secondResult = call(() => second.promise);
        const racing = burst(1_000, () => call(work));
        second.resolve('recovered');
        const sameTick2 = burst(1_000, () => call(work));
        expect(await secondResult).to.equal('recovered');
        expect(breaker.state).to.equal('CLOSED');
        expect(refusals(await racing.settled, 0)).to.equal(1_000);
        expect(refusals(await sameTick2.settled, 0)).to.equal(1_000);
        expect(work.callCount, 'no refused call ran').to.equal(0);
        // CLOSED: everything runs again.
        const closed = await burst(1_000, () => call(work)).settled;
        expect(refusals(closed, 0)).to.equal(0);
        expect(work.callCount).to.equal(1_000);
        expect(breaker.state).to.equal('CLOSED');
      });
    });
  }
});
