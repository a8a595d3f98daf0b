import { context, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { DataPointType, MeterProvider, MetricReader, type MetricData, type SumMetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { expect } from 'chai';
import diagnosticsChannel from 'node:diagnostics_channel';
import sinon from 'sinon';
import { CircuitBreaker, channelNames, getCircuitBreaker } from '../../src';
import { INSTRUMENTATION_SCOPE, instrumentCircuitBreakers, type CircuitBreakerInstrumentation } from '../../src/opentelemetry';

/** A reader collected on demand (no timer): `collect()` runs the observable callbacks now. */
class OnDemandReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

const matches = (attributes: Attributes, wanted: Attributes) =>
  Object.keys(attributes).length === Object.keys(wanted).length && Object.entries(wanted).every(([k, v]) => attributes[k] === v);

describe('opentelemetry: instrumentCircuitBreakers', () => {
  let clock: sinon.SinonFakeTimers;
  let reader: OnDemandReader;
  let meterProvider: MeterProvider;
  let telemetry: CircuitBreakerInstrumentation | undefined;

  beforeEach(() => {
    clock = sinon.useFakeTimers();
    reader = new OnDemandReader();
    meterProvider = new MeterProvider({ readers: [reader] });
  });
  afterEach(async () => {
    telemetry?.dispose();
    telemetry = undefined;
    clock.restore();
    await meterProvider.shutdown();
  });

  /** This package's metrics, by name, as of a collection now. */
  async function collect(): Promise<Map<string, MetricData>> {
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).to.deep.equal([]);
    const found = new Map<string, MetricData>();
    for (const scope of resourceMetrics.scopeMetrics) {
      if (scope.scope.name !== INSTRUMENTATION_SCOPE) continue;
      for (const metric of scope.metrics) found.set(metric.descriptor.name, metric);
    }
    return found;
  }
  /** The value of the point of `name` with exactly `attributes`, or undefined. */
  function value(all: Map<string, MetricData>, name: string, attributes: Attributes): number | undefined {
    const metric = all.get(name);
    const point = metric?.dataPoints.find((p) => matches(p.attributes, attributes));
    return point === undefined ? undefined : (point.value as number);
  }

  const fail = () => Promise.reject(new Error('down'));
  const succeed = () => Promise.resolve('ok');

  it('reports state, calls by outcome and openings of a plain breaker through an outage, with units and kinds', async () => {
    const breaker = new CircuitBreaker({ name: 'payments-api', failureThreshold: 2, resetTimeout: 1000 });
    telemetry = instrumentCircuitBreakers({ meterProvider, decorated: false, breakers: [breaker] });
    const name = { 'circuit_breaker.name': 'payments-api' };
    const state = (s: string) => ({ ...name, 'circuit_breaker.state': s });
    const outcome = (o: string) => ({ ...name, 'circuit_breaker.outcome': o });

    let all = await collect();
    expect(value(all, 'circuit_breaker.status', state('CLOSED'))).to.equal(1);
    expect(value(all, 'circuit_breaker.status', state('OPEN'))).to.equal(0);
    expect(value(all, 'circuit_breaker.status', state('HALF_OPEN'))).to.equal(0);
    expect(all.get('circuit_breaker.status')!.dataPointType).to.equal(DataPointType.SUM);
    expect((all.get('circuit_breaker.status') as SumMetricData).isMonotonic, 'an UpDownCounter').to.equal(false);
    expect(all.get('circuit_breaker.status')!.descriptor.unit).to.equal('1');
    expect((all.get('circuit_breaker.calls') as SumMetricData).isMonotonic).to.equal(true);
    expect(all.get('circuit_breaker.calls')!.descriptor.unit).to.equal('{call}');
    expect(all.get('circuit_breaker.timeouts')!.descriptor.unit).to.equal('{call}');
    expect(all.get('circuit_breaker.fallbacks')!.descriptor.unit).to.equal('{call}');
    expect(all.get('circuit_breaker.openings')!.descriptor.unit).to.equal('{opening}');
    expect(all.has('circuit_breaker.failure_rate'), 'no rate without a rate rule').to.equal(false);

    await breaker.call(succeed);
    await breaker.call(fail).catch(() => undefined);
    await breaker.call(fail).catch(() => undefined); // trips
    all = await collect();
    expect(value(all, 'circuit_breaker.status', state('OPEN'))).to.equal(1);
    expect(value(all, 'circuit_breaker.status', state('CLOSED'))).to.equal(0);
    expect(value(all, 'circuit_breaker.calls', outcome('success'))).to.equal(1);
    expect(value(all, 'circuit_breaker.calls', outcome('failure'))).to.equal(2);
    expect(value(all, 'circuit_breaker.calls', outcome('ignored'))).to.equal(0);
    expect(value(all, 'circuit_breaker.calls', outcome('refused'))).to.equal(0);
    expect(value(all, 'circuit_breaker.openings', name)).to.equal(1);

    await breaker.call(succeed).catch(() => undefined); // refused
    await breaker.call(succeed).catch(() => undefined); // refused
    all = await collect();
    expect(value(all, 'circuit_breaker.calls', outcome('refused'))).to.equal(2);
    expect(value(all, 'circuit_breaker.calls', outcome('success'))).to.equal(1);

    clock.tick(1000);
    let release!: () => void;
    const probe = breaker.call(() => new Promise<void>((resolve) => (release = resolve)));
    all = await collect();
    expect(value(all, 'circuit_breaker.status', state('HALF_OPEN')), 'the probe in flight').to.equal(1);
    expect(value(all, 'circuit_breaker.status', state('OPEN'))).to.equal(0);
    release();
    await probe;
    all = await collect();
    expect(value(all, 'circuit_breaker.status', state('CLOSED'))).to.equal(1);
    expect(value(all, 'circuit_breaker.status', state('HALF_OPEN'))).to.equal(0);
    expect(value(all, 'circuit_breaker.calls', outcome('success'))).to.equal(2);
    expect(value(all, 'circuit_breaker.openings', name)).to.equal(1);
  });

  it('counts timeouts and fallbacks', async () => {
    const slow = new CircuitBreaker({ name: 'slow', timeout: 100, failureThreshold: 5 });
    const covered = new CircuitBreaker({ name: 'covered', failureThreshold: 1, fallback: () => 'cached' });
    telemetry = instrumentCircuitBreakers({ meterProvider, decorated: false, breakers: [slow, covered] });
    const pending = slow.call(() => new Promise(() => undefined)).catch(() => undefined);
    clock.tick(100);
    await pending;
    await covered.call(fail).catch(() => undefined); // trips
    expect(await covered.call(succeed)).to.equal('cached'); // refused, the fallback answers
    const all = await collect();
    expect(value(all, 'circuit_breaker.timeouts', { 'circuit_breaker.name': 'slow' })).to.equal(1);
    expect(value(all, 'circuit_breaker.calls', { 'circuit_breaker.name': 'slow', 'circuit_breaker.outcome': 'failure' })).to.equal(1);
    expect(value(all, 'circuit_breaker.fallbacks', { 'circuit_breaker.name': 'covered' })).to.equal(1);
    expect(value(all, 'circuit_breaker.timeouts', { 'circuit_breaker.name': 'covered' })).to.equal(0);
  });

  it("reports the window's failure rate under a rate rule, once it holds minimumCalls outcomes", async () => {
    const breaker = new CircuitBreaker({ name: 'rated', failureRate: { threshold: 0.5, minimumCalls: 4, window: { calls: 10 } } });
    telemetry = instrumentCircuitBreakers({ meterProvider, decorated: false, breakers: [breaker] });
    await breaker.call(fail).catch(() => undefined);
    await breaker.call(succeed);
    await breaker.call(succeed);
    let all = await collect();
    expect(value(all, 'circuit_breaker.failure_rate', { 'circuit_breaker.name': 'rated' }), 'below minimumCalls').to.equal(undefined);
    await breaker.call(succeed);
    all = await collect();
    expect(all.get('circuit_breaker.failure_rate')!.dataPointType).to.equal(DataPointType.GAUGE);
    expect(all.get('circuit_breaker.failure_rate')!.descriptor.unit).to.equal('1');
    expect(value(all, 'circuit_breaker.failure_rate', { 'circuit_breaker.name': 'rated' })).to.equal(0.25);
    await breaker.call(fail).catch(() => undefined);
    all = await collect();
    expect(value(all, 'circuit_breaker.failure_rate', { 'circuit_breaker.name': 'rated' })).to.equal(0.4);
    expect(value(all, 'circuit_breaker.slow_call_rate', { 'circuit_breaker.name': 'rated' }), 'no slowCall rule').to.equal(undefined);
  });

  it('includes every decorated breaker (Class#method) as of each collection, and keys apart from names', async () => {
    telemetry = instrumentCircuitBreakers({ meterProvider });
    class PriceFeed {
      @CircuitBreaker({ failureThreshold: 1 })
      async quote(): Promise<number> {
        throw new Error('feed down');
      }
    }
    class Upstream {
      @CircuitBreaker({ key: (url: string) => new URL(url).host, failureThreshold: 1 })
      async get(url: string): Promise<string> {
        if (url.includes('dead')) throw new Error('down');
        return url;
      }
    }
    const feed = new PriceFeed();
    getCircuitBreaker(feed, 'quote').reset();
    await feed.quote().catch(() => undefined);
    const upstream = new Upstream();
    await upstream.get('https://dead.example/').catch(() => undefined);
    await upstream.get('https://api.example/');
    const all = await collect();
    expect(value(all, 'circuit_breaker.status', { 'circuit_breaker.name': 'PriceFeed#quote', 'circuit_breaker.state': 'OPEN' })).to.equal(1);
    const key = (k: string) => ({ 'circuit_breaker.name': 'Upstream#get', 'circuit_breaker.key': k });
    expect(value(all, 'circuit_breaker.status', { ...key('dead.example'), 'circuit_breaker.state': 'OPEN' })).to.equal(1);
    expect(value(all, 'circuit_breaker.calls', { ...key('api.example'), 'circuit_breaker.outcome': 'success' })).to.equal(1);
    expect(value(all, 'circuit_breaker.openings', key('dead.example'))).to.equal(1);
    const names = all.get('circuit_breaker.calls')!.dataPoints.map((p) => p.attributes['circuit_breaker.name']);
    expect(names.filter((n) => String(n).startsWith('Upstream#get['))).to.deep.equal([]);
  });

  it('add() includes a plain or keyed breaker until its handle is disposed', async () => {
    telemetry = instrumentCircuitBreakers({ meterProvider, decorated: false });
    const late = new CircuitBreaker({ name: 'late', failureThreshold: 1 });
    const hosts = new CircuitBreaker({ key: true, name: 'hosts' });
    const handle = telemetry.add(late);
    telemetry.add(hosts);
    await hosts.call('h1', succeed);
    let all = await collect();
    expect(value(all, 'circuit_breaker.status', { 'circuit_breaker.name': 'late', 'circuit_breaker.state': 'CLOSED' })).to.equal(1);
    expect(value(all, 'circuit_breaker.calls', { 'circuit_breaker.name': 'hosts', 'circuit_breaker.key': 'h1', 'circuit_breaker.outcome': 'success' })).to.equal(1);
    handle.dispose();
    const read = sinon.spy(late, 'stats');
    await late.call(fail).catch(() => undefined);
    all = await collect();
    expect(read.callCount, 'a dropped breaker is not read').to.equal(0);
    // The SDK's cumulative storage repeats an attribute set's last point once it is no longer observed.
    expect(value(all, 'circuit_breaker.status', { 'circuit_breaker.name': 'late', 'circuit_breaker.state': 'OPEN' }) ?? 0).to.equal(0);
  });

  it('dispose() stops reporting: no breaker read, no new point, no channel subscription; twice is harmless', async () => {
    const subscribed = () => [channelNames.refusal, channelNames.stateChange].map((name) => diagnosticsChannel.channel(name).hasSubscribers);
    const before = subscribed();
    const breaker = new CircuitBreaker({ name: 'gone', failureThreshold: 1 });
    telemetry = instrumentCircuitBreakers({ meterProvider, decorated: false, breakers: [breaker] });
    expect(subscribed()).to.deep.equal([true, true]);
    expect(value(await collect(), 'circuit_breaker.status', { 'circuit_breaker.name': 'gone', 'circuit_breaker.state': 'CLOSED' })).to.equal(1);
    telemetry.dispose();
    telemetry.dispose();
    expect(subscribed()).to.deep.equal(before);
    const read = sinon.spy(breaker, 'stats');
    await breaker.call(fail).catch(() => undefined);
    const after = await collect();
    expect(read.callCount, 'no stats() read at collection').to.equal(0);
    expect(value(after, 'circuit_breaker.status', { 'circuit_breaker.name': 'gone', 'circuit_breaker.state': 'OPEN' }) ?? 0).to.equal(0);
    expect(value(after, 'circuit_breaker.openings', { 'circuit_breaker.name': 'gone' }) ?? 0).to.equal(0);
    expect(telemetry.add(new CircuitBreaker({ name: 'after' })).dispose).to.be.a('function');
    expect(value(await collect(), 'circuit_breaker.status', { 'circuit_breaker.name': 'after', 'circuit_breaker.state': 'CLOSED' })).to.equal(undefined);
  });

  it('tracerProvider: null subscribes to no channel', () => {
    const before = diagnosticsChannel.channel(channelNames.refusal).hasSubscribers;
    telemetry = instrumentCircuitBreakers({ meterProvider, tracerProvider: null });
    expect(diagnosticsChannel.channel(channelNames.refusal).hasSubscribers).to.equal(before);
  });

  it('rejects bad options by name', () => {
    expect(() => instrumentCircuitBreakers({ meterProvider, colour: 'red' } as never)).to.throw(TypeError, /colour/);
    expect(() => instrumentCircuitBreakers({ meterProvider, decorated: 'yes' as never })).to.throw(TypeError, /decorated/);
    expect(() => instrumentCircuitBreakers({ meterProvider: {} as never })).to.throw(TypeError, /meterProvider/);
    expect(() => instrumentCircuitBreakers({ meterProvider, tracerProvider: {} as never })).to.throw(TypeError, /tracerProvider/);
  });

  it('works on the API alone (no SDK registered): the global no-op providers, calls unaffected', async () => {
    telemetry = instrumentCircuitBreakers();
    const breaker = new CircuitBreaker({ name: 'no-sdk', failureThreshold: 1 });
    await trace.getTracer('spec').startActiveSpan('request', async (span) => {
      expect(span.isRecording()).to.equal(false);
      await breaker.call(fail).catch(() => undefined);
      const error = await breaker.call(succeed).catch((e: unknown) => e);
      expect(error).to.have.property('name', 'CircuitBreakerOpenException');
      span.end();
    });
  });

  describe('span events', () => {
    let exporter: InMemorySpanExporter;
    let tracerProvider: BasicTracerProvider;
    let contextManager: AsyncLocalStorageContextManager;
    beforeEach(() => {
      contextManager = new AsyncLocalStorageContextManager().enable();
      context.setGlobalContextManager(contextManager);
      exporter = new InMemorySpanExporter();
      tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    });
    afterEach(async () => {
      context.disable();
      await tracerProvider.shutdown();
    });

    const events = (spanName: string) => {
      const span = exporter.getFinishedSpans().find((s) => s.name === spanName);
      expect(span, spanName).not.to.equal(undefined);
      return span!.events.map((e) => ({ name: e.name, attributes: e.attributes }));
    };

    it('a transition goes on the span of the call that caused it, a refusal on the active span with retry_after', async () => {
      const breaker = new CircuitBreaker({ name: 'orders', failureThreshold: 1, resetTimeout: 1000 });
      telemetry = instrumentCircuitBreakers({ meterProvider, tracerProvider });
      const tracer = tracerProvider.getTracer('spec');
      await tracer.startActiveSpan('fails', async (span) => {
        await breaker.call(fail).catch(() => undefined);
        span.end();
      });
      clock.tick(400);
      await tracer.startActiveSpan('refused', async (span) => {
        await breaker.call(succeed).catch(() => undefined);
        span.end();
      });
      clock.tick(600);
      await tracer.startActiveSpan('probe', async (span) => {
        await breaker.call(succeed);
        span.end();
      });
      const name = { 'circuit_breaker.name': 'orders' };
      expect(events('fails')).to.deep.equal([
        {
          name: 'circuit_breaker.state_change',
          attributes: { ...name, 'circuit_breaker.previous_state': 'CLOSED', 'circuit_breaker.state': 'OPEN', 'circuit_breaker.reason': 'threshold' },
        },
      ]);
      expect(events('refused')).to.deep.equal([
        { name: 'circuit_breaker.refused', attributes: { ...name, 'circuit_breaker.state': 'OPEN', 'circuit_breaker.retry_after': 600 } },
      ]);
      expect(events('probe')).to.deep.equal([
        {
          name: 'circuit_breaker.state_change',
          attributes: { ...name, 'circuit_breaker.previous_state': 'OPEN', 'circuit_breaker.state': 'HALF_OPEN', 'circuit_breaker.reason': 'reset-timeout' },
        },
        {
          name: 'circuit_breaker.state_change',
          attributes: { ...name, 'circuit_breaker.previous_state': 'HALF_OPEN', 'circuit_breaker.state': 'CLOSED', 'circuit_breaker.reason': 'probe-succeeded' },
        },
      ]);
    });

    it("names a key's breaker by name and key; a span kept active synchronously around the call works too", async () => {
      const hosts = new CircuitBreaker({ key: true, name: 'hosts', failureThreshold: 1 });
      telemetry = instrumentCircuitBreakers({ meterProvider, tracerProvider, breakers: [hosts] });
      const span = tracerProvider.getTracer('spec').startSpan('sync');
      await context.with(trace.setSpan(context.active(), span), () => hosts.call('a.example', fail)).catch(() => undefined);
      await context.with(trace.setSpan(context.active(), span), () => hosts.call('a.example', succeed)).catch(() => undefined);
      span.end();
      const key = { 'circuit_breaker.name': 'hosts', 'circuit_breaker.key': 'a.example' };
      expect(events('sync').map((e) => [e.name, e.attributes])).to.deep.equal([
        ['circuit_breaker.state_change', { ...key, 'circuit_breaker.previous_state': 'CLOSED', 'circuit_breaker.state': 'OPEN', 'circuit_breaker.reason': 'threshold' }],
        ['circuit_breaker.refused', { ...key, 'circuit_breaker.state': 'OPEN', 'circuit_breaker.retry_after': 60_000 }],
      ]);
    });

    it('adds nothing without an active span, nor after dispose()', async () => {
      const breaker = new CircuitBreaker({ name: 'quiet', failureThreshold: 1 });
      telemetry = instrumentCircuitBreakers({ meterProvider, tracerProvider });
      await breaker.call(fail).catch(() => undefined); // no active span: nothing to add to, nothing thrown
      await breaker.call(succeed).catch(() => undefined);
      telemetry.dispose();
      await tracerProvider.getTracer('spec').startActiveSpan('after', async (span) => {
        await breaker.call(succeed).catch(() => undefined);
        span.end();
      });
      expect(events('after')).to.deep.equal([]);
    });
  });

  it('the core loads without @opentelemetry/api', function () {
    this.timeout(30_000);
    const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
    const script = `
      const Module = require('node:module');
      const original = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (request.startsWith('@opentelemetry/')) throw Object.assign(new Error('Cannot find module ' + request), { code: 'MODULE_NOT_FOUND' });
        return original.call(this, request, ...rest);
      };
      require('ts-node').register({ transpileOnly: true });
      const core = require('./src');
      const loaded = Object.keys(require.cache).filter((path) => path.includes('@opentelemetry'));
      let integration = 'loaded';
      try { require('./src/opentelemetry'); } catch (e) { integration = e.code; }
      console.log(typeof core.CircuitBreaker, loaded.length, integration);
    `;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim();
    expect(out).to.equal('function 0 MODULE_NOT_FOUND');
  });
});
