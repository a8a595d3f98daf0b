import { expect } from 'chai';
import { Registry } from 'prom-client';
import sinon from 'sinon';
import { CircuitBreaker, getCircuitBreaker, getKeyedCircuitBreaker } from '../../src';
import { createCircuitBreakerMetrics } from '../../src/prometheus';

/** The value of one sample line of the exposition text, or undefined. */
function sample(text: string, metric: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const inside = line.slice(metric.length + 1, line.indexOf('}'));
    const parts = inside.split(',');
    if (wanted.every((w) => parts.includes(w)) && parts.length === wanted.length) return Number(line.slice(line.indexOf('}') + 2));
  }
  return undefined;
}

describe('prometheus: createCircuitBreakerMetrics', () => {
  let clock: sinon.SinonFakeTimers;
  let registry: Registry;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
    registry = new Registry();
  });
  afterEach(() => clock.restore());

  const fail = () => Promise.reject(new Error('down'));
  const succeed = () => Promise.resolve('ok');

  it('exposes a plain breaker state and outcome counters, scraped from a real registry', async () => {
    const breaker = new CircuitBreaker({ name: 'payments-api', failureThreshold: 2, resetTimeout: 1000 });
    createCircuitBreakerMetrics({ registry, decorated: false, breakers: [breaker] });

    await breaker.call(succeed);
    await breaker.call(fail).catch(() => undefined);
    await breaker.call(fail).catch(() => undefined);
    await breaker.call(succeed).catch(() => undefined); // refused

    const text = await registry.metrics();
    expect(text).to.include('# TYPE circuit_breaker_state gauge');
    expect(text).to.include('# TYPE circuit_breaker_calls_total counter');
    expect(sample(text, 'circuit_breaker_state', { breaker: 'payments-api', state: 'OPEN' })).to.equal(1);
    expect(sample(text, 'circuit_breaker_state', { breaker: 'payments-api', state: 'CLOSED' })).to.equal(0);
    expect(sample(text, 'circuit_breaker_calls_total', { breaker: 'payments-api', outcome: 'success' })).to.equal(1);
    expect(sample(text, 'circuit_breaker_calls_total', { breaker: 'payments-api', outcome: 'failure' })).to.equal(2);
    expect(sample(text, 'circuit_breaker_calls_total', { breaker: 'payments-api', outcome: 'refused' })).to.equal(1);
    expect(sample(text, 'circuit_breaker_opened_total', { breaker: 'payments-api' })).to.equal(1);
  });

  it('follows state changes between scrapes', async () => {
    const breaker = new CircuitBreaker({ name: 'search', failureThreshold: 1, resetTimeout: 1000 });
    createCircuitBreakerMetrics({ registry, decorated: false, breakers: [breaker] });
    await breaker.call(fail).catch(() => undefined);
    expect(sample(await registry.metrics(), 'circuit_breaker_state', { breaker: 'search', state: 'OPEN' })).to.equal(1);
    clock.tick(1000);
    await breaker.call(succeed);
    const text = await registry.metrics();
    expect(sample(text, 'circuit_breaker_state', { breaker: 'search', state: 'OPEN' })).to.equal(0);
    expect(sample(text, 'circuit_breaker_state', { breaker: 'search', state: 'CLOSED' })).to.equal(1);
  });

  it('includes decorated methods by Class#method name', async () => {
    class MeteredPriceFeed {
      @CircuitBreaker({ failureThreshold: 1 })
      async quote(): Promise<number> {
        throw new Error('feed down');
      }
    }
    const feed = new MeteredPriceFeed();
    getCircuitBreaker(feed, 'quote').reset();
    createCircuitBreakerMetrics({ registry });
    await feed.quote().catch(() => undefined);
    const text = await registry.metrics();
    expect(sample(text, 'circuit_breaker_state', { breaker: 'MeteredPriceFeed#quote', state: 'OPEN' })).to.equal(1);
    expect(sample(text, 'circuit_breaker_calls_total', { breaker: 'MeteredPriceFeed#quote', outcome: 'failure' })).to.equal(1);
  });

  it('add() includes a breaker until its handle is disposed; unregister() removes the metrics', async () => {
    const metrics = createCircuitBreakerMetrics({ registry, decorated: false, prefix: 'app_cb_' });
    const breaker = new CircuitBreaker({ name: 'late' });
    const handle = metrics.add(breaker);
    expect(sample(await registry.metrics(), 'app_cb_state', { breaker: 'late', state: 'CLOSED' })).to.equal(1);
    handle.dispose();
    expect(sample(await registry.metrics(), 'app_cb_state', { breaker: 'late', state: 'CLOSED' })).to.equal(undefined);
    metrics.unregister();
    expect(await registry.metrics()).not.to.include('app_cb_');
  });

  describe('keyed circuits', () => {
    it("labels a keyed method's breakers by key, beside its name, and counts its keys and evictions", async () => {
      class MeteredUpstream {
        @CircuitBreaker({ key: (url: string) => new URL(url).host, failureThreshold: 1, maxKeys: 2 })
        async get(url: string): Promise<string> {
          if (url.includes('dead')) throw new Error('down');
          return url;
        }
      }
      const upstream = new MeteredUpstream();
      createCircuitBreakerMetrics({ registry });
      await upstream.get('https://dead.example/').catch(() => undefined);
      await upstream.get('https://api.example/');
      await upstream.get('https://api.example/');
      let text = await registry.metrics();
      expect(sample(text, 'circuit_breaker_state', { breaker: 'MeteredUpstream#get', key: 'dead.example', state: 'OPEN' })).to.equal(1);
      expect(sample(text, 'circuit_breaker_state', { breaker: 'MeteredUpstream#get', key: 'api.example', state: 'CLOSED' })).to.equal(1);
      expect(sample(text, 'circuit_breaker_calls_total', { breaker: 'MeteredUpstream#get', key: 'api.example', outcome: 'success' })).to.equal(2);
      expect(sample(text, 'circuit_breaker_calls_total', { breaker: 'MeteredUpstream#get', key: 'dead.example', outcome: 'failure' })).to.equal(1);
      expect(sample(text, 'circuit_breaker_opened_total', { breaker: 'MeteredUpstream#get', key: 'dead.example' })).to.equal(1);
      expect(sample(text, 'circuit_breaker_consecutive_failures', { breaker: 'MeteredUpstream#get', key: 'api.example' })).to.equal(0);
      expect(sample(text, 'circuit_breaker_keys', { breaker: 'MeteredUpstream#get' })).to.equal(2);
      expect(sample(text, 'circuit_breaker_keys_evicted_total', { breaker: 'MeteredUpstream#get' })).to.equal(0);
      expect(text, 'no series under the full name').not.to.include('breaker="MeteredUpstream#get[');

      await upstream.get('https://cdn.example/'); // drops api.example (CLOSED, nothing counted)
      text = await registry.metrics();
      expect(sample(text, 'circuit_breaker_state', { breaker: 'MeteredUpstream#get', key: 'api.example', state: 'CLOSED' }), 'a dropped key is gone').to.equal(undefined);
      expect(sample(text, 'circuit_breaker_state', { breaker: 'MeteredUpstream#get', key: 'cdn.example', state: 'CLOSED' })).to.equal(1);
      expect(sample(text, 'circuit_breaker_keys_evicted_total', { breaker: 'MeteredUpstream#get' })).to.equal(1);
      expect(getKeyedCircuitBreaker(upstream, 'get').size).to.equal(2);
    });

    it('reports a plain keyed breaker given in breakers or to add(), per key, its series bounded by maxKeys', async () => {
      const hosts = new CircuitBreaker({ key: true, name: 'hosts', maxKeys: 3 });
      const shards = new CircuitBreaker({ key: true, name: 'shards' });
      const metrics = createCircuitBreakerMetrics({ registry, decorated: false, breakers: [hosts] });
      const handle = metrics.add(shards);
      for (let i = 0; i < 50; i++) await hosts.call(`h${i}`, succeed);
      await shards.call('s1', succeed);
      const text = await registry.metrics();
      const hostSeries = text.split('\n').filter((line) => line.startsWith('circuit_breaker_state{') && line.includes('breaker="hosts"'));
      expect(hostSeries).to.have.length(3 * 3); // 3 keys kept, a series per state
      expect(sample(text, 'circuit_breaker_state', { breaker: 'hosts', key: 'h49', state: 'CLOSED' })).to.equal(1);
      expect(sample(text, 'circuit_breaker_keys', { breaker: 'hosts' })).to.equal(3);
      expect(sample(text, 'circuit_breaker_keys_evicted_total', { breaker: 'hosts' })).to.equal(47);
      expect(sample(text, 'circuit_breaker_calls_total', { breaker: 'shards', key: 's1', outcome: 'success' })).to.equal(1);
      handle.dispose();
      expect(await registry.metrics()).not.to.include('breaker="shards"');
    });

    it('sums the same key of a per-instance keyed method over its instances', async () => {
      class MeteredTenant {
        @CircuitBreaker({ key: (id: string) => id, scope: 'instance' })
        async get(id: string): Promise<string> {
          return id;
        }
      }
      const tenants = [new MeteredTenant(), new MeteredTenant()];
      createCircuitBreakerMetrics({ registry });
      for (const tenant of tenants) await tenant.get('shared-key');
      const text = await registry.metrics();
      expect(sample(text, 'circuit_breaker_state', { breaker: 'MeteredTenant#get', key: 'shared-key', state: 'CLOSED' })).to.equal(2);
      expect(sample(text, 'circuit_breaker_calls_total', { breaker: 'MeteredTenant#get', key: 'shared-key', outcome: 'success' })).to.equal(2);
      expect(sample(text, 'circuit_breaker_keys', { breaker: 'MeteredTenant#get' })).to.equal(2);
    });
  });

  it('rejects bad options by name', () => {
    expect(() => createCircuitBreakerMetrics({ registry, prefix: '9bad' })).to.throw(TypeError, /prefix/);
    expect(() => createCircuitBreakerMetrics({ registry, colour: 'red' } as never)).to.throw(TypeError, /colour/);
  });

  it('the core loads without prom-client', () => {
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    const script = `
      const Module = require('node:module');
      const original = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request === 'prom-client') throw Object.assign(new Error('Cannot find module prom-client'), { code: 'MODULE_NOT_FOUND' });
        return original.call(this, request, ...rest);
      };
      require('ts-node').register({ transpileOnly: true });
      const core = require('./src');
      let integration = 'loaded';
      try { require('./src/prometheus'); } catch (e) { integration = e.code; }
      console.log(typeof core.CircuitBreaker, integration);
    `;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim();
    expect(out).to.equal('function MODULE_NOT_FOUND');
  });
});
