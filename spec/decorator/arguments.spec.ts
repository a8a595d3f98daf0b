import { expect } from 'chai';
import { CircuitBreaker, InMemoryCircuitStore, getCircuitBreaker, setCircuitBreakerDefaults } from '../../src';
import { untyped } from '../support/decorators';

const decoratorFactory = CircuitBreaker as unknown as (...args: unknown[]) => unknown;

/** What CircuitBreaker(...) and setCircuitBreakerDefaults(...) accept, each call made inside its spec. */
describe('decorator arguments', () => {
  afterEach(() => setCircuitBreakerDefaults({}));

  it('new CircuitBreaker(x) with x not an object names what it got', () => {
    for (const [value, got] of [[null, 'null'], ['fast', 'string "fast"'], [true, 'boolean true'], [[3], 'an array']] as const) {
      expect(() => new (CircuitBreaker as any)(value)).to.throw(TypeError, `circuit breaker options must be an object, got ${got}`);
      expect(() => decoratorFactory(value)).to.throw(TypeError, `circuit breaker options must be an object, got ${got}`);
    }
  });

  it('an unknown option is named with the list of known ones', () => {
    expect(() => new CircuitBreaker({ retries: 3 } as never)).to.throw(
      TypeError,
      'unknown circuit breaker option "retries" (known options: failureThreshold, failureRate, slowCall, halfOpen, resetTimeout, name, clock, logger, isFailure, timeout, maxResetTimeout, backoffMultiplier, fallback, fallbackOnFailure, store, quorum)',
    );
  });

  it('the positional form checks its second argument as resetTimeout, whatever its type', () => {
    expect(() => decoratorFactory(3, null)).to.throw(TypeError, /resetTimeout/);
    expect(() => decoratorFactory(3, '1000')).to.throw(TypeError, /resetTimeout/);
    expect(() => new (CircuitBreaker as any)(3, '1000')).to.throw(TypeError, /resetTimeout/);
  });

  it('used without parentheses on a symbol-keyed or string-keyed method, or as a standard decorator, says to call it', () => {
    const method = async () => 'x';
    const descriptor = { value: method, writable: true, enumerable: false, configurable: true };
    expect(() => decoratorFactory({}, Symbol('load'), descriptor)).to.throw(TypeError, '@CircuitBreaker must be called');
    expect(() => decoratorFactory({}, 'load', descriptor)).to.throw(TypeError, '@CircuitBreaker must be called');
    expect(() => decoratorFactory(method, { kind: 'method', name: 'load' })).to.throw(TypeError, '@CircuitBreaker must be called');
  });

  describe('misuses refused when the class is defined, in either decorator mode', () => {
    const defineWith = (decorator: unknown) => () => {
      class Svc {
        @untyped(decorator)
        async get(): Promise<string> {
          return 'ok';
        }
      }
      return Svc;
    };

    it("@CircuitBreaker('5', '30000') (process.env values) names failureThreshold and the string", () => {
      expect(defineWith(decoratorFactory)).to.throw(TypeError, '@CircuitBreaker must be called');
      expect(() => defineWith(decoratorFactory('5', '30000'))).to.throw(TypeError, /^failureThreshold must be a number, got string "5"$/);
    });

    it('@CircuitBreaker(5, 30_000, { name }) names the third argument instead of dropping the name', () => {
      expect(() => defineWith(decoratorFactory(5, 30_000, { name: 'payments-api' }))).to.throw(
        TypeError,
        "@CircuitBreaker takes (options), (breaker) or (failureThreshold, resetTimeout), got an argument 3 (object): give every option in one options object, e.g. @CircuitBreaker({ failureThreshold: 5, resetTimeout: 30_000, name: 'payments-api' })",
      );
    });

    it('@CircuitBreaker(breaker, undefined, extra) names the extra argument', () => {
      const shared = new CircuitBreaker({ name: 'redis' });
      expect(() => defineWith(decoratorFactory(shared, undefined, { name: 'x' }))).to.throw(TypeError, 'got an argument 3 (object)');
      expect(defineWith(decoratorFactory(shared, undefined, undefined))).to.not.throw();
    });

    it('@CircuitBreaker(new Map(...)) is refused, not read as the defaults', () => {
      expect(() => defineWith(decoratorFactory(new Map([['failureThreshold', 1]])))).to.throw(TypeError, 'circuit breaker options must be a plain object of options, got a Map');
    });

    it('@CircuitBreaker({ name: "  " }) is refused', () => {
      expect(() => defineWith(decoratorFactory({ name: '  ' }))).to.throw(RangeError, 'name must not be blank, got string "  "');
    });
  });

  describe('setCircuitBreakerDefaults', () => {
    it('rejects a non-object by what it got', () => {
      expect(() => setCircuitBreakerDefaults(null as never)).to.throw(TypeError, 'circuit breaker defaults must be an object, got null');
      expect(() => setCircuitBreakerDefaults([] as never)).to.throw(TypeError, 'circuit breaker defaults must be an object, got an array');
      expect(() => setCircuitBreakerDefaults('fast' as never)).to.throw(TypeError, 'circuit breaker defaults must be an object, got string "fast"');
    });

    it('a rejected call changes nothing: methods decorated afterwards get the defaults set before', () => {
      setCircuitBreakerDefaults({ failureThreshold: 2 });
      expect(() => setCircuitBreakerDefaults({ failureThreshold: 0 })).to.throw(RangeError, /failureThreshold/);
      class Later {
        @CircuitBreaker()
        async get(): Promise<string> {
          return 'ok';
        }
      }
      expect(getCircuitBreaker(Later.prototype, 'get').options.failureThreshold).to.equal(2);
    });

    it("never gives a default store to a per-instance breaker, which keeps the other defaults", async () => {
      setCircuitBreakerDefaults({ failureThreshold: 4, store: new InMemoryCircuitStore() });
      class Tenant {
        @CircuitBreaker({ scope: 'instance' })
        async query(): Promise<string> {
          return 'rows';
        }
      }
      const tenant = new Tenant();
      await tenant.query();
      const breaker = getCircuitBreaker(tenant, 'query');
      expect(breaker.options.store).to.equal(undefined);
      expect(breaker.options.failureThreshold).to.equal(4);
    });
  });
});
