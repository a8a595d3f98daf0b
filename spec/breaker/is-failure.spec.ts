import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker } from '../../src';
import { changesOf, deferred, fail, ok, openTheCircuit, rejectionOf } from '../support/helpers';
import { uncaughtDuring } from '../support/uncaught';

class NotFound extends Error {}

/** The isFailure option: what an error it does not count changes (onIgnoredError in src/breaker/rules.ts). */
describe('isFailure', () => {
  let clock: sinon.SinonFakeTimers;
  let isFailure: sinon.SinonSpy<[unknown], boolean>;
  let breaker: CircuitBreaker<never>;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
    isFailure = sinon.spy((error: unknown) => !(error instanceof NotFound));
    breaker = new CircuitBreaker({ failureThreshold: 2, resetTimeout: 1_000, isFailure });
  });
  afterEach(() => clock.restore());

  it('is asked about every error, with the error itself', async () => {
    const error = new NotFound('no user');
    await rejectionOf(breaker.call(() => Promise.reject(error)));
    expect(isFailure.calledOnceWithExactly(error)).to.equal(true);
  });

  it('an error it does not count is re-raised unchanged but neither trips nor resets the count', async () => {
    await rejectionOf(breaker.call(fail));
    const error = new NotFound('no user');
    for (let i = 0; i < 5; i++) expect(await rejectionOf(breaker.call(() => Promise.reject(error)))).to.equal(error);
    expect(breaker.state).to.equal('CLOSED');
    expect(breaker.stats()).to.include({ ignored: 5, failures: 1, consecutiveFailures: 1 });
    await rejectionOf(breaker.call(fail));
    expect(breaker.state).to.equal('OPEN');
  });

  it('a probe whose error it does not count decides nothing: the next call probes', async () => {
    await openTheCircuit(breaker);
    clock.tick(1_000);
    await rejectionOf(breaker.call(() => Promise.reject(new NotFound('no user'))));
    expect(breaker.state).to.equal('HALF_OPEN');
    const next = sinon.stub().resolves('ok');
    await breaker.call(next);
    expect(next.calledOnce).to.equal(true);
    expect(breaker.state).to.equal('CLOSED');
  });

  it('while that next probe is in flight, other callers are refused', async () => {
    await openTheCircuit(breaker);
    clock.tick(1_000);
    await rejectionOf(breaker.call(() => Promise.reject(new NotFound('no user'))));
    const probe = deferred<string>();
    const result = breaker.call(() => probe.promise);
    const other = sinon.stub().resolves('other');
    await rejectionOf(breaker.call(other));
    expect(other.called).to.equal(false);
    probe.resolve('ok');
    await result;
  });

  it('a filter that throws counts the error as a failure and re-raises the filter\'s error on a later tick', async () => {
    const bug = new Error('filter bug');
    const broken = new CircuitBreaker({ failureThreshold: 1, isFailure: () => { throw bug; } });
    const original = new Error('down');
    let error: unknown;
    const uncaught = await uncaughtDuring(async () => {
      error = await rejectionOf(broken.call(() => Promise.reject(original)));
    });
    expect(error).to.equal(original);
    expect(broken.state).to.equal('OPEN');
    expect(uncaught).to.have.ordered.members([bug]);
    await breaker.call(ok);
  });

  describe('an error isFailure ignores', () => {
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
});
