import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, InMemoryCircuitStore, getCircuitBreaker, setCircuitBreakerDefaults } from '../../src';

const fail = () => Promise.reject(new Error('down'));

describe('setCircuitBreakerDefaults', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => {
    setCircuitBreakerDefaults({});
    clock.restore();
  });

  class Catalog {
    async failing(): Promise<string> {
      return fail();
    }
  }
  async function failTimes(call: () => Promise<unknown>, times: number): Promise<void> {
    for (let i = 0; i < times; i++) await call().catch(() => undefined);
  }

  it('applies to methods decorated after it is set', async () => {
    setCircuitBreakerDefaults({ failureThreshold: 1, resetTimeout: 5_000 });
    class Later extends Catalog {
      @CircuitBreaker()
      override async failing(): Promise<string> {
        return fail();
      }
    }
    const later = new Later();
    await failTimes(() => later.failing(), 1);
    const breaker = getCircuitBreaker(later, 'failing');
    expect(breaker.state).to.equal('OPEN');
    expect(breaker.stats().nextProbeAt).to.equal(Date.now() + 5_000);
  });

  it('applies to a decorated method whose breaker has not been called yet', async () => {
    class Early extends Catalog {
      @CircuitBreaker()
      override async failing(): Promise<string> {
        return fail();
      }
    }
    setCircuitBreakerDefaults({ failureThreshold: 1 });
    const early = new Early();
    await failTimes(() => early.failing(), 1);
    expect(getCircuitBreaker(early, 'failing').state).to.equal('OPEN');
  });

  it('leaves a breaker that was already called with its options', async () => {
    class Busy extends Catalog {
      @CircuitBreaker()
      override async failing(): Promise<string> {
        return fail();
      }
    }
    const busy = new Busy();
    await failTimes(() => busy.failing(), 1);
    setCircuitBreakerDefaults({ failureThreshold: 1 });
    await failTimes(() => busy.failing(), 1);
    expect(getCircuitBreaker(busy, 'failing').state).to.equal('CLOSED'); // still 3
  });

  it("keeps a method's own options over the defaults", async () => {
    setCircuitBreakerDefaults({ failureThreshold: 1, resetTimeout: 5_000 });
    class Own extends Catalog {
      @CircuitBreaker({ failureThreshold: 2 })
      override async failing(): Promise<string> {
        return fail();
      }
    }
    const own = new Own();
    await failTimes(() => own.failing(), 1);
    expect(getCircuitBreaker(own, 'failing').state).to.equal('CLOSED');
    await failTimes(() => own.failing(), 1);
    expect(getCircuitBreaker(own, 'failing').stats()).to.include({ state: 'OPEN', resetTimeout: 5_000 });
  });

  it('does not change plain breakers', async () => {
    setCircuitBreakerDefaults({ failureThreshold: 1 });
    const plain = new CircuitBreaker();
    await failTimes(() => plain.call(fail), 1);
    expect(plain.state).to.equal('CLOSED');
  });

  it('rejects bad defaults by name, at once', () => {
    expect(() => setCircuitBreakerDefaults({ failureThreshold: 0 })).to.throw(RangeError, /failureThreshold/);
    expect(() => setCircuitBreakerDefaults({ colour: 'red' } as never)).to.throw(TypeError, /colour/);
    expect(() => setCircuitBreakerDefaults({ name: 'x' } as never)).to.throw(TypeError, /"name" is a method's own option/);
    expect(() => setCircuitBreakerDefaults({ fallback: () => null } as never)).to.throw(TypeError, /fallback/);
    expect(() => setCircuitBreakerDefaults(null as never)).to.throw(TypeError, /must be an object/);
  });

  it('a default store makes every decorated method share its circuit by Class#method', async () => {
    const store = new InMemoryCircuitStore();
    class Inventory {
      @CircuitBreaker({ failureThreshold: 1 })
      async reserve(): Promise<string> {
        return fail();
      }
    }
    setCircuitBreakerDefaults({ store });
    const replica = new CircuitBreaker({ name: 'Inventory#reserve', store });
    const inventory = new Inventory();
    getCircuitBreaker(inventory, 'reserve'); // names it (standard decorators learn the class late)
    await clock.tickAsync(0);
    await inventory.reserve().catch(() => undefined);
    await clock.tickAsync(0);
    expect(replica.state).to.equal('OPEN');
  });
});
