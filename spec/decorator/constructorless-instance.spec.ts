/**
 * An instance made without its constructor (`Object.create(Svc.prototype)`, as ORMs and
 * deserialisers make them). Standard decorators learn a method's class from an initializer
 * that runs in the constructor, which such an instance never ran: its first call names and
 * registers the breaker instead. Legacy decorators know the class at decoration; the same
 * contract holds there.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, CircuitBreakerOpenException, getCircuitBreaker, listCircuitBreakers } from '../../src';
import { rejectionOf } from '../support/helpers';

describe('decorator: an instance made without its constructor (Object.create)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  it('names the breaker Class#method from its first call: in what a refusal and an event say', async () => {
    class Svc {
      @CircuitBreaker({ failureThreshold: 1 })
      async ping(): Promise<string> {
        throw new Error('down');
      }
    }
    const svc = Object.create(Svc.prototype) as Svc;
    await rejectionOf(svc.ping());
    const refusal = (await rejectionOf(svc.ping())) as CircuitBreakerOpenException;
    expect(refusal).to.be.instanceOf(CircuitBreakerOpenException);
    expect(refusal.breaker).to.equal('Svc#ping');
  });

  it('lists the breaker in listCircuitBreakers() from its first call (an OPEN one included)', async () => {
    class Listed {
      @CircuitBreaker({ failureThreshold: 1 })
      async ping(): Promise<string> {
        throw new Error('down');
      }
    }
    const svc = Object.create(Listed.prototype) as Listed;
    await rejectionOf(svc.ping());
    const listed = listCircuitBreakers().filter((breaker) => breaker.name === 'Listed#ping' && breaker.state === 'OPEN');
    expect(listed).to.have.length(1);
    expect(getCircuitBreaker(svc, 'ping')).to.equal(listed[0]);
  });

  it("names it after the class that declares the method for a subclass's instance", async () => {
    class Declaring {
      @CircuitBreaker()
      async ping(): Promise<string> {
        return 'pong';
      }
    }
    class Derived extends Declaring {}
    const sub = Object.create(Derived.prototype) as Derived;
    expect(await sub.ping()).to.equal('pong');
    expect(listCircuitBreakers().map((breaker) => breaker.name)).to.include('Declaring#ping');
  });

  it("does not name it after a foreign `this` (the method applied to an unrelated object); the next proper call does", async () => {
    class Foreign {
      @CircuitBreaker()
      async ping(): Promise<string> {
        return 'pong';
      }
    }
    class Unrelated {}
    const ping = Foreign.prototype.ping as unknown as (this: unknown) => Promise<string>;
    expect(await ping.call(new Unrelated())).to.equal('pong');
    const names = () => listCircuitBreakers().map((breaker) => breaker.name);
    expect(names()).to.not.include('Unrelated#ping');
    await (Object.create(Foreign.prototype) as Foreign).ping();
    expect(names()).to.include('Foreign#ping');
    expect(getCircuitBreaker(Foreign.prototype, 'ping').stats().calls, 'both calls went through the one breaker').to.equal(2);
  });

  it("names an instance's own breaker Class#method too (scope 'instance')", async () => {
    class TenantDb {
      @CircuitBreaker({ failureThreshold: 1, scope: 'instance' })
      async query(): Promise<string> {
        throw new Error('down');
      }
    }
    const tenant = Object.create(TenantDb.prototype) as TenantDb;
    await rejectionOf(tenant.query());
    const refusal = (await rejectionOf(tenant.query())) as CircuitBreakerOpenException;
    expect(refusal.breaker).to.equal('TenantDb#query');
    expect(listCircuitBreakers()).to.include(getCircuitBreaker(tenant, 'query'));
  });
});
