import { expect } from 'chai';
import { loadASecondCopy } from '../support/second-copy';
import sinon from 'sinon';
import { CircuitBreaker, CircuitBreakerOpenException, isCircuitBreakerOpenException, isCircuitBreakerTimeoutException } from '../../src';
import { ok, openTheCircuit, rejectionOf } from '../support/helpers';

const loadTheSecondCopy = (): typeof import('../../src/errors/circuit-breaker-open-exception') => loadASecondCopy('circuit-breaker-open-exception');

describe('CircuitBreakerOpenException', () => {
  let clock: sinon.SinonFakeTimers;
  let breaker: CircuitBreaker<never>;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
    breaker = new CircuitBreaker({ name: 'users-api', failureThreshold: 1, resetTimeout: 1_000 });
  });
  afterEach(() => clock.restore());

  async function refusal(): Promise<CircuitBreakerOpenException> {
    return (await rejectionOf(breaker.call(ok))) as CircuitBreakerOpenException;
  }

  it('is an Error named CircuitBreakerOpenException, carrying the breaker\'s name', async () => {
    await openTheCircuit(breaker);
    const error = await refusal();
    expect(error).to.be.instanceOf(Error).and.instanceOf(CircuitBreakerOpenException);
    expect(error.name).to.equal('CircuitBreakerOpenException');
    expect(error.breaker).to.equal('users-api');
    expect(isCircuitBreakerOpenException(error)).to.equal(true);
  });

  it('OPEN: retryAfter is the milliseconds left until the probe, and the message says so', async () => {
    await openTheCircuit(breaker);
    clock.tick(400);
    const error = await refusal();
    expect(error.retryAfter).to.equal(600);
    expect(error.message).to.equal('Circuit breaker "users-api" is open: call refused, retry after 600 ms');
    expect(String(error)).to.equal('CircuitBreakerOpenException: Circuit breaker "users-api" is open: call refused, retry after 600 ms');
  });

  it('HALF_OPEN: retryAfter is 0 (the probe in flight decides)', async () => {
    await openTheCircuit(breaker);
    clock.tick(1_000);
    void breaker.call(() => new Promise<string>(() => undefined));
    const error = await refusal();
    expect(error.retryAfter).to.equal(0);
    expect(error.message).to.contain('retry after 0 ms');
  });

  it('isolated: retryAfter is Infinity, and the message says until released', async () => {
    const handle = breaker.isolate();
    const error = await refusal();
    expect(error.retryAfter).to.equal(Infinity);
    expect(error.message).to.equal('Circuit breaker "users-api" is open: call refused, until released');
    handle.dispose();
  });

  it('is a new object for each refusal: a later refusal does not change an earlier one', async () => {
    await openTheCircuit(breaker);
    const first = await refusal();
    clock.tick(300);
    const second = await refusal();
    expect(second).to.not.equal(first);
    expect(first.retryAfter).to.equal(1_000);
    expect(second.retryAfter).to.equal(700);
  });

  it('passes `cause` through', () => {
    const cause = new Error('root');
    expect(new CircuitBreakerOpenException('b', 1, { cause }).cause).to.equal(cause);
  });

  it('is not a CircuitBreakerTimeoutException, and the guard refuses look-alikes', () => {
    const error = new CircuitBreakerOpenException('b', 1);
    expect(isCircuitBreakerTimeoutException(error)).to.equal(false);
    for (const value of [new Error('x'), { name: 'CircuitBreakerOpenException' }, null, undefined, 'CircuitBreakerOpenException']) {
      expect(isCircuitBreakerOpenException(value)).to.equal(false);
    }
  });

  describe('across two installed copies of the package', () => {
    const copy = loadTheSecondCopy();

    it('is a different class in the second copy (instanceof cannot tell)', () => {
      expect(copy.CircuitBreakerOpenException).to.not.equal(CircuitBreakerOpenException);
      expect(new copy.CircuitBreakerOpenException('b', 1)).to.not.be.instanceOf(CircuitBreakerOpenException);
    });

    it('this copy\'s guard recognises the other copy\'s exception', () => {
      expect(isCircuitBreakerOpenException(new copy.CircuitBreakerOpenException('b', 1))).to.equal(true);
    });

    it('the other copy\'s guard recognises this copy\'s exception', async () => {
      await openTheCircuit(breaker);
      expect(copy.isCircuitBreakerOpenException(await refusal())).to.equal(true);
      expect(copy.isCircuitBreakerOpenException(new Error('x'))).to.equal(false);
    });
  });
});
