import { expect } from 'chai';
import { loadASecondCopy } from '../support/second-copy';
import { CircuitBreakerTimeoutException, isCircuitBreakerOpenException, isCircuitBreakerTimeoutException } from '../../src';

const loadTheSecondCopy = (): typeof import('../../src/errors/circuit-breaker-timeout-exception') => loadASecondCopy('circuit-breaker-timeout-exception');

describe('CircuitBreakerTimeoutException', () => {
  it('is an Error named CircuitBreakerTimeoutException with breaker, timeout and message', () => {
    const error = new CircuitBreakerTimeoutException('slow-api', 250);
    expect(error).to.be.instanceOf(Error);
    expect(error).to.include({ name: 'CircuitBreakerTimeoutException', breaker: 'slow-api', timeout: 250 });
    expect(error.message).to.equal('Circuit breaker "slow-api": call timed out after 250 ms');
  });

  it('passes `cause` through', () => {
    const cause = new Error('root');
    expect(new CircuitBreakerTimeoutException('b', 1, { cause }).cause).to.equal(cause);
  });

  it('is recognised by its guard only', () => {
    const error = new CircuitBreakerTimeoutException('b', 1);
    expect(isCircuitBreakerTimeoutException(error)).to.equal(true);
    expect(isCircuitBreakerOpenException(error)).to.equal(false);
    expect(isCircuitBreakerTimeoutException(new Error('timeout'))).to.equal(false);
  });

  it('carries the breaker, the timeout, a message naming both, its name and a cause', () => {
    const cause = new Error('slow');
    const error = new CircuitBreakerTimeoutException('api', 250, { cause });
    expect(error.message).to.equal('Circuit breaker "api": call timed out after 250 ms');
    expect([error.breaker, error.timeout, error.name, error.cause]).to.deep.equal(['api', 250, 'CircuitBreakerTimeoutException', cause]);
    expect(Object.keys(error)).to.not.include('name');
    expect(isCircuitBreakerTimeoutException(error)).to.equal(true);
    expect(String(error)).to.equal('CircuitBreakerTimeoutException: Circuit breaker "api": call timed out after 250 ms');
  });

  it('is recognised across two installed copies, both ways', () => {
    const copy = loadTheSecondCopy();
    expect(copy.CircuitBreakerTimeoutException).to.not.equal(CircuitBreakerTimeoutException);
    expect(isCircuitBreakerTimeoutException(new copy.CircuitBreakerTimeoutException('b', 1))).to.equal(true);
    expect(copy.isCircuitBreakerTimeoutException(new CircuitBreakerTimeoutException('b', 1))).to.equal(true);
  });
});
