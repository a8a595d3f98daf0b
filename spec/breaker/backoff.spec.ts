import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker } from '../../src';
import { fail, ok, openTheCircuit, rejectionOf } from '../support/helpers';

describe('CircuitBreaker backoff (maxResetTimeout, backoffMultiplier)', () => {
  let clock: sinon.SinonFakeTimers;
  let breaker: CircuitBreaker<never>;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
    breaker = new CircuitBreaker({ failureThreshold: 1, resetTimeout: 1_000, maxResetTimeout: 4_000, backoffMultiplier: 2 });
  });
  afterEach(() => clock.restore());

  /** Waits out the current wait and fails the probe; returns the next wait. */
  async function failTheProbe(): Promise<number> {
    clock.tick(breaker.stats().nextProbeAt! - Date.now());
    await rejectionOf(breaker.call(fail));
    expect(breaker.state).to.equal('OPEN');
    return breaker.stats().nextProbeAt! - Date.now();
  }

  it('waits resetTimeout after the first trip', async () => {
    await openTheCircuit(breaker);
    expect(breaker.stats().nextProbeAt).to.equal(1_000);
  });

  it('multiplies the wait after each failed probe, up to maxResetTimeout', async () => {
    await openTheCircuit(breaker);
    expect(await failTheProbe()).to.equal(2_000);
    expect(await failTheProbe()).to.equal(4_000);
    expect(await failTheProbe()).to.equal(4_000);
    expect(breaker.stats().resetTimeout).to.equal(4_000);
  });

  it('refuses for the whole lengthened wait', async () => {
    await openTheCircuit(breaker);
    await failTheProbe();
    const fn = sinon.stub().resolves('ok');
    clock.tick(1_999);
    await rejectionOf(breaker.call(fn));
    expect(fn.called).to.equal(false);
    clock.tick(1);
    await breaker.call(fn);
    expect(fn.calledOnce).to.equal(true);
  });

  it('returns to resetTimeout when a probe closes the circuit', async () => {
    await openTheCircuit(breaker);
    await failTheProbe();
    clock.tick(2_000);
    await breaker.call(ok);
    expect(breaker.state).to.equal('CLOSED');
    await rejectionOf(breaker.call(fail));
    expect(breaker.stats().nextProbeAt! - Date.now()).to.equal(1_000);
  });

  it('returns to resetTimeout when reset() or re-enabled', async () => {
    for (const close of [
      () => breaker.reset(),
      () => { breaker.disable(); breaker.enable(); },
    ]) {
      breaker.reset();
      await openTheCircuit(breaker);
      await failTheProbe();
      close();
      expect(breaker.state).to.equal('CLOSED');
      expect(breaker.stats().resetTimeout).to.equal(1_000);
      await rejectionOf(breaker.call(fail));
      expect(breaker.stats().nextProbeAt! - Date.now()).to.equal(1_000);
    }
  });

  it('does not back off without maxResetTimeout', async () => {
    const plain = new CircuitBreaker({ failureThreshold: 1, resetTimeout: 1_000 });
    await openTheCircuit(plain);
    clock.tick(1_000);
    await rejectionOf(plain.call(fail));
    expect(plain.stats().nextProbeAt! - Date.now()).to.equal(1_000);
  });
});
