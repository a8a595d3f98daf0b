import { expect } from 'chai';
import { loadASecondCopy } from '../support/second-copy';

const loadACopy = (): typeof import('../../src/errors/circuit-breaker-timeout-exception') => loadASecondCopy('circuit-breaker-timeout-exception');

describe('CircuitBreakerTimeoutException, as any installed copy makes it', () => {
  it('is named CircuitBreakerTimeoutException, in its stack header too', () => {
    const { CircuitBreakerTimeoutException } = loadACopy();
    const error = new CircuitBreakerTimeoutException('slow-api', 250);
    expect(error.name).to.equal('CircuitBreakerTimeoutException');
    expect(String(error)).to.equal('CircuitBreakerTimeoutException: Circuit breaker "slow-api": call timed out after 250 ms');
  });

  it('lists only its own fields to for...in and JSON, as a native error would', () => {
    const { CircuitBreakerTimeoutException } = loadACopy();
    const error = new CircuitBreakerTimeoutException('slow-api', 250);
    const keys: string[] = [];
    for (const key in error) keys.push(key);
    expect(keys).to.deep.equal(['breaker', 'timeout']);
    expect(JSON.parse(JSON.stringify(error))).to.deep.equal({ breaker: 'slow-api', timeout: 250 });
  });

  it('can be renamed by assignment, as an Error can', () => {
    const { CircuitBreakerTimeoutException } = loadACopy();
    const error = new CircuitBreakerTimeoutException('slow-api', 250);
    (error as { name: string }).name = 'Renamed';
    expect(error.name).to.equal('Renamed');
    expect(new CircuitBreakerTimeoutException('other', 1).name).to.equal('CircuitBreakerTimeoutException');
  });
});
