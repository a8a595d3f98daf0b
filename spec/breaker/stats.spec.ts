import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker } from '../../src';
import { fail, ok, openTheCircuit, rejectionOf } from '../support/helpers';

describe('CircuitBreaker stats() and toJSON()', () => {
  let clock: sinon.SinonFakeTimers;
  let breaker: CircuitBreaker<never>;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
    breaker = new CircuitBreaker({ name: 'orders', failureThreshold: 2, resetTimeout: 1_000 });
  });
  afterEach(() => clock.restore());

  it('starts at zero, CLOSED', () => {
    expect(breaker.stats()).to.deep.equal({
      name: 'orders',
      state: 'CLOSED',
      isolated: false,
      disabled: false,
      alone: false,
      consecutiveFailures: 0,
      calls: 0,
      successes: 0,
      failures: 0,
      ignored: 0,
      refusals: 0,
      timeouts: 0,
      fallbacks: 0,
      lateOutcomes: 0,
      opened: 0,
      lastFailureAt: null,
      nextProbeAt: null,
      resetTimeout: 1_000,
      window: null,
      failureRate: null,
      slowCallRate: null,
    });
  });

  it('counts calls, successes, failures, refusals and openings', async () => {
    await breaker.call(ok);
    clock.tick(10);
    await openTheCircuit(breaker);
    await rejectionOf(breaker.call(ok));
    await rejectionOf(breaker.call(ok));
    expect(breaker.stats()).to.include({
      state: 'OPEN',
      calls: 3,
      successes: 1,
      failures: 2,
      refusals: 2,
      opened: 1,
      consecutiveFailures: 0,
      lastFailureAt: 10,
      nextProbeAt: 1_010,
    });
  });

  it('reports HALF_OPEN with no nextProbeAt while a probe is in flight', async () => {
    await openTheCircuit(breaker);
    clock.tick(1_000);
    const probe = breaker.call(() => new Promise<string>(() => undefined));
    void probe;
    expect(breaker.stats()).to.include({ state: 'HALF_OPEN', nextProbeAt: null });
  });

  it('is a snapshot: later calls do not change it', async () => {
    const before = breaker.stats();
    await rejectionOf(breaker.call(fail));
    expect(before.failures).to.equal(0);
    expect(breaker.stats().failures).to.equal(1);
  });

  it('toJSON() is stats(), so JSON.stringify(breaker) shows it', async () => {
    await rejectionOf(breaker.call(fail));
    expect(breaker.toJSON()).to.deep.equal(breaker.stats());
    expect(JSON.parse(JSON.stringify(breaker))).to.deep.equal(breaker.stats());
  });
});
