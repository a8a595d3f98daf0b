/**
 * A keyed method (its `key` option) called on an instance made without its constructor
 * (`Object.create(Svc.prototype)`, as ORMs and deserialisers make them): its first call names
 * the keyed breakers after the class, as a constructed instance's would be, in method scope and in
 * instance scope. (Standard decorators learn the class from that first call; legacy decorators at
 * decoration: the same contract holds in both.) Plain methods: spec/decorator/constructorless-instance.spec.ts.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, CircuitBreakerOpenException, getKeyedCircuitBreaker, listCircuitBreakers } from '../../src';
import { rejectionOf } from '../support/helpers';

describe('decorator: a keyed method on an instance made without its constructor', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  it('method scope: the first call names the keyed breaker Class#method[key]', async () => {
    class Hosts {
      @CircuitBreaker({ failureThreshold: 1, key: (host: string) => host })
      async fetch(host: string): Promise<string> {
        throw new Error(`${host} down`);
      }
    }
    const hosts = Object.create(Hosts.prototype) as Hosts;
    await rejectionOf(hosts.fetch('eu'));
    const refusal = (await rejectionOf(hosts.fetch('eu'))) as CircuitBreakerOpenException;
    expect(refusal).to.be.instanceOf(CircuitBreakerOpenException);
    expect(refusal.breaker).to.equal('Hosts#fetch[eu]');
    expect(getKeyedCircuitBreaker(hosts, 'fetch').name).to.equal('Hosts#fetch');
  });

  it("instance scope: the first call names the instance's keyed breaker Class#method[key]", async () => {
    class Tenants {
      @CircuitBreaker({ scope: 'instance', failureThreshold: 1, key: (tenant: string) => tenant })
      async load(tenant: string): Promise<string> {
        throw new Error(`${tenant} down`);
      }
    }
    const tenants = Object.create(Tenants.prototype) as Tenants;
    await rejectionOf(tenants.load('acme'));
    const refusal = (await rejectionOf(tenants.load('acme'))) as CircuitBreakerOpenException;
    expect(refusal.breaker).to.equal('Tenants#load[acme]');
    expect(listCircuitBreakers().map((breaker) => breaker.name)).to.include('Tenants#load[acme]');
  });
});
