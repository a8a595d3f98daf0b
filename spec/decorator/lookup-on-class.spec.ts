/**
 * getCircuitBreaker on a class: its static method of that name, else the breaker of
 * its instances' method (`getCircuitBreaker(UserCache, 'get')`, as the README shows).
 */
import { expect } from 'chai';
import { CircuitBreaker, getCircuitBreaker } from '../../src';

describe('getCircuitBreaker on a class', () => {
  it("finds its instances' method's breaker when the class has no static method of that name", () => {
    class UserCache {
      @CircuitBreaker({ failureThreshold: 4 })
      async get(): Promise<string> {
        return 'got';
      }
    }
    const breaker = getCircuitBreaker(UserCache, 'get');
    expect(breaker.name).to.equal('UserCache#get');
    expect(breaker.options.failureThreshold).to.equal(4);
    expect(getCircuitBreaker(new UserCache(), 'get')).to.equal(breaker);
    expect(getCircuitBreaker(UserCache.prototype, 'get')).to.equal(breaker);
  });

  it('prefers the static method when the class has both', () => {
    class Both {
      @CircuitBreaker()
      async get(): Promise<string> {
        return 'instance';
      }
      @CircuitBreaker()
      static async get(): Promise<string> {
        return 'static';
      }
    }
    expect(getCircuitBreaker(Both, 'get').name).to.equal('Both.get');
    expect(getCircuitBreaker(new Both(), 'get').name).to.equal('Both#get');
  });

  it("finds an inherited instance method on a subclass, named after the class that declares it", () => {
    class Base {
      @CircuitBreaker()
      async get(): Promise<string> {
        return 'base';
      }
    }
    class Sub extends Base {}
    expect(getCircuitBreaker(Sub, 'get')).to.equal(getCircuitBreaker(Base.prototype, 'get'));
    expect(getCircuitBreaker(Sub, 'get').name).to.equal('Base#get');
  });

  it('does not take what every function has (call, bind, toString) for a static method', () => {
    class Rpc {
      @CircuitBreaker()
      async call(): Promise<string> {
        return 'called';
      }
    }
    expect(getCircuitBreaker(Rpc, 'call').name).to.equal('Rpc#call');
    expect(() => getCircuitBreaker(Rpc as object, 'bind')).to.throw(TypeError, 'Rpc.bind is not decorated with @CircuitBreaker');
  });

  it('names both places it looked when neither the class nor its instances have the method', () => {
    class UserCache {
      @CircuitBreaker()
      async get(): Promise<string> {
        return 'got';
      }
    }
    expect(() => getCircuitBreaker(UserCache as object, 'gte')).to.throw(TypeError, 'UserCache.gte is not a method, nor is UserCache#gte');
  });

  it("still asks for an instance when the method has one breaker per instance (scope 'instance')", () => {
    class TenantDb {
      @CircuitBreaker({ scope: 'instance' })
      async query(): Promise<string> {
        return 'rows';
      }
    }
    expect(() => getCircuitBreaker(TenantDb, 'query')).to.throw(
      TypeError,
      "TenantDb#query has one breaker per instance (scope 'instance'): pass an instance to getCircuitBreaker",
    );
  });
});
