import { expect } from 'chai';
import { CircuitBreaker, InMemoryCircuitStore, getCircuitBreaker, setCircuitBreakerDefaults } from '../../src';

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
      'unknown circuit breaker option "retries" (known options: failureThreshold, resetTimeout, name, clock, logger, isFailure, timeout, maxResetTimeout, backoffMultiplier, fallback, fallbackOnFailure, store)',
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
