import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, CircuitBreakerOpenException, getCircuitBreaker } from '../../src';
import { TAG, Tag, untyped } from '../support/decorators';
import { flush, rejectionOf } from '../support/helpers';
import { isLegacy, isStandard } from '../support/mode';

/** The exported decorator (src/decorator/circuit-breaker.ts) on methods, in the mode this run was compiled with. */
describe('@CircuitBreaker decorator', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  describe('a decorated method', () => {
    class UserCache {
      readonly backend = sinon.stub<[string, number], Promise<{ id: string }>>();
      @CircuitBreaker({ failureThreshold: 2, resetTimeout: 1_000 })
      async get(id: string, ttl: number): Promise<{ id: string }> {
        return this.backend(id, ttl);
      }
    }

    it('keeps `this` and the arguments', async () => {
      const cache = new UserCache();
      cache.backend.resolves({ id: 'u1' });
      await cache.get('u1', 30);
      expect(cache.backend.calledOnceWithExactly('u1', 30)).to.equal(true);
      expect(cache.backend.firstCall.thisValue).to.equal(cache);
    });

    it('returns the result unchanged (the same object)', async () => {
      const cache = new UserCache();
      const user = { id: 'u1' };
      cache.backend.resolves(user);
      expect(await cache.get('u1', 30)).to.equal(user);
    });

    it('re-raises a failure unchanged, whatever was thrown', async () => {
      for (const thrown of [new Error('down'), 'down', null, undefined]) {
        const cache = new UserCache();
        getCircuitBreaker(cache, 'get').reset();
        cache.backend.rejects(thrown);
        cache.backend.callsFake(() => Promise.reject(thrown));
        expect(await rejectionOf(cache.get('u1', 1))).to.equal(thrown);
      }
    });

    it('re-raises a synchronous throw from a non-async method unchanged, as a rejection', async () => {
      const thrown = { sync: true };
      class Client {
        @CircuitBreaker()
        fetch(): Promise<string> {
          throw thrown;
        }
      }
      const result = new Client().fetch();
      expect(result).to.be.instanceOf(Promise);
      expect(await rejectionOf(result)).to.equal(thrown);
    });

    it('a decorated method that throws synchronously while CLOSED rejects with the same value', async () => {
      const thrown = { not: 'an error' };
      class Sync {
        @CircuitBreaker({ failureThreshold: 1 })
        async boom(): Promise<never> {
          throw thrown;
        }
        @CircuitBreaker({ failureThreshold: 1 })
        reallySync(): Promise<never> {
          throw thrown;
        }
      }
      const sync = new Sync();
      expect(await rejectionOf(sync.reallySync())).to.equal(thrown);
      expect(await rejectionOf(sync.boom())).to.equal(thrown);
      await flush();
    });

    it('keeps its name and length', () => {
      expect(UserCache.prototype.get.name).to.equal('get');
      expect(UserCache.prototype.get.length).to.equal(2);
    });

    it('is guarded: refused without invoking once the circuit is OPEN', async () => {
      const cache = new UserCache();
      getCircuitBreaker(cache, 'get').reset();
      cache.backend.rejects(new Error('down'));
      await rejectionOf(cache.get('a', 1));
      await rejectionOf(cache.get('b', 1));
      cache.backend.resetHistory();
      const error = (await rejectionOf(cache.get('c', 1))) as CircuitBreakerOpenException;
      expect(error).to.be.instanceOf(CircuitBreakerOpenException);
      expect(error.breaker).to.equal('UserCache#get');
      expect(cache.backend.called).to.equal(false);
    });

    it('shares one breaker across every instance of the class', async () => {
      const first = new UserCache();
      const second = new UserCache();
      expect(getCircuitBreaker(first, 'get')).to.equal(getCircuitBreaker(second, 'get'));
      getCircuitBreaker(first, 'get').reset();
      first.backend.rejects(new Error('down'));
      await rejectionOf(first.get('a', 1));
      await rejectionOf(first.get('b', 1));
      expect(await rejectionOf(second.get('c', 1))).to.be.instanceOf(CircuitBreakerOpenException);
      expect(second.backend.called).to.equal(false);
    });

    it('names its breaker Class#method', () => {
      expect(getCircuitBreaker(UserCache.prototype, 'get').name).to.equal('UserCache#get');
    });

    it('uses the name option instead when given', () => {
      class Payments {
        @CircuitBreaker({ name: 'payments-api' })
        async charge(): Promise<void> {}
      }
      expect(getCircuitBreaker(Payments.prototype, 'charge').name).to.equal('payments-api');
    });

    it('probes and closes after resetTimeout', async () => {
      const cache = new UserCache();
      getCircuitBreaker(cache, 'get').reset();
      cache.backend.rejects(new Error('down'));
      await rejectionOf(cache.get('a', 1));
      await rejectionOf(cache.get('b', 1));
      clock.tick(1_000);
      cache.backend.resolves({ id: 'back' });
      expect(await cache.get('c', 1)).to.deep.equal({ id: 'back' });
      expect(getCircuitBreaker(cache, 'get').state).to.equal('CLOSED');
    });

    it('rejects (and counts) a method that returns no promise at run time', async () => {
      class Sync {
        @untyped(CircuitBreaker())
        value(): number {
          return 1;
        }
      }
      expect(await rejectionOf((new Sync().value as unknown as () => Promise<unknown>)())).to.be.instanceOf(TypeError);
      expect(getCircuitBreaker(Sync.prototype, 'value').stats().failures).to.equal(1);
    });
  });

  describe('the positional form', () => {
    it('@CircuitBreaker(failureThreshold, resetTimeout) has the same meaning as the options', () => {
      class Service {
        @CircuitBreaker(5, 30_000)
        async del(): Promise<void> {}
      }
      expect(getCircuitBreaker(Service.prototype, 'del').options).to.include({ failureThreshold: 5, resetTimeout: 30_000 });
    });

    it('@CircuitBreaker() has the defaults', () => {
      class Service {
        @CircuitBreaker()
        async get(): Promise<void> {}
      }
      expect(getCircuitBreaker(Service.prototype, 'get').options).to.include({ failureThreshold: 3, resetTimeout: 60_000 });
    });
  });

  describe('a static method', () => {
    class Config {
      static readonly load = sinon.stub<[], Promise<string>>();
      @CircuitBreaker({ failureThreshold: 1 })
      static async fetch(): Promise<string> {
        return this.load();
      }
    }

    it('is guarded by a breaker named Class.method, keeping `this` (the class)', async () => {
      Config.load.resolves('config');
      expect(await Config.fetch()).to.equal('config');
      expect(Config.load.firstCall.thisValue).to.equal(Config);
      const breaker = getCircuitBreaker(Config, 'fetch');
      expect(breaker.name).to.equal('Config.fetch');
      Config.load.rejects(new Error('down'));
      await rejectionOf(Config.fetch());
      Config.load.resetHistory();
      expect(await rejectionOf(Config.fetch())).to.be.instanceOf(CircuitBreakerOpenException);
      expect(Config.load.called).to.equal(false);
      breaker.reset();
    });
  });

  describe('misuse throws TypeError when the class is defined', () => {
    it('on a getter', () => {
      expect(() => {
        class C {
          @untyped(CircuitBreaker())
          get value(): number {
            return 1;
          }
        }
        return C;
      }).to.throw(TypeError, /methods only.*value is a getter/);
    });

    it('on a setter', () => {
      expect(() => {
        class C {
          @untyped(CircuitBreaker())
          set value(_: number) {}
        }
        return C;
      }).to.throw(TypeError, /methods only.*value is a setter/);
    });

    it('on a field', () => {
      expect(() => {
        class C {
          @untyped(CircuitBreaker())
          value = async (): Promise<number> => 1;
        }
        return C;
      }).to.throw(TypeError, isLegacy ? /methods only.*C#value is a property/ : /methods only.*value is a field/);
    });

    it('on an auto-accessor (`accessor` keyword)', () => {
      // Legacy decorators see an auto-accessor as its getter/setter pair; standard ones name it.
      expect(() => {
        class C {
          @untyped(CircuitBreaker())
          accessor value = 1;
        }
        return C;
      }).to.throw(TypeError, isStandard ? /methods only.*value is an auto-accessor/ : /methods only.*value is a getter/);
    });

    it('on a class', () => {
      expect(() => {
        @untyped(CircuitBreaker())
        class Service {}
        return Service;
      }).to.throw(TypeError, /methods only.*Service is a class/);
    });

    describe('applied by hand to something that is not a method', () => {
      it('names an anonymous class as such (legacy class decorator call)', () => {
        expect(() => untyped(CircuitBreaker())(class {})).to.throw(TypeError, 'an anonymous class is a class');
      });

      it('names an anonymous class as such (standard class decorator context)', () => {
        const context = { kind: 'class', name: undefined, addInitializer: () => undefined };
        expect(() => untyped(CircuitBreaker())(class {}, context)).to.throw(TypeError, '(anonymous) is a class');
      });

      it('names a symbol-keyed field by its description (standard field decorator context)', () => {
        const context = { kind: 'field', name: Symbol('cache'), static: false, private: false, addInitializer: () => undefined };
        expect(() => untyped(CircuitBreaker())(undefined, context)).to.throw(TypeError, '[cache] is a field');
      });

      it('throws for a legacy descriptor whose value is not a function', () => {
        class Holder {}
        expect(() => untyped(CircuitBreaker())(Holder.prototype, 'value', { value: 42, writable: true, configurable: true })).to.throw(
          TypeError,
          'Holder#value is not a function',
        );
      });
    });
  });

  describe('@CircuitBreaker without parentheses', () => {
    const mustBeCalled = /@CircuitBreaker must be called: write @CircuitBreaker\(\)/;

    it('throws a clear TypeError on a method', () => {
      expect(() => {
        class C {
          @untyped(CircuitBreaker)
          async get(): Promise<void> {}
        }
        return C;
      }).to.throw(TypeError, mustBeCalled);
    });

    it('throws a clear TypeError on a static method', () => {
      expect(() => {
        class C {
          @untyped(CircuitBreaker)
          static async get(): Promise<void> {}
        }
        return C;
      }).to.throw(TypeError, mustBeCalled);
    });

    it('throws a clear TypeError on a class', () => {
      expect(() => {
        @untyped(CircuitBreaker)
        class C {}
        return C;
      }).to.throw(TypeError, mustBeCalled);
    });
  });

  describe('composing with other decorators', () => {
    class Routes {
      @CircuitBreaker()
      @Tag('applied before (below)')
      async below(_id: string, _page: number): Promise<string> {
        return 'below';
      }

      @Tag('applied after (above)')
      @CircuitBreaker()
      async above(): Promise<string> {
        return 'above';
      }
    }

    it('keeps metadata attached by a decorator applied before (below) it on the decorated method', async () => {
      expect(Reflect.getMetadata(TAG, Routes.prototype.below)).to.equal('applied before (below)');
      expect(await new Routes().below('x', 1)).to.equal('below');
      expect(getCircuitBreaker(Routes.prototype, 'below').stats().calls).to.be.greaterThan(0);
    });

    it('lets a decorator applied after (above) it attach to the decorated method', async () => {
      expect(Reflect.getMetadata(TAG, Routes.prototype.above)).to.equal('applied after (above)');
      const routes = new Routes();
      expect(await routes.above()).to.equal('above');
      expect(getCircuitBreaker(routes, 'above').stats().calls).to.equal(1);
    });

    // emitDecoratorMetadata exists in legacy mode only: the spec is not defined in a standard run.
    if (isLegacy) it('keeps design:paramtypes and design:returntype (legacy emitDecoratorMetadata)', function () {
      expect(Reflect.getMetadata('design:paramtypes', Routes.prototype, 'below')).to.deep.equal([String, Number]);
      expect(Reflect.getMetadata('design:returntype', Routes.prototype, 'below')).to.equal(Promise);
    });
  });

  describe('with fallback and timeout', () => {
    it('calls the fallback with the instance as `this` and the call\'s arguments', async () => {
      const fallback = sinon.spy(function (this: Cache, _error: unknown, id: string) {
        return `${this.prefix}${id}`;
      });
      class Cache {
        prefix = 'cached:';
        @CircuitBreaker({ failureThreshold: 1, fallback })
        async get(_id: string): Promise<string> {
          throw new Error('down');
        }
      }
      const cache = new Cache();
      await rejectionOf(cache.get('a'));
      expect(await cache.get('b')).to.equal('cached:b');
      expect(fallback.firstCall.thisValue).to.equal(cache);
    });

    it('passes an AbortSignal as the method\'s last declared parameter', async () => {
      let received: AbortSignal | undefined;
      class Api {
        @CircuitBreaker({ timeout: 50 })
        async fetch(_id: string, signal?: AbortSignal): Promise<string> {
          received = signal;
          return new Promise(() => undefined);
        }
      }
      const pending = new Api().fetch('x');
      await Promise.resolve();
      clock.tick(50);
      await rejectionOf(pending);
      expect(received).to.be.instanceOf(AbortSignal);
      expect(received!.aborted).to.equal(true);
    });
  });
});
