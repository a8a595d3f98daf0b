import type { ArgumentsHost } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { expect } from 'chai';
import {
  CircuitBreaker,
  CircuitBreakerOpenException,
  InMemoryCircuitStore,
  getCircuitBreaker,
  getKeyedCircuitBreaker,
  setCircuitBreakerDefaults,
} from '../../src';
import {
  CircuitBreakerHealthIndicator,
  CircuitBreakerModule,
  CircuitBreakerOpenExceptionFilter,
  retryAfterSeconds,
} from '../../src/nestjs';

// No decorators here: runs in both modes. The example in examples/nestjs drives
// all of this through a real Nest app (legacy mode only).

describe('nestjs: retryAfterSeconds (Retry-After from retryAfter ms)', () => {
  it('rounds up to whole seconds', () => {
    expect(retryAfterSeconds(1_000)).to.equal(1);
    expect(retryAfterSeconds(1_001)).to.equal(2);
    expect(retryAfterSeconds(59_999.5)).to.equal(60);
  });

  it('says at least 1 s, also while a probe is in flight (retryAfter 0)', () => {
    expect(retryAfterSeconds(0)).to.equal(1);
    expect(retryAfterSeconds(1)).to.equal(1);
  });

  it('has no value while isolated (Infinity): the header is left out', () => {
    expect(retryAfterSeconds(Infinity)).to.equal(undefined);
  });
});

describe('nestjs: CircuitBreakerOpenExceptionFilter', () => {
  function answer(exception: CircuitBreakerOpenException, type = 'http') {
    const sent: { headers: Record<string, string>; body?: unknown; status?: number } = { headers: {} };
    const response = {};
    const adapterHost = {
      httpAdapter: {
        setHeader: (res: unknown, name: string, value: string) => {
          expect(res).to.equal(response);
          sent.headers[name] = value;
        },
        reply: (res: unknown, body: unknown, status: number) => {
          expect(res).to.equal(response);
          Object.assign(sent, { body, status });
        },
      },
    } as unknown as HttpAdapterHost;
    const host = {
      getType: () => type,
      switchToHttp: () => ({ getResponse: () => response }),
    } as unknown as ArgumentsHost;
    new CircuitBreakerOpenExceptionFilter(adapterHost).catch(exception, host);
    return sent;
  }

  it('answers 503 with Retry-After in seconds and a body that does not name the breaker', () => {
    const sent = answer(new CircuitBreakerOpenException('PaymentsClient#charge', 2_500));
    expect(sent.status).to.equal(503);
    expect(sent.headers).to.deep.equal({ 'Retry-After': '3' });
    expect(sent.body).to.deep.equal({ statusCode: 503, error: 'Service Unavailable', message: 'Service temporarily unavailable' });
  });

  it('leaves Retry-After out while the circuit is isolated', () => {
    const sent = answer(new CircuitBreakerOpenException('PaymentsClient#charge', Infinity));
    expect(sent.status).to.equal(503);
    expect(sent.headers).to.deep.equal({});
  });

  it('re-throws outside HTTP (RPC, WebSocket), for that context to handle', () => {
    const refusal = new CircuitBreakerOpenException('x', 10);
    expect(() => answer(refusal, 'rpc')).to.throw(refusal);
  });

  it('is selected by Nest for refusals from any installed copy of the package, and nothing else', () => {
    const [matches] = Reflect.getMetadata('__filterCatchExceptions__', CircuitBreakerOpenExceptionFilter) as [Function];
    expect(new CircuitBreakerOpenException('x', 10)).to.be.instanceOf(matches);
    // Another copy's refusal: a different class carrying the same registered brand.
    const foreign = Object.assign(new Error('refused'), { [Symbol.for('circuit-breaker-decorator.CircuitBreakerOpenException')]: true });
    expect(foreign).to.be.instanceOf(matches);
    expect(new Error('other')).to.not.be.instanceOf(matches);
    expect(null).to.not.be.instanceOf(matches);
  });
});

describe('nestjs: CircuitBreakerHealthIndicator', () => {
  const indicator = new CircuitBreakerHealthIndicator();
  const tripped = () => {
    const breaker = new CircuitBreaker({ name: 'payments' });
    breaker.isolate();
    return breaker;
  };

  it('is up, listing every breaker with its state, while all are CLOSED', () => {
    const redis = new CircuitBreaker({ name: 'redis' });
    expect(indicator.isHealthy('circuits', { breakers: [redis] })).to.deep.equal({
      circuits: { status: 'up', breakers: [{ name: 'redis', state: 'CLOSED' }] },
    });
  });

  it('is degraded, naming the open breakers, while one is OPEN', () => {
    const result = indicator.isHealthy('circuits', { breakers: [new CircuitBreaker({ name: 'redis' }), tripped()] });
    expect(result.circuits.status).to.equal('degraded');
    expect(result.circuits.open).to.deep.equal(['payments']);
  });

  it("reports 'up' instead of degraded when asked (terminus before 12)", () => {
    expect(indicator.isHealthy('circuits', { breakers: [tripped()], notClosed: 'up' }).circuits.status).to.equal('up');
  });

  it('is down only while a critical breaker is OPEN', () => {
    expect(indicator.isHealthy('circuits', { breakers: [tripped()], critical: ['payments'] }).circuits.status).to.equal('down');
    expect(indicator.isHealthy('circuits', { breakers: [tripped()], critical: ['redis'] }).circuits.status).to.equal('degraded');
  });

  it("reports each key's breaker of a keyed breaker with its key, degraded while one key is OPEN", async () => {
    const hosts = new CircuitBreaker({ key: true, name: 'upstream', failureThreshold: 1 });
    await hosts.call('api.example', () => Promise.resolve('ok'));
    await hosts.call('dead.example', () => Promise.reject(new Error('down'))).catch(() => undefined);
    const result = indicator.isHealthy('circuits', { breakers: [hosts, new CircuitBreaker({ name: 'redis' })] });
    expect(result.circuits.status).to.equal('degraded');
    expect(result.circuits.breakers).to.deep.equal([
      { name: 'upstream[dead.example]', key: 'dead.example', state: 'OPEN' },
      { name: 'upstream[api.example]', key: 'api.example', state: 'CLOSED' },
      { name: 'redis', state: 'CLOSED' },
    ]);
    expect(result.circuits.open).to.deep.equal(['upstream[dead.example]']);
  });

  it("makes a key critical by its breaker's name; the keyed breaker's own name makes none of its keys critical", async () => {
    const hosts = new CircuitBreaker({ key: true, name: 'upstream', failureThreshold: 1 });
    await hosts.call('payments.internal', () => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(indicator.isHealthy('circuits', { breakers: [hosts], critical: ['upstream'] }).circuits.status).to.equal('degraded');
    expect(indicator.isHealthy('circuits', { breakers: [hosts], critical: ['upstream[payments.internal]'] }).circuits.status).to.equal('down');
  });

  it("reports a keyed method's keys by default (listCircuitBreakers)", async () => {
    // Our decorator works in both modes (NestJS's own decorators are the legacy-only ones).
    class Shards {
      @CircuitBreaker({ key: (shard: string) => shard })
      async read(shard: string): Promise<string> {
        return shard;
      }
    }
    const shards = new Shards();
    await shards.read('s7');
    const keyed = getKeyedCircuitBreaker(shards, 'read');
    expect(keyed.name).to.equal('Shards#read');
    const reported = indicator.isHealthy().circuitBreakers.breakers;
    expect(reported).to.deep.include({ name: 'Shards#read[s7]', key: 's7', state: 'CLOSED' });
  });

  it("reports every decorated method's breaker by default, under the key 'circuitBreakers'", () => {
    const result = indicator.isHealthy();
    expect(result).to.have.key('circuitBreakers');
    expect(result.circuitBreakers.breakers).to.be.an('array');
  });
});

describe('nestjs: CircuitBreakerModule.forRoot', () => {
  it('is a global module that provides the health indicator and, by default, the app-wide filter', () => {
    const module = CircuitBreakerModule.forRoot();
    expect(module.global).to.equal(true);
    expect(module.exports).to.deep.equal([CircuitBreakerHealthIndicator]);
    expect(module.providers).to.deep.include({ provide: 'APP_FILTER', useClass: CircuitBreakerOpenExceptionFilter });
  });

  it('leaves the filter out with filter: false', () => {
    expect(CircuitBreakerModule.forRoot({ filter: false }).providers).to.deep.equal([CircuitBreakerHealthIndicator]);
  });

  it('sets defaults (and a fleet store) for decorated methods not yet called', async () => {
    const store = new InMemoryCircuitStore();
    class Warehouse {
      @CircuitBreaker()
      async stock(): Promise<number> {
        throw new Error('warehouse API down');
      }
    }
    try {
      CircuitBreakerModule.forRoot({ defaults: { failureThreshold: 1 }, store });
      const replica = new CircuitBreaker({ name: 'Warehouse#stock', store });
      const warehouse = new Warehouse();
      expect(getCircuitBreaker(warehouse, 'stock').options).to.include({ failureThreshold: 1, store });
      await Promise.resolve(); // the store answers on a promise job
      await warehouse.stock().catch(() => undefined);
      for (let i = 0; i < 5; i++) await Promise.resolve();
      expect(getCircuitBreaker(warehouse, 'stock').state).to.equal('OPEN');
      expect(replica.state).to.equal('OPEN');
    } finally {
      setCircuitBreakerDefaults({});
    }
  });

  it('rejects bad defaults when the module is defined', () => {
    expect(() => CircuitBreakerModule.forRoot({ defaults: { resetTimeout: -1 } })).to.throw(RangeError, /resetTimeout/);
  });
});
