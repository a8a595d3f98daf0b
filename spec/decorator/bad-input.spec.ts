import { expect } from 'chai';
import { CircuitBreaker, InMemoryCircuitStore, getCircuitBreaker, listCircuitBreakers } from '../../src';
import { isStandard } from '../support/mode';
import { untyped } from '../support/decorators';

/** Misuse of the decorator and the registry the other decorator specs leave out. */
describe('decorator and registry: bad input', () => {
  describe('@CircuitBreaker(...) arguments, checked before any class', () => {
    for (const [label, value] of [['a string', 'fast'], ['null', null], ['an array', []], ['true', true]] as const) {
      it(`throws TypeError naming the options for ${label}`, () => {
        expect(() => CircuitBreaker(value as never)).to.throw(TypeError, /options must be an object/);
      });
    }

    it("throws TypeError for scope 'instance' with a store (a fleet shares one circuit per name)", () => {
      expect(() => CircuitBreaker({ scope: 'instance', store: new InMemoryCircuitStore() })).to.throw(TypeError, /scope 'instance'.*store/);
    });
  });

  describe('applied to something that is not a method', () => {
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

  describe('getCircuitBreaker', () => {
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

  describe('a subclass that overrides a decorated method undecorated, made before any base instance', () => {
    it('has no breaker, and the base keeps its own', async () => {
      class Base {
        @CircuitBreaker()
        async load(): Promise<string> {
          return 'base';
        }
      }
      class Sub extends Base {
        override async load(): Promise<string> {
          return 'sub';
        }
      }
      const sub = new Sub();
      expect(await sub.load()).to.equal('sub');
      expect(() => getCircuitBreaker(sub, 'load')).to.throw(TypeError, 'Sub#load is not decorated');
      expect(getCircuitBreaker(new Base(), 'load').name).to.equal('Base#load');
    });
  });

  describe("scope 'instance'", () => {
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

  describe('the breaker class, subclassed', () => {
    it('new on a subclass of the exported CircuitBreaker keeps the subclass prototype and works', async () => {
      class Named extends CircuitBreaker<never> {
        describe(): string {
          return `${this.name}: ${this.state}`;
        }
      }
      const breaker = new Named({ name: 'sub', failureThreshold: 1 });
      expect(breaker).to.be.instanceOf(Named).and.to.be.instanceOf(CircuitBreaker);
      expect(breaker.describe()).to.equal('sub: CLOSED');
      expect(await breaker.call(() => Promise.resolve(1))).to.equal(1);
    });
  });
});
