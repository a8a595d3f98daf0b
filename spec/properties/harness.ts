import { expect } from 'chai';
import fc from 'fast-check';
import { CircuitBreakerOpenException, type CircuitBreakerStats, type OpenEvent } from '../../src';
import type { CircuitBreaker } from '../../src/breaker/breaker';
import { BreakerModel, type Admission, type IsolationHandle, type ModelOpening, type ModelStats, type Outcome } from './model';

/**
 * Runs of the model tests: a fixed seed and 200 runs by default (part of `npm test`);
 * `FC_RUNS=20000 npm run test:legacy` for a long run, `FC_SEED=...` to replay another seed.
 */
export const fcParameters: fc.Parameters<unknown> = {
  seed: Number(process.env.FC_SEED ?? 20_261_125),
  numRuns: Number(process.env.FC_RUNS ?? 200),
  endOnFailure: true,
};

/** An error that `isFailure` does not count. */
export class IgnoredError extends Error {}
export const isFailure = (error: unknown): boolean => !(error instanceof IgnoredError);

/** What a guarded function does when invoked. */
export type Behaviour =
  | 'resolve' // a native promise, fulfilled
  | 'reject' // a native promise, rejected with an Error
  | 'reject-null'
  | 'reject-undefined'
  | 'ignored' // rejected with an error isFailure does not count
  | 'throw' // a synchronous throw of an Error
  | 'throw-value' // a synchronous throw of a non-Error value
  | 'thenable-resolve' // a thenable that is not a native promise
  | 'thenable-reject'
  | 'non-promise' // a programming error: a plain value
  | 'hang'; // pending until a later step settles it

/** How a step settles a hanging call. */
export type Settlement = 'resolve' | 'reject' | 'ignored' | 'reject-null';

export type Step =
  | { readonly op: 'call'; readonly behaviour: Behaviour }
  | { readonly op: 'burst'; readonly behaviours: readonly Behaviour[] }
  | { readonly op: 'settle'; readonly index: number; readonly how: Settlement }
  | { readonly op: 'settleAll'; readonly how: Settlement }
  | { readonly op: 'tick'; readonly ms: number }
  | { readonly op: 'isolate' }
  | { readonly op: 'dispose'; readonly index: number }
  | { readonly op: 'reset' }
  | { readonly op: 'disable' }
  | { readonly op: 'enable' };

const behaviour = fc.constantFrom<Behaviour>(
  'resolve', 'reject', 'reject-null', 'reject-undefined', 'ignored', 'throw', 'throw-value',
  'thenable-resolve', 'thenable-reject', 'non-promise', 'hang', 'hang', 'hang',
);
/** Calls started in the same tick: native promises and synchronous throws (their outcomes reach the breaker in call order). */
const burstBehaviour = fc.constantFrom<Behaviour>('resolve', 'reject', 'throw', 'ignored', 'hang', 'hang', 'hang');
const settlement = fc.constantFrom<Settlement>('resolve', 'reject', 'reject', 'ignored', 'reject-null');

export function stepArbitrary(withManualControl: boolean): fc.Arbitrary<Step> {
  const steps: fc.WeightedArbitrary<Step>[] = [
    { weight: 6, arbitrary: fc.record({ op: fc.constant('call' as const), behaviour }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('burst' as const), behaviours: fc.array(burstBehaviour, { minLength: 2, maxLength: 8 }) }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('settle' as const), index: fc.nat(), how: settlement }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('settleAll' as const), how: settlement }) },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('tick' as const),
        ms: fc.oneof(fc.constantFrom(0, 1, 9, 10, 11, 499, 500, 501, 999, 1_000, 1_001), fc.nat(3_000)),
      }),
    },
  ];
  if (withManualControl) {
    steps.push(
      { weight: 1, arbitrary: fc.constant({ op: 'isolate' as const }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('dispose' as const), index: fc.nat() }) },
      { weight: 1, arbitrary: fc.constant({ op: 'reset' as const }) },
      { weight: 1, arbitrary: fc.constant({ op: 'disable' as const }) },
      { weight: 1, arbitrary: fc.constant({ op: 'enable' as const }) },
    );
  }
  return fc.oneof(...steps);
}

/** What the model checks drive: a breaker, reached either by `breaker.call` or through a decorated method. */
export interface Target {
  readonly breaker: CircuitBreaker<unknown>;
  invoke(fn: () => unknown): Promise<unknown>;
  now(): number;
  advance(ms: number): void;
}

type Expected =
  | { readonly kind: 'refused'; readonly retryAfter: number }
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'non-promise' }
  | { readonly kind: 'pending' };

interface Call {
  expected: Expected;
  actual?: { readonly fulfilled: boolean; readonly value: unknown };
  /** Its answer came and was checked: a promise settles once, so it is not checked again. */
  checked?: boolean;
}

interface Hanging {
  readonly call: Call;
  readonly period: number;
  readonly startedAt: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Lets every promise reaction run (a macrotask turn: setImmediate is never faked by these specs). */
export const settleReactions = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const COUNTERS = ['calls', 'successes', 'failures', 'ignored', 'refusals', 'lateOutcomes', 'opened'] as const;

/** What the breaker's listeners heard: every open event (reason, failures, wait, probeAt) and every state change. */
interface Heard {
  readonly openings: ModelOpening[];
  readonly changes: string[];
}

/**
 * Drives `target` and a fresh model through `steps`, comparing after every step:
 * state, counters, the window and its rates, the wait, invocations, refusals (and
 * their retryAfter), what each caller got, every open event (the reason of each
 * trip) and every state change.
 */
export async function runModel(target: Target, model: BreakerModel, steps: readonly Step[]): Promise<void> {
  const { breaker } = target;
  const baseline = breaker.stats();
  const calls: Call[] = [];
  const hanging: Hanging[] = [];
  const handles: { readonly model: IsolationHandle; readonly real: { dispose(): void } }[] = [];
  const heard: Heard = { openings: [], changes: [] };
  const listening = [
    breaker.onOpen(({ reason, failures, resetTimeout, probeAt }: OpenEvent) => heard.openings.push({ reason, failures, resetTimeout, probeAt })),
    breaker.onStateChange(({ from, to, reason }) => heard.changes.push(`${from}>${to}:${reason}`)),
  ];
  let invocations = 0;
  /** Outcomes the breaker sees in a later microtask, in the order it sees them. */
  let queued: { readonly period: number; readonly startedAt: number; readonly outcome: Outcome }[] = [];

  const start = (what: Behaviour): void => {
    const admission: Admission = model.arrive(target.now());
    const call: Call = { expected: admission.admitted ? { kind: 'pending' } : { kind: 'refused', retryAfter: admission.retryAfter } };
    calls.push(call);
    let invoked = false;
    const fn = (): unknown => {
      invoked = true;
      invocations++;
      return perform(what, call, admission, hanging, (outcome) => {
        if (admission.admitted) queued.push({ period: admission.period, startedAt: admission.startedAt, outcome });
      });
    };
    const before = invocations;
    const promise = target.invoke(fn);
    expect(promise, 'a guarded call returns a promise').to.be.instanceOf(Promise);
    expect(invocations - before, `invocations of a call the model ${admission.admitted ? 'admits' : 'refuses'}`).to.equal(admission.admitted ? 1 : 0);
    expect(invoked).to.equal(admission.admitted);
    // Synchronous outcomes (a throw, a plain value) reach the breaker before execute() returns; with slowCall, where
    // every call's outcome is observed through a promise (it notes when the call started), a microtask later, in order.
    if (admission.admitted && (what === 'throw' || what === 'throw-value' || what === 'non-promise')) {
      if (model.timesCalls) queued.push({ period: admission.period, startedAt: admission.startedAt, outcome: 'failure' });
      else model.settle(admission.period, 'failure', target.now(), admission.startedAt);
    }
    promise.then(
      (value) => (call.actual = { fulfilled: true, value }),
      (error: unknown) => (call.actual = { fulfilled: false, value: error }),
    );
  };

  const settle = (entry: Hanging, how: Settlement): void => {
    const { value, fulfilled, outcome } = settlementOf(how);
    entry.call.expected = fulfilled ? { kind: 'value', value } : { kind: 'error', error: value };
    queued.push({ period: entry.period, startedAt: entry.startedAt, outcome });
    if (fulfilled) entry.resolve(value);
    else entry.reject(value);
  };

  for (const step of steps) {
    switch (step.op) {
      case 'call':
        start(step.behaviour);
        break;
      case 'burst':
        for (const what of step.behaviours) start(what);
        break;
      case 'settle':
        if (hanging.length > 0) settle(hanging.splice(step.index % hanging.length, 1)[0]!, step.how);
        break;
      case 'settleAll':
        for (const entry of hanging.splice(0)) settle(entry, step.how);
        break;
      case 'tick':
        target.advance(step.ms);
        break;
      case 'isolate':
        handles.push({ model: model.isolate(), real: breaker.isolate() });
        break;
      case 'dispose':
        if (handles.length > 0) {
          const handle = handles[step.index % handles.length]!;
          model.dispose(handle.model, target.now());
          handle.real.dispose();
        }
        break;
      case 'reset':
        model.reset();
        breaker.reset();
        break;
      case 'disable':
        model.disable();
        breaker.disable();
        break;
      case 'enable':
        model.enable();
        breaker.enable();
        break;
    }
    for (const { period, startedAt, outcome } of queued) model.settle(period, outcome, target.now(), startedAt);
    queued = [];
    await settleReactions();
    compare(breaker.stats(), model.snapshot(target.now()), baseline, step, invocations);
    compareHeard(heard, model, step);
    for (const call of calls) checkCaller(call, breaker.name);
  }

  // Wind down: settle what still hangs, release isolation, and check once more.
  for (const entry of hanging.splice(0)) settle(entry, 'resolve');
  for (const { period, startedAt, outcome } of queued) model.settle(period, outcome, target.now(), startedAt);
  queued = [];
  for (const handle of handles) {
    model.dispose(handle.model, target.now());
    handle.real.dispose();
  }
  await settleReactions();
  const windDown: Step = { op: 'settleAll', how: 'resolve' };
  compare(breaker.stats(), model.snapshot(target.now()), baseline, windDown, invocations);
  compareHeard(heard, model, windDown);
  for (const listener of listening) listener.dispose();
  for (const call of calls) {
    checkCaller(call, breaker.name);
    expect(call.actual, 'every caller got an answer').to.not.equal(undefined);
  }
}

function settlementOf(how: Settlement): { readonly value: unknown; readonly fulfilled: boolean; readonly outcome: Outcome } {
  switch (how) {
    case 'resolve':
      return { value: { result: Symbol('result') }, fulfilled: true, outcome: 'success' };
    case 'reject':
      return { value: new Error('down'), fulfilled: false, outcome: 'failure' };
    case 'ignored':
      return { value: new IgnoredError('not an outage'), fulfilled: false, outcome: 'ignored' };
    case 'reject-null':
      return { value: null, fulfilled: false, outcome: 'failure' };
  }
}

function perform(
  what: Behaviour,
  call: Call,
  admission: Admission,
  hanging: Hanging[],
  later: (outcome: Outcome) => void,
): unknown {
  if (!admission.admitted) throw new Error('the breaker invoked a call the model refuses');
  switch (what) {
    case 'resolve': {
      const value = { result: Symbol('resolve') };
      call.expected = { kind: 'value', value };
      later('success');
      return Promise.resolve(value);
    }
    case 'reject':
    case 'reject-null':
    case 'reject-undefined':
    case 'ignored': {
      const error = what === 'reject' ? new Error('down') : what === 'reject-null' ? null : what === 'reject-undefined' ? undefined : new IgnoredError('no');
      call.expected = { kind: 'error', error };
      later(what === 'ignored' ? 'ignored' : 'failure');
      return Promise.reject(error);
    }
    case 'throw': {
      const error = new Error('thrown');
      call.expected = { kind: 'error', error };
      throw error;
    }
    case 'throw-value': {
      const error = 'a string, not an Error';
      call.expected = { kind: 'error', error };
      throw error;
    }
    case 'thenable-resolve': {
      const value = { result: Symbol('thenable') };
      call.expected = { kind: 'value', value };
      later('success');
      return { then: (onFulfilled: (value: unknown) => void) => onFulfilled(value) };
    }
    case 'thenable-reject': {
      const error = new Error('thenable down');
      call.expected = { kind: 'error', error };
      later('failure');
      return { then: (_: unknown, onRejected: (error: unknown) => void) => onRejected(error) };
    }
    case 'non-promise':
      call.expected = { kind: 'non-promise' };
      return 42;
    case 'hang': {
      let resolve!: (value: unknown) => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise((res, rej) => {
        resolve = res;
        reject = rej;
      });
      hanging.push({ call, period: admission.period, startedAt: admission.startedAt, resolve, reject });
      return promise;
    }
  }
}

function compare(actual: CircuitBreakerStats, expected: ModelStats, baseline: CircuitBreakerStats, step: Step, invocations: number): void {
  const where = `after ${JSON.stringify(step)}`;
  expect(actual.state, `state ${where}`).to.equal(expected.state);
  expect(actual.isolated, `isolated ${where}`).to.equal(expected.isolated);
  expect(actual.disabled, `disabled ${where}`).to.equal(expected.disabled);
  expect(actual.consecutiveFailures, `consecutiveFailures ${where}`).to.equal(expected.consecutiveFailures);
  expect(actual.nextProbeAt, `nextProbeAt ${where}`).to.equal(expected.nextProbeAt);
  expect(actual.lastFailureAt, `lastFailureAt ${where}`).to.equal(expected.lastFailureAt ?? baseline.lastFailureAt);
  for (const counter of COUNTERS) {
    expect(actual[counter] - baseline[counter], `${counter} ${where}`).to.equal(expected[counter]);
  }
  expect(invocations, `invocations ${where}`).to.equal(expected.calls);
  expect(actual.resetTimeout, `resetTimeout (the wait, backed off) ${where}`).to.equal(expected.resetTimeout);
  expect(actual.window, `window ${where}`).to.deep.equal(expected.window);
  expect(actual.failureRate, `failureRate ${where}`).to.equal(expected.failureRate);
  expect(actual.slowCallRate, `slowCallRate ${where}`).to.equal(expected.slowCallRate);
}

function compareHeard(heard: Heard, model: BreakerModel, step: Step): void {
  const where = `after ${JSON.stringify(step)}`;
  expect(heard.changes, `state changes ${where}`).to.deep.equal(model.changes);
  expect(heard.openings, `open events (the reason of each trip) ${where}`).to.deep.equal(model.openings);
}

function checkCaller(call: Call, breakerName: string): void {
  if (call.checked === true) return;
  checkAnswer(call, breakerName);
  call.checked = call.actual !== undefined;
}

function checkAnswer(call: Call, breakerName: string): void {
  const { expected, actual } = call;
  switch (expected.kind) {
    case 'pending':
      expect(actual, 'a hanging call is still pending').to.equal(undefined);
      return;
    case 'refused': {
      expect(actual, 'a refusal answers at once').to.not.equal(undefined);
      expect(actual!.fulfilled).to.equal(false);
      const error = actual!.value as CircuitBreakerOpenException;
      expect(error).to.be.instanceOf(CircuitBreakerOpenException);
      expect(error.breaker).to.equal(breakerName);
      expect(error.retryAfter).to.equal(expected.retryAfter);
      return;
    }
    case 'value':
      expect(actual, 'the result').to.deep.equal({ fulfilled: true, value: expected.value });
      expect(actual!.value).to.equal(expected.value);
      return;
    case 'error':
      expect(actual, 'the failure').to.not.equal(undefined);
      expect(actual!.fulfilled).to.equal(false);
      expect(actual!.value, 'the same error, unchanged').to.equal(expected.error);
      return;
    case 'non-promise': {
      expect(actual).to.not.equal(undefined);
      expect(actual!.fulfilled).to.equal(false);
      const error = actual!.value as TypeError;
      expect(error).to.be.instanceOf(TypeError);
      expect(error.message).to.contain(breakerName).and.to.contain('returned number 42');
      return;
    }
  }
}
