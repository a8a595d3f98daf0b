/**
 * Defaults refused because they do not fit one decorated method (src/decorator/defaults.ts): the error says
 * which method (by its key while it has no breaker yet: `#method` for an instance method, `.method` for a
 * static one), keeps the option error as its `cause`, and every method already given the refused defaults gets
 * the previous ones back. The refusal itself: spec/decorator/defaults.spec.ts.
 *
 * Defaults reach every decorated method in the process (other spec files' too), and these methods stay
 * registered: each misfit here is a resetTimeout no other spec uses, above every other method's (so that only it
 * misfits these defaults) and below every maxResetTimeout other specs set as a default (so that it fits theirs).
 */
import { expect } from 'chai';
import { CircuitBreaker, getCircuitBreaker, setCircuitBreakerDefaults } from '../../src';

describe('setCircuitBreakerDefaults: a refusal', () => {
  afterEach(() => setCircuitBreakerDefaults({}));

  const refusalOf = (defaults: Record<string, unknown>): Error => {
    try {
      setCircuitBreakerDefaults(defaults);
    } catch (error) {
      return error as Error;
    }
    return expect.fail('expected a refusal');
  };

  it('gives the methods that got the refused defaults the previous ones back, and keeps the cause', () => {
    setCircuitBreakerDefaults({ failureThreshold: 2 });
    class First {
      @CircuitBreaker()
      async get(): Promise<string> {
        return 'ok';
      }
    }
    class Misfit {
      @CircuitBreaker({ resetTimeout: 9_000_001 })
      async get(): Promise<string> {
        return 'ok';
      }
    }
    void Misfit;
    const error = refusalOf({ failureThreshold: 5, maxResetTimeout: 9_000_000 });
    expect(error).to.be.instanceOf(RangeError);
    expect(error.cause).to.be.instanceOf(RangeError).with.property('message', 'maxResetTimeout (9000000) must not be less than resetTimeout (9000001)');
    expect(getCircuitBreaker(First.prototype, 'get').options.failureThreshold, 'given 5, then 2 back').to.equal(2);
  });

  it('names an instance-scoped method with no instance yet by its key', () => {
    class PerInstance {
      @CircuitBreaker({ scope: 'instance', resetTimeout: 9_000_003 })
      async get(): Promise<string> {
        return 'ok';
      }
    }
    void PerInstance;
    const error = refusalOf({ maxResetTimeout: 9_000_002 });
    expect(error.message).to.equal(
      'setCircuitBreakerDefaults: these defaults do not fit @CircuitBreaker on #get, so none were set: ' +
        'maxResetTimeout (9000002) must not be less than resetTimeout (9000003)',
    );
  });

  it('names a static instance-scoped method with no breaker yet as .method', () => {
    class Statically {
      @CircuitBreaker({ scope: 'instance', resetTimeout: 9_000_005 })
      static async get(): Promise<string> {
        return 'ok';
      }
    }
    void Statically;
    const error = refusalOf({ maxResetTimeout: 9_000_004 });
    expect(error.message).to.match(/ on (\.get|Statically\.get), so none were set: /);
  });
});
