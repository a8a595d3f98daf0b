import { expect } from 'chai';
import { inspect, types } from 'node:util';
import { CircuitBreaker, CircuitBreakerOpenException, isCircuitBreakerOpenException } from '../../src';
import { openTheCircuit, ok, rejectionOf } from '../support/helpers';

describe('the exception a refusal rejects with', () => {
  async function aRefusal(): Promise<CircuitBreakerOpenException> {
    const breaker = new CircuitBreaker({ name: 'inventory-api', failureThreshold: 1, resetTimeout: 60_000 });
    await openTheCircuit(breaker);
    return (await rejectionOf(breaker.call(ok))) as CircuitBreakerOpenException;
  }

  it('is an Error and a CircuitBreakerOpenException, by instanceof, guard and tag', async () => {
    const refusal = await aRefusal();
    expect(refusal).to.be.instanceOf(Error);
    expect(refusal).to.be.instanceOf(CircuitBreakerOpenException);
    expect(isCircuitBreakerOpenException(refusal)).to.equal(true);
    expect(Object.prototype.toString.call(refusal)).to.equal('[object Error]');
  });

  it('has a stack of its header alone: no frames were captured', async () => {
    const refusal = await aRefusal();
    expect(refusal.stack).to.equal(`CircuitBreakerOpenException: ${refusal.message}`);
    expect(refusal.stack).not.to.include('\n    at ');
    expect(inspect(refusal)).to.include('CircuitBreakerOpenException: Circuit breaker "inventory-api" is open');
  });

  it('is made without Error\'s constructor (the one check that tells is isNativeError); one made with new is native', async () => {
    expect(types.isNativeError(await aRefusal())).to.equal(false);
    const made = new CircuitBreakerOpenException('x', 5);
    expect(types.isNativeError(made)).to.equal(true);
    expect(made.stack).to.equal(`CircuitBreakerOpenException: ${made.message}`);
  });

  it('serializes to its fields', async () => {
    expect(JSON.parse(JSON.stringify(await aRefusal()))).to.deep.equal({ breaker: 'inventory-api', retryAfter: 60_000 });
  });
});
