import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, CircuitBreakerOpenException, getCircuitBreaker, listCircuitBreakers } from '../../src';
import { fail, rejectionOf } from '../support/helpers';
import { isStandard } from '../support/mode';

/** The registry of decorated methods (src/decorator/registry.ts): getCircuitBreaker, listCircuitBreakers, shared breakers. */
describe('breaker registry', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  describe('getCircuitBreaker', () => {
    class Base {
      @CircuitBreaker({ failureThreshold: 4 })
      async get(): Promise<string> {
        return 'base';
      }
      async plain(): Promise<string> {
        return 'plain';
      }
      @CircuitBreaker()
      static async ping(): Promise<string> {
        return 'pong';
      }
    }
    class Sub extends Base {}
    // A class never instantiated before its lookup (standard decorators register lazily).
    class Lazy {
      @CircuitBreaker()
      async get(): Promise<void> {}
    }

    it('finds the breaker on an instance and on the prototype: the same breaker', () => {
      const breaker = getCircuitBreaker(new Base(), 'get');
      expect(breaker).to.be.instanceOf(CircuitBreaker);
      expect(breaker.options.failureThreshold).to.equal(4);
      expect(getCircuitBreaker(Base.prototype, 'get')).to.equal(breaker);
    });

    it('finds it on a prototype before any instance exists', () => {
      const breaker = getCircuitBreaker(Lazy.prototype, 'get');
      expect(breaker.name).to.equal('Lazy#get');
      expect(getCircuitBreaker(new Lazy(), 'get')).to.equal(breaker);
    });

    it('finds the breaker of a static method on the class', () => {
      expect(getCircuitBreaker(Base, 'ping').name).to.equal('Base.ping');
    });

    it('finds the inherited breaker on a subclass instance (the method\'s, named after its class)', () => {
      const breaker = getCircuitBreaker(new Sub(), 'get');
      expect(breaker).to.equal(getCircuitBreaker(Base.prototype, 'get'));
      expect(breaker.name).to.equal('Base#get');
    });

    it('the breaker found is the one that guards the calls', async () => {
      const instance = new Base();
      const breaker = getCircuitBreaker(instance, 'get');
      const before = breaker.stats().calls;
      await instance.get();
      expect(breaker.stats().calls).to.equal(before + 1);
    });

    it('throws TypeError for an undecorated method', () => {
      expect(() => getCircuitBreaker(new Base(), 'plain')).to.throw(TypeError, 'Base#plain is not decorated with @CircuitBreaker');
    });

    it('throws TypeError for a missing method', () => {
      expect(() => getCircuitBreaker(new Base() as object, 'missing')).to.throw(TypeError, 'Base#missing is not a method');
    });

    it('throws TypeError for a target that is not an object', () => {
      expect(() => getCircuitBreaker(null as never, 'get')).to.throw(TypeError, 'null');
      expect(() => getCircuitBreaker('text' as never, 'get')).to.throw(TypeError, 'string');
    });

    it('throws TypeError for a method name that is neither a string nor a symbol', () => {
      expect(() => getCircuitBreaker({}, 1 as never)).to.throw(TypeError, 'needs a method name, got number');
      expect(() => getCircuitBreaker({}, undefined as never)).to.throw(TypeError, 'needs a method name, got undefined');
    });

    it('names the missing method on an object without a class, a class without a name, and by a symbol without description', () => {
      expect(() => getCircuitBreaker(Object.create(null) as object, 'get')).to.throw(TypeError, '<anonymous>#get is not a method');
      const anonymous = (() => class {})();
      expect(() => getCircuitBreaker(anonymous as object, 'get')).to.throw(TypeError, '<anonymous>.get is not a method');
      expect(() => getCircuitBreaker({}, Symbol())).to.throw(TypeError, 'Object#[] is not a method');
      expect(() => getCircuitBreaker({}, Symbol('load'))).to.throw(TypeError, 'Object#[load] is not a method');
    });

    it('throws for a function-valued property that no decorator guards', () => {
      expect(() => getCircuitBreaker({ run: () => Promise.resolve() }, 'run')).to.throw(TypeError, 'Object#run is not decorated with @CircuitBreaker');
    });

    it('finds the breaker of a decorated method copied onto a plain object (by the guarded function)', () => {
      class Source {
        @CircuitBreaker({ name: 'copied' })
        async run(): Promise<string> {
          return 'ok';
        }
      }
      const holder = { run: Source.prototype.run };
      expect(getCircuitBreaker(holder, 'run').name).to.equal('copied');
    });
  });

  describe("scope 'instance'", () => {
    class TenantDb {
      @CircuitBreaker({ failureThreshold: 1, scope: 'instance' })
      async query(fail: boolean): Promise<string> {
        if (fail) throw new Error('down');
        return 'rows';
      }
    }

    it('gives each instance its own breaker, named Class#method', async () => {
      const a = new TenantDb();
      const b = new TenantDb();
      await rejectionOf(a.query(true));
      expect(getCircuitBreaker(a, 'query').state).to.equal('OPEN');
      expect(await rejectionOf(a.query(false))).to.be.instanceOf(CircuitBreakerOpenException);
      expect(await b.query(false)).to.equal('rows');
      expect(getCircuitBreaker(a, 'query')).to.not.equal(getCircuitBreaker(b, 'query'));
      expect(getCircuitBreaker(b, 'query').name).to.equal('TenantDb#query');
    });

    it('getCircuitBreaker on the prototype or class throws: pass an instance', () => {
      expect(() => getCircuitBreaker(TenantDb.prototype, 'query')).to.throw(TypeError, /scope 'instance'.*pass an instance/);
    });

    it('keeps listing the live instances past 64 breakers, once each', async () => {
      class Tenant {
        @CircuitBreaker({ scope: 'instance' })
        async ping(): Promise<string> {
          return 'pong';
        }
      }
      const tenants = Array.from({ length: 70 }, () => new Tenant());
      for (const tenant of tenants) await tenant.ping();
      const mine = new Set(tenants.map((tenant) => getCircuitBreaker(tenant, 'ping')));
      expect(mine.size).to.equal(70);
      const listed = listCircuitBreakers().filter((breaker) => mine.has(breaker));
      expect(listed.length).to.equal(70);
      // Looked up on the class instead of an instance: a clear error (standard: also after a lookup bound it).
      expect(() => getCircuitBreaker(Tenant.prototype, 'ping')).to.throw(TypeError, 'pass an instance');
      if (isStandard) expect(() => getCircuitBreaker(Tenant.prototype, 'ping')).to.throw(TypeError, 'Tenant#ping');
    });
  });

  describe('sharing one breaker: @CircuitBreaker(existingBreaker)', () => {
    const redis = new CircuitBreaker({ name: 'redis', failureThreshold: 2, resetTimeout: 1_000 });
    class Cache {
      readonly backend = sinon.stub<[], Promise<string>>();
      @CircuitBreaker(redis)
      async get(): Promise<string> {
        return this.backend();
      }
      @CircuitBreaker(redis)
      async set(): Promise<string> {
        return this.backend();
      }
    }
    class Sessions {
      readonly backend = sinon.stub<[], Promise<string>>();
      @CircuitBreaker(redis)
      async load(): Promise<string> {
        return this.backend();
      }
    }

    afterEach(() => redis.reset());

    it('guards every method with that breaker, keeping its name', () => {
      expect(getCircuitBreaker(Cache.prototype, 'get')).to.equal(redis);
      expect(getCircuitBreaker(Cache.prototype, 'set')).to.equal(redis);
      expect(getCircuitBreaker(Sessions.prototype, 'load')).to.equal(redis);
      expect(redis.name).to.equal('redis');
    });

    it('failures in one method open the circuit for all of them', async () => {
      const cache = new Cache();
      const sessions = new Sessions();
      cache.backend.rejects(new Error('down'));
      await rejectionOf(cache.get());
      await rejectionOf(cache.set());
      expect(await rejectionOf(sessions.load())).to.be.instanceOf(CircuitBreakerOpenException);
      expect(sessions.backend.called).to.equal(false);
    });

    it('takes no second argument', () => {
      expect(() => (CircuitBreaker as (...args: unknown[]) => unknown)(redis, 1)).to.throw(TypeError, 'no second argument');
    });
  });

  describe('listCircuitBreakers', () => {
    it('lists the breaker of every decorated method, once each', () => {
      const shared = new CircuitBreaker({ name: 'listed-shared' });
      class Listed {
        @CircuitBreaker({ name: 'listed-a' })
        async a(): Promise<void> {}
        @CircuitBreaker(shared)
        async b(): Promise<void> {}
        @CircuitBreaker(shared)
        async c(): Promise<void> {}
      }
      const all = listCircuitBreakers();
      expect(all).to.include(getCircuitBreaker(Listed.prototype, 'a'));
      expect(all.filter((breaker) => breaker === shared)).to.have.length(1);
      expect(new Set(all).size).to.equal(all.length);
    });

    it("lists one breaker per instance made so far for scope 'instance'", async () => {
      class PerTenant {
        @CircuitBreaker({ scope: 'instance', name: 'per-tenant' })
        async q(): Promise<void> {}
      }
      expect(listCircuitBreakers().filter((b) => b.name === 'per-tenant')).to.have.length(0);
      const a = new PerTenant();
      const b = new PerTenant();
      await a.q();
      await b.q();
      const listed = listCircuitBreakers().filter((breaker) => breaker.name === 'per-tenant');
      expect(listed).to.have.members([getCircuitBreaker(a, 'q'), getCircuitBreaker(b, 'q')]);
    });

    it('does not list a plain breaker that guards no method', async () => {
      const plain = new CircuitBreaker({ name: 'plain-unlisted' });
      await rejectionOf(plain.call(fail));
      expect(listCircuitBreakers()).to.not.include(plain);
    });
  });
});
