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

  describe('backoff (backoffMultiplier needs maxResetTimeout in the same options)', () => {
    async function waitAfterTwoFailedProbes(call: () => Promise<unknown>, breaker: () => { stats(): { resetTimeout: number } }): Promise<number> {
      await failTimes(call, 1);
      clock.tick(1_000);
      await failTimes(call, 1);
      return breaker().stats().resetTimeout;
    }

    it('refuses defaults with backoffMultiplier alone, naming both, and keeps the defaults it had', () => {
      setCircuitBreakerDefaults({ failureThreshold: 2 });
      expect(() => setCircuitBreakerDefaults({ backoffMultiplier: 3 })).to.throw(TypeError, /^backoffMultiplier needs maxResetTimeout/);
      class Later {
        @CircuitBreaker()
        async get(): Promise<string> {
          return 'ok';
        }
      }
      expect(getCircuitBreaker(Later.prototype, 'get').options.failureThreshold).to.equal(2);
    });

    it('defaults with both back off every method that sets neither', async () => {
      setCircuitBreakerDefaults({ failureThreshold: 1, resetTimeout: 1_000, maxResetTimeout: 10_000_000, backoffMultiplier: 3 });
      class Both extends Catalog {
        @CircuitBreaker()
        override async failing(): Promise<string> {
          return fail();
        }
      }
      const both = new Both();
      expect(await waitAfterTwoFailedProbes(() => both.failing(), () => getCircuitBreaker(both, 'failing'))).to.equal(3_000);
    });

    it("a method that sets only maxResetTimeout gets the default backoffMultiplier, under its own cap", async () => {
      setCircuitBreakerDefaults({ failureThreshold: 1, resetTimeout: 1_000, maxResetTimeout: 10_000_000, backoffMultiplier: 3 });
      class Capped extends Catalog {
        @CircuitBreaker({ maxResetTimeout: 2_500 })
        override async failing(): Promise<string> {
          return fail();
        }
      }
      const capped = new Capped();
      expect(getCircuitBreaker(capped, 'failing').options).to.include({ maxResetTimeout: 2_500, backoffMultiplier: 3 });
      expect(await waitAfterTwoFailedProbes(() => capped.failing(), () => getCircuitBreaker(capped, 'failing'))).to.equal(2_500);
    });

    it("a method's backoffMultiplier without its own maxResetTimeout is refused, whatever the defaults (they may come later, or be cleared)", () => {
      const decorate = () => {
        class Own {
          @CircuitBreaker({ backoffMultiplier: 4 })
          async get(): Promise<string> {
            return 'ok';
          }
        }
        return Own;
      };
      expect(decorate).to.throw(TypeError, /^backoffMultiplier needs maxResetTimeout in the same options/);
      setCircuitBreakerDefaults({ maxResetTimeout: 10_000_000 });
      expect(decorate).to.throw(TypeError, /backoffMultiplier needs maxResetTimeout .*a method's backoffMultiplier does not pair with a default maxResetTimeout/);
    });

    it("a method's own pair is kept when defaults set one and when they are cleared", () => {
      class Own {
        @CircuitBreaker({ maxResetTimeout: 120_000, backoffMultiplier: 4 })
        async get(): Promise<string> {
          return 'ok';
        }
      }
      setCircuitBreakerDefaults({ maxResetTimeout: 10_000_000, backoffMultiplier: 2 });
      expect(getCircuitBreaker(Own.prototype, 'get').options).to.include({ maxResetTimeout: 120_000, backoffMultiplier: 4 });
      setCircuitBreakerDefaults({});
      expect(getCircuitBreaker(Own.prototype, 'get').options).to.include({ maxResetTimeout: 120_000, backoffMultiplier: 4 });
    });
  });

  describe('defaults that do not fit a decorated method', () => {
    // Defaults reach every decorated method in the process (other spec files' too): the misfit here is one no other spec has.
    it('are refused as a whole, naming the method: no method gets them, later methods get the previous ones', () => {
      setCircuitBreakerDefaults({ failureThreshold: 2 });
      class Fits {
        @CircuitBreaker()
        async get(): Promise<string> {
          return 'ok';
        }
      }
      class Slow {
        @CircuitBreaker({ resetTimeout: 2_000_000_000 })
        async get(): Promise<string> {
          return 'ok';
        }
      }
      void Slow;
      expect(() => setCircuitBreakerDefaults({ failureThreshold: 4, maxResetTimeout: 1_999_999_999 })).to.throw(
        RangeError,
        /^setCircuitBreakerDefaults: these defaults do not fit @CircuitBreaker on (Slow)?#get, so none were set: maxResetTimeout \(1999999999\) must not be less than resetTimeout \(2000000000\)$/,
      );
      expect(getCircuitBreaker(Fits.prototype, 'get').options.failureThreshold).to.equal(2);
      class Later {
        @CircuitBreaker()
        async get(): Promise<string> {
          return 'ok';
        }
      }
      expect(getCircuitBreaker(Later.prototype, 'get').options.failureThreshold).to.equal(2);
    });
  });

  describe('checked like options', () => {
    it('a Map or a Date as defaults is a TypeError naming what it got', () => {
      expect(() => setCircuitBreakerDefaults(new Map() as never)).to.throw(TypeError, 'circuit breaker defaults must be a plain object of options, got a Map');
      expect(() => setCircuitBreakerDefaults(new Date() as never)).to.throw(TypeError, 'circuit breaker defaults must be a plain object of options, got a Date');
    });

    it('a default clock is read now: one that returns a bigint is refused', () => {
      expect(() => setCircuitBreakerDefaults({ clock: (() => 1n) as never })).to.throw(TypeError, 'clock must return a finite number of milliseconds, got bigint 1n');
    });
  });
});
