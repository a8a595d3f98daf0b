/**
 * What guard.ts gives a decorated method: its identity, its breaker's name and registration, the
 * per-instance scope, and which breakers setCircuitBreakerDefaults may still change. Every class is
 * defined inside its spec, so the decoration itself runs in the spec that checks it.
 */
import 'reflect-metadata';
import { expect } from 'chai';
import sinon from 'sinon';
import {
  CircuitBreaker,
  CircuitBreakerOpenException,
  InMemoryCircuitStore,
  getCircuitBreaker,
  listCircuitBreakers,
  setCircuitBreakerDefaults,
} from '../../src';
import { TAG, Tag } from '../support/decorators';
import { rejectionOf } from '../support/helpers';

/** Another decorator that sets an own property on the method function (as some frameworks do). */
function Role(role: string) {
  return (...args: any[]): any => {
    const method: Record<string, unknown> = args.length >= 3 ? (args[2] as PropertyDescriptor).value : args[0];
    method.role = role;
  };
}

describe('decorator: the guarded method', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => {
    setCircuitBreakerDefaults({});
    clock.restore();
  });

  describe('its identity', () => {
    it('keeps the name, length, own properties and metadata the method had before it was guarded', async () => {
      class Routes {
        @CircuitBreaker()
        @Tag('route')
        @Role('admin')
        async find(id: string, page: number): Promise<string> {
          return `${id}:${page}`;
        }
      }
      const find = Routes.prototype.find as unknown as Record<string, unknown>;
      expect(find.name).to.equal('find');
      expect(find.length).to.equal(2);
      expect(find.role).to.equal('admin');
      expect(Reflect.getMetadata(TAG, find)).to.equal('route');
      expect(await new Routes().find('a', 2)).to.equal('a:2');
    });

    it('guards every method separately, each breaker named after its class and method', async () => {
      class Store {
        @CircuitBreaker({ failureThreshold: 1 })
        async read(): Promise<string> {
          throw new Error('down');
        }
        @CircuitBreaker({ failureThreshold: 1 })
        async write(): Promise<string> {
          return 'written';
        }
        @CircuitBreaker({ failureThreshold: 1 })
        static async ping(): Promise<string> {
          return 'pong';
        }
      }
      const store = new Store();
      await rejectionOf(store.read());
      const refusal = (await rejectionOf(store.read())) as CircuitBreakerOpenException;
      expect(refusal.breaker).to.equal('Store#read');
      expect(await store.write()).to.equal('written');
      expect(await Store.ping()).to.equal('pong');
      expect(getCircuitBreaker(Store, 'ping').name).to.equal('Store.ping');
      expect(listCircuitBreakers().map((breaker) => breaker.name)).to.include.members(['Store#read', 'Store#write', 'Store.ping']);
    });

    it('a method copied onto another class keeps its breaker and that breaker keeps its name', async () => {
      class Origin {
        @CircuitBreaker({ failureThreshold: 1 })
        async get(): Promise<string> {
          return 'got';
        }
      }
      const breaker = getCircuitBreaker(new Origin(), 'get');
      class Copy {}
      Object.defineProperty(Copy.prototype, 'get', { value: Origin.prototype.get, configurable: true, writable: true });
      expect(getCircuitBreaker(new Copy(), 'get')).to.equal(breaker);
      expect(breaker.name).to.equal('Origin#get');
      expect(listCircuitBreakers().filter((listed) => listed === breaker)).to.have.length(1);
    });
  });

  describe('which breakers setCircuitBreakerDefaults changes', () => {
    it('one that refused a call but was never called keeps its options', async () => {
      class Api {
        @CircuitBreaker()
        async get(): Promise<string> {
          return 'ok';
        }
      }
      const api = new Api();
      const breaker = getCircuitBreaker(api, 'get');
      const handle = breaker.isolate();
      await rejectionOf(api.get()); // refused: never called
      handle.dispose();
      expect(breaker.state).to.equal('CLOSED');
      setCircuitBreakerDefaults({ failureThreshold: 7 });
      expect(breaker.options.failureThreshold, 'in use: it refused a call').to.equal(3);
    });

    it('a breaker shared with @CircuitBreaker(breaker) is left as its owner configured it', () => {
      const shared = new CircuitBreaker({ name: 'shared-unused', failureThreshold: 5 });
      class Api {
        @CircuitBreaker(shared)
        async get(): Promise<string> {
          return 'ok';
        }
      }
      void Api;
      setCircuitBreakerDefaults({ failureThreshold: 7 });
      expect(shared.options.failureThreshold).to.equal(5);
    });

    it('one that is OPEN though never called keeps its options', () => {
      class Api {
        @CircuitBreaker()
        async get(): Promise<string> {
          return 'ok';
        }
      }
      const breaker = getCircuitBreaker(new Api(), 'get');
      breaker.isolate();
      setCircuitBreakerDefaults({ failureThreshold: 7 });
      expect(breaker.options.failureThreshold, 'in use: isolated by an operator').to.equal(3);
    });

    it('one never used takes them, and a default store makes it share its circuit by Class#method', async () => {
      const store = new InMemoryCircuitStore();
      class Api {
        @CircuitBreaker({ resetTimeout: 5_000 })
        async get(): Promise<string> {
          throw new Error('down');
        }
      }
      const api = new Api();
      const breaker = getCircuitBreaker(api, 'get');
      setCircuitBreakerDefaults({ failureThreshold: 1, store });
      expect(breaker.options.failureThreshold).to.equal(1);
      expect(breaker.options.resetTimeout, 'its own option stays').to.equal(5_000);
      const peer = new CircuitBreaker({ name: 'Api#get', store });
      await clock.tickAsync(0);
      await rejectionOf(api.get());
      await clock.tickAsync(0);
      expect(peer.state).to.equal('OPEN');
    });
  });

  describe("scope 'instance'", () => {
    it('names each instance breaker Class#method and registers it for getCircuitBreaker', async () => {
      class Tenant {
        @CircuitBreaker({ scope: 'instance', failureThreshold: 1 })
        async query(): Promise<string> {
          throw new Error('down');
        }
      }
      const tenant = new Tenant();
      await rejectionOf(tenant.query());
      const refusal = (await rejectionOf(tenant.query())) as CircuitBreakerOpenException;
      expect(refusal).to.be.instanceOf(CircuitBreakerOpenException);
      expect(refusal.breaker).to.equal('Tenant#query');
      expect(getCircuitBreaker(tenant, 'query').name).to.equal('Tenant#query');
      expect(getCircuitBreaker(tenant, 'query').state).to.equal('OPEN');
    });

    it('a per-instance method copied onto another class keeps its breakers named after the first class', async () => {
      class Origin {
        @CircuitBreaker({ scope: 'instance' })
        async query(): Promise<string> {
          return 'rows';
        }
      }
      new Origin();
      class Copy {}
      Object.defineProperty(Copy.prototype, 'query', { value: Origin.prototype.query, configurable: true, writable: true });
      const copy = new Copy() as Origin;
      await copy.query();
      expect(getCircuitBreaker(copy, 'query').name).to.equal('Origin#query');
      const origin = new Origin();
      await origin.query();
      expect(getCircuitBreaker(origin, 'query').name).to.equal('Origin#query');
    });

    it('keeps a name given in the options', async () => {
      class Tenant {
        @CircuitBreaker({ scope: 'instance', name: 'tenant-db' })
        async query(): Promise<string> {
          return 'rows';
        }
      }
      const tenant = new Tenant();
      await tenant.query();
      expect(getCircuitBreaker(tenant, 'query').name).to.equal('tenant-db');
    });

    it('a detached call rejects with a TypeError naming the method, calling nothing', async () => {
      const calls: unknown[] = [];
      class Tenant {
        @CircuitBreaker({ scope: 'instance' })
        async query(): Promise<string> {
          calls.push(this);
          return 'rows';
        }
      }
      const { query } = new Tenant();
      const error = await rejectionOf(query.call(undefined));
      expect(error).to.be.instanceOf(TypeError);
      expect((error as Error).message).to.equal("query has one breaker per instance (scope 'instance'): call it on an instance");
      expect(await rejectionOf(query.call(null as never))).to.be.instanceOf(TypeError);
      expect(await rejectionOf(query.call(42 as never))).to.be.instanceOf(TypeError);
      expect(calls).to.deep.equal([]);
      // A function is an object too: a method called on one has a breaker for it.
      const onFunction = function host() {};
      expect(await query.call(onFunction as never)).to.equal('rows');
    });

    it('applies setCircuitBreakerDefaults to instances made afterwards; earlier ones keep theirs', async () => {
      class Tenant {
        @CircuitBreaker({ scope: 'instance' })
        async query(): Promise<string> {
          return 'rows';
        }
      }
      const early = new Tenant();
      await early.query();
      setCircuitBreakerDefaults({ failureThreshold: 9 });
      const late = new Tenant();
      await late.query();
      expect(getCircuitBreaker(early, 'query').options.failureThreshold).to.equal(3);
      expect(getCircuitBreaker(late, 'query').options.failureThreshold).to.equal(9);
    });

    it('lists the breaker of every live instance once, however many instances came and went', async () => {
      class Tenant {
        @CircuitBreaker({ scope: 'instance', name: 'listed-tenant' })
        async query(): Promise<string> {
          return 'rows';
        }
      }
      const kept: Tenant[] = [];
      for (let i = 0; i < 200; i++) {
        const tenant = new Tenant();
        await tenant.query();
        if (i % 3 === 0) kept.push(tenant);
      }
      const listed = listCircuitBreakers().filter((breaker) => breaker.name === 'listed-tenant');
      expect(new Set(listed).size).to.equal(listed.length);
      expect(listed).to.include.members(kept.map((tenant) => getCircuitBreaker(tenant, 'query')));
    });
  });
});
