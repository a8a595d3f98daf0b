/**
 * `circuit-breaker-decorator/opentelemetry`: breakers as OpenTelemetry metrics and span events,
 * through `@opentelemetry/api` (an optional peer dependency: install it to use this).
 *
 * Metrics are observable instruments read from `breaker.stats()` when the SDK collects,
 * so they add nothing to a guarded call. Span events come from the breakers'
 * `node:diagnostics_channel` channels (refusals and transitions only), added to the
 * span active when the breaker refused or changed state.
 *
 * @example
 * import { instrumentCircuitBreakers } from 'circuit-breaker-decorator/opentelemetry';
 * const telemetry = instrumentCircuitBreakers();   // the global meter and tracer providers; every decorated breaker
 * telemetry.add(paymentsBreaker);                   // and plain breakers you name
 * telemetry.dispose();                              // at shutdown
 * @packageDocumentation
 */
import {
  metrics,
  trace,
  ValueType,
  type Attributes,
  type BatchObservableResult,
  type Meter,
  type MeterProvider,
  type Observable,
  type TracerProvider,
} from '@opentelemetry/api';
import diagnosticsChannel from 'node:diagnostics_channel';
import type { CircuitBreaker } from '../breaker/breaker';
import type { KeyedCircuitBreaker } from '../breaker/keyed-breaker';
import type { CircuitBreakerStats } from '../breaker/stats';
import { checkKnownOptions } from '../common/known-options';
import { measuredKeyedBreakers, measuredSeries } from '../common/measured-breakers';
import { channelNames } from '../events/channels';
import type { Disposable } from '../events/listeners';
import type { CircuitState, RefusalEvent, StateChangeEvent } from '../events/types';

/** The instrumentation scope's name: the meter is `meterProvider.getMeter(INSTRUMENTATION_SCOPE)`. */
export const INSTRUMENTATION_SCOPE = 'circuit-breaker-decorator';

/** Names of the instruments, the attributes and the span events (see docs/opentelemetry.md). */
export const otelNames = Object.freeze({
  /** Observable UpDownCounter, unit `1`: 1 for the breaker's current state, 0 for the others (one point per state). */
  status: 'circuit_breaker.status',
  /** Observable Counter, unit `{call}`: calls by `circuit_breaker.outcome`. */
  calls: 'circuit_breaker.calls',
  /** Observable Counter, unit `{call}`: calls that outlived the `timeout` option (also counted as failures). */
  timeouts: 'circuit_breaker.timeouts',
  /** Observable Counter, unit `{call}`: results the `fallback` option supplied. */
  fallbacks: 'circuit_breaker.fallbacks',
  /** Observable Counter, unit `{opening}`: times the circuit opened. */
  openings: 'circuit_breaker.openings',
  /** Observable Gauge, unit `1`: failures / outcomes of the `failureRate` window (only once it holds `minimumCalls`). */
  failureRate: 'circuit_breaker.failure_rate',
  /** Observable Gauge, unit `1`: slow / outcomes of the window (only with `slowCall`, once it holds `minimumCalls`). */
  slowCallRate: 'circuit_breaker.slow_call_rate',
  /** Attribute: the breaker's name (a key's breaker: its keyed breaker's name, `Class#method`). */
  name: 'circuit_breaker.name',
  /** Attribute: a keyed breaker's key (absent for any other breaker). */
  key: 'circuit_breaker.key',
  /** Attribute: `CLOSED`, `OPEN` or `HALF_OPEN` (on `status` points; on span events, the state at or after the event). */
  state: 'circuit_breaker.state',
  /** Attribute on `circuit_breaker.state_change` events: the state before the transition. */
  previousState: 'circuit_breaker.previous_state',
  /** Attribute on `circuit_breaker.state_change` events: why (`threshold`, `probe-failed`, `reset-timeout`...). */
  reason: 'circuit_breaker.reason',
  /** Attribute: `success`, `failure`, `ignored` or `refused`, on `calls` points. */
  outcome: 'circuit_breaker.outcome',
  /** Attribute on `circuit_breaker.refused` events: ms until a probe is let through (absent while isolated). */
  retryAfter: 'circuit_breaker.retry_after',
  /** Span event: a call was refused. */
  refusedEvent: 'circuit_breaker.refused',
  /** Span event: the breaker changed state. */
  stateChangeEvent: 'circuit_breaker.state_change',
} as const);

/** A breaker the instrumentation includes: a breaker, or a keyed breaker (each of its keys' breakers). */
export type InstrumentedBreaker = CircuitBreaker<unknown> | KeyedCircuitBreaker<unknown>;

/** Options of `instrumentCircuitBreakers`. */
export interface CircuitBreakerInstrumentationOptions {
  /**
   * Where the instruments are created.
   * @default the global meter provider (`metrics.getMeterProvider()`)
   */
  readonly meterProvider?: MeterProvider;
  /**
   * Span events go on the span active when a breaker refuses or changes state, whichever provider
   * made it; no span is created. Without a registered provider the active span is the API's
   * no-op one and nothing is recorded. `null`: no span events (no channel is subscribed to).
   * @default the global tracer provider
   */
  readonly tracerProvider?: TracerProvider | null;
  /**
   * Include every breaker made by `@CircuitBreaker` (`listCircuitBreakers()`), as of each collection.
   * @default true
   */
  readonly decorated?: boolean;
  /** Plain breakers (and keyed breakers, `new CircuitBreaker({ key: true })`) to include from the start; more with `add()`. */
  readonly breakers?: Iterable<InstrumentedBreaker>;
}

/** What `instrumentCircuitBreakers` returns. */
export interface CircuitBreakerInstrumentation extends Disposable {
  /** Includes a plain breaker, or a keyed one (each of its keys); `dispose()` the handle to drop it. */
  add(breaker: InstrumentedBreaker): Disposable;
  /** Stops everything: the instruments' callback is removed and the channels are unsubscribed. Idempotent. */
  dispose(): void;
}

const STATES: readonly CircuitState[] = ['CLOSED', 'OPEN', 'HALF_OPEN'];
type CountedField = 'successes' | 'failures' | 'ignored' | 'refusals' | 'timeouts' | 'fallbacks' | 'opened';
const OUTCOMES: readonly (readonly ['success' | 'failure' | 'ignored' | 'refused', CountedField])[] = [
  ['success', 'successes'],
  ['failure', 'failures'],
  ['ignored', 'ignored'],
  ['refused', 'refusals'],
];


/**
 * Reports breakers to OpenTelemetry. Metrics (observable, read from `stats()` at each collection),
 * with `circuit_breaker.name` on every point and `circuit_breaker.key` for a key's breaker:
 * - `circuit_breaker.status` (UpDownCounter, `1`, + `circuit_breaker.state`): 1 for the current state, 0 for the others;
 * - `circuit_breaker.calls` (Counter, `{call}`, + `circuit_breaker.outcome`: `success | failure | ignored | refused`);
 * - `circuit_breaker.timeouts`, `circuit_breaker.fallbacks` (Counter, `{call}`), `circuit_breaker.openings` (Counter, `{opening}`);
 * - `circuit_breaker.failure_rate`, `circuit_breaker.slow_call_rate` (Gauge, `1`): under a `failureRate` rule, once rated.
 *
 * Span events, on the active span when there is one: `circuit_breaker.refused` and `circuit_breaker.state_change`.
 * Breakers sharing a name (one per instance with `scope: 'instance'`) are summed.
 *
 * @throws TypeError for a bad option
 */
export function instrumentCircuitBreakers(options: CircuitBreakerInstrumentationOptions = {}): CircuitBreakerInstrumentation {
  checkKnownOptions(options, ['meterProvider', 'tracerProvider', 'decorated', 'breakers'], 'OpenTelemetry instrumentation');
  const decorated = options.decorated ?? true;
  if (typeof decorated !== 'boolean') throw new TypeError('decorated must be a boolean');
  const meterProvider = options.meterProvider ?? metrics.getMeterProvider();
  if (typeof meterProvider?.getMeter !== 'function') throw new TypeError('meterProvider must be an OpenTelemetry MeterProvider');
  const tracerProvider = options.tracerProvider;
  if (tracerProvider !== undefined && tracerProvider !== null && typeof tracerProvider.getTracer !== 'function') {
    throw new TypeError('tracerProvider must be an OpenTelemetry TracerProvider or null');
  }
  const plain = new Set<InstrumentedBreaker>(options.breakers ?? []);

  /** Keyed breakers known here: their names tell a key's breaker in a channel message (which carries a name alone). */
  const keyedBreakers = () => measuredKeyedBreakers(plain, decorated);
  /** Read at each collection: a collection costs one stats() per breaker, a call nothing. */
  const series = () => [...measuredSeries(plain, decorated)].map(({ name, key, stats }) => ({ attributes: attributesOf(name, key), stats }));

  const meter: Meter = meterProvider.getMeter(INSTRUMENTATION_SCOPE);
  const int = { valueType: ValueType.INT };
  const status = meter.createObservableUpDownCounter(otelNames.status, {
    description: 'Breakers of this name (and key) in this state: 1 or 0 for a single breaker.',
    unit: '1',
    ...int,
  });
  const calls = meter.createObservableCounter(otelNames.calls, {
    description: 'Calls through the breaker by outcome: success, failure (counted by isFailure), ignored (not counted), refused.',
    unit: '{call}',
    ...int,
  });
  const timeouts = meter.createObservableCounter(otelNames.timeouts, {
    description: 'Calls that outlived the timeout option (also counted as failures).',
    unit: '{call}',
    ...int,
  });
  const fallbacks = meter.createObservableCounter(otelNames.fallbacks, { description: 'Results supplied by the fallback option.', unit: '{call}', ...int });
  const openings = meter.createObservableCounter(otelNames.openings, { description: 'Times the circuit opened.', unit: '{opening}', ...int });
  const failureRate = meter.createObservableGauge(otelNames.failureRate, {
    description: "Failures / outcomes of the failureRate window, once it holds minimumCalls outcomes.",
    unit: '1',
    valueType: ValueType.DOUBLE,
  });
  const slowCallRate = meter.createObservableGauge(otelNames.slowCallRate, {
    description: 'Slow calls / outcomes of the failureRate window (with slowCall), once it holds minimumCalls outcomes.',
    unit: '1',
    valueType: ValueType.DOUBLE,
  });
  const observables: Observable[] = [status, calls, timeouts, fallbacks, openings, failureRate, slowCallRate];
  const sum = (list: readonly CircuitBreakerStats[], field: CountedField): number => {
    let total = 0;
    for (const s of list) total += s[field];
    return total;
  };
  const collect = (result: BatchObservableResult): void => {
    for (const { attributes, stats } of series()) {
      for (const state of STATES) {
        result.observe(status, stats.filter((s) => s.state === state).length, { ...attributes, [otelNames.state]: state });
      }
      for (const [outcome, field] of OUTCOMES) result.observe(calls, sum(stats, field), { ...attributes, [otelNames.outcome]: outcome });
      result.observe(timeouts, sum(stats, 'timeouts'), attributes);
      result.observe(fallbacks, sum(stats, 'fallbacks'), attributes);
      result.observe(openings, sum(stats, 'opened'), attributes);
      // A rate is one breaker's: of breakers sharing a name, the first rated one is reported.
      const rated = stats.find((s) => s.failureRate !== null);
      if (rated !== undefined) result.observe(failureRate, rated.failureRate!, attributes);
      const slow = stats.find((s) => s.slowCallRate !== null);
      if (slow !== undefined) result.observe(slowCallRate, slow.slowCallRate!, attributes);
    }
  };
  meter.addBatchObservableCallback(collect, observables);

  /** Name and key of a breaker named in a channel message: `name[key]` is a key's breaker when a known keyed breaker is `name`. */
  const split = (breaker: string): Attributes => {
    if (breaker.endsWith(']')) {
      for (const keyed of keyedBreakers()) {
        const name = keyed.name;
        if (breaker.length > name.length + 1 && breaker.startsWith(name) && breaker[name.length] === '[') {
          return attributesOf(name, breaker.slice(name.length + 1, -1));
        }
      }
    }
    return attributesOf(breaker, undefined);
  };
  const onRefusal = (message: unknown): void => {
    const span = trace.getActiveSpan();
    if (span === undefined || !span.isRecording()) return;
    const event = message as RefusalEvent;
    const attributes: Attributes = { ...split(event.breaker), [otelNames.state]: event.state };
    if (Number.isFinite(event.retryAfter)) attributes[otelNames.retryAfter] = event.retryAfter;
    span.addEvent(otelNames.refusedEvent, attributes);
  };
  const onStateChange = (message: unknown): void => {
    const span = trace.getActiveSpan();
    if (span === undefined || !span.isRecording()) return;
    const event = message as StateChangeEvent;
    span.addEvent(otelNames.stateChangeEvent, {
      ...split(event.breaker),
      [otelNames.previousState]: event.from,
      [otelNames.state]: event.to,
      [otelNames.reason]: event.reason,
    });
  };
  const traced = tracerProvider !== null;
  if (traced) {
    diagnosticsChannel.subscribe(channelNames.refusal, onRefusal);
    diagnosticsChannel.subscribe(channelNames.stateChange, onStateChange);
  }

  let disposed = false;
  return {
    add(breaker) {
      if (disposed) return { dispose() {} };
      plain.add(breaker);
      return { dispose: () => void plain.delete(breaker) };
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      meter.removeBatchObservableCallback(collect, observables);
      if (traced) {
        diagnosticsChannel.unsubscribe(channelNames.refusal, onRefusal);
        diagnosticsChannel.unsubscribe(channelNames.stateChange, onStateChange);
      }
      plain.clear();
    },
  };
}

function attributesOf(name: string, key: string | undefined): Attributes {
  return key === undefined ? { [otelNames.name]: name } : { [otelNames.name]: name, [otelNames.key]: key };
}
