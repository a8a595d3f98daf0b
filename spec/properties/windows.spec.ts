import { expect } from 'chai';
import fc from 'fast-check';
import { CircuitBreaker } from '../../src';
import { fcParameters } from './harness';

/** One call of a run: ms after the one before, how long it takes, whether it fails. */
interface Outcome {
  readonly gap: number;
  readonly took: number;
  readonly fails: boolean;
}

/** The options of a run's breaker. */
interface RateOptions {
  readonly failureRate: { readonly threshold: number; readonly minimumCalls: number; readonly window: { readonly calls: number } | { readonly duration: number; readonly buckets: number } };
  readonly slowCall?: { readonly duration: number; readonly threshold: number };
}

/** What the window should hold, from every outcome so far: the naive way (a scan of all of them). */
type Held = (outcomes: readonly { settledAt: number; failed: boolean; slow: boolean }[], now: number) => { calls: number; failures: number; slow: number };

function counts(held: readonly { failed: boolean; slow: boolean }[]): { calls: number; failures: number; slow: number } {
  return { calls: held.length, failures: held.filter((o) => o.failed).length, slow: held.filter((o) => o.slow).length };
}

/**
 * A failure-rate window against a naive model of it, outcome by outcome: the count window's ring
 * (two bits an outcome, 15 to an element, so sizes past 15 cross elements and wrap) and the time
 * window's buckets (rolled over as outcomes arrive), with slow calls. After each outcome the stats'
 * `window` is what the model holds, and the circuit is OPEN exactly when the model's rates reach a
 * threshold with `minimumCalls` held (the run ends there). The reference model of
 * spec/properties/trip-rules.spec.ts checks the state table around the rules with windows of up to
 * 12 calls; this one checks the windows' own arithmetic at every size.
 */
describe('property: the failure-rate windows hold what a naive scan of every outcome holds', () => {
  /** @returns how many outcomes the window took before the run ended (all of them, or up to the trip). */
  async function run(options: RateOptions, held: Held, plan: readonly Outcome[], slowAfter: number): Promise<number> {
    let now = 1_000_000;
    const breaker = new CircuitBreaker({ ...options, resetTimeout: 60_000, clock: () => now });
    const settled: { settledAt: number; failed: boolean; slow: boolean }[] = [];
    const { threshold, minimumCalls } = options.failureRate;
    const slowThreshold = options.slowCall?.threshold ?? Infinity;
    for (const [i, call] of plan.entries()) {
      now += call.gap;
      let settle!: () => void;
      const outcome = breaker.call(() => new Promise<string>((resolve, reject) => (settle = () => (call.fails ? reject(new Error('down')) : resolve('up')))));
      now += call.took;
      settle();
      await outcome.catch(() => undefined);
      settled.push({ settledAt: now, failed: call.fails, slow: call.took >= slowAfter });
      const expected = held(settled, now);
      const trips = expected.calls >= minimumCalls && (expected.failures / expected.calls >= threshold || expected.slow / expected.calls >= slowThreshold);
      if (trips) {
        expect(breaker.state, `outcome ${i}: ${JSON.stringify(expected)} trips`).to.equal('OPEN');
        return i + 1;
      }
      expect(breaker.state, `outcome ${i}`).to.equal('CLOSED');
      expect(breaker.stats().window, `outcome ${i}`).to.deep.equal(expected);
      const trailing = settled.length - 1 - settled.map((o) => o.failed).lastIndexOf(false);
      expect(breaker.stats().consecutiveFailures, `outcome ${i}: failures in a row`).to.equal(trailing);
    }
    return plan.length;
  }

  const rate = fc.record({
    threshold: fc.oneof(fc.constantFrom(0.5, 0.75, 0.9, 1), fc.double({ min: 0.3, max: 1, noNaN: true })),
    slowThreshold: fc.oneof(fc.constantFrom(0.5, 0.9, 1), fc.double({ min: 0.3, max: 1, noNaN: true })),
    withSlowCalls: fc.boolean(),
  });
  const outcomes = (maxGap: number, length: number) =>
    fc.array(
      fc.record({
        gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: maxGap })),
        // Mostly quick successes, so that windows fill and roll over before a rate trips them.
        took: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 200 }) }),
        fails: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.boolean() }),
      }),
      { minLength: 1, maxLength: length, size: 'max' },
    );

  it('a count window of 1 to 100 calls: the last `calls` outcomes', async () => {
    let wrapped = 0; // runs whose window filled and was then replaced whole, past the ring's last element
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 100 }).chain((calls) =>
          fc.record({ calls: fc.constant(calls), minimumCalls: fc.integer({ min: 1, max: calls }), rate, plan: outcomes(10, calls * 3 + 5) }),
        ),
        async ({ calls, minimumCalls, rate: { threshold, slowThreshold, withSlowCalls }, plan }) => {
          const slowCall = withSlowCalls ? { slowCall: { duration: 100, threshold: slowThreshold } } : {};
          const taken = await run({ failureRate: { threshold, minimumCalls, window: { calls } }, ...slowCall }, (all) => counts(all.slice(-calls)), plan, withSlowCalls ? 100 : Infinity);
          if (calls > 15 && taken > calls * 2) wrapped++;
        },
      ),
      { ...fcParameters, numRuns: Math.min(fcParameters.numRuns ?? 100, 100) },
    );
    // At the default 200 runs (100 here) or more; the mutation runs use fewer.
    if ((fcParameters.numRuns ?? 100) >= 100) expect(wrapped, 'runs that wrapped a ring of more than one element').to.be.greaterThan(5);
  });

  it('count windows of 14, 15, 16, 30, 31 and 100 calls: rings of one to seven elements, filled with successes, then wrapped', async () => {
    for (const calls of [14, 15, 16, 30, 31, 100]) {
      // Never trips (both thresholds 1, some outcomes neither failed nor slow): every outcome is compared.
      const plan = Array.from({ length: calls * 4 + 7 }, (_, i) => ({ gap: 1, took: i > calls && i % 5 === 0 ? 150 : 0, fails: i > calls * 2 && i % 7 < 2 }));
      const options = { failureRate: { threshold: 1, minimumCalls: calls, window: { calls } }, slowCall: { duration: 100, threshold: 1 } };
      expect(await run(options, (all) => counts(all.slice(-calls)), plan, 100), `${calls} calls: every outcome compared`).to.equal(plan.length);
    }
  });

  it('a time window of 1 to 12 buckets: the outcomes settled in the buckets of the last `duration` ms', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ duration: fc.integer({ min: 1, max: 5_000 }), buckets: fc.integer({ min: 1, max: 12 }), minimumCalls: fc.integer({ min: 1, max: 30 }), rate }).chain((window) =>
          fc.record({ window: fc.constant(window), plan: outcomes(Math.ceil(window.duration / 2), 120) }),
        ),
        async ({ window: { duration, buckets, minimumCalls, rate: { threshold, slowThreshold, withSlowCalls } }, plan }) => {
          const width = duration / buckets;
          const slowCall = withSlowCalls ? { slowCall: { duration: 100, threshold: slowThreshold } } : {};
          await run(
            { failureRate: { threshold, minimumCalls, window: { duration, buckets } }, ...slowCall },
            // Bucket b holds [b * width, (b + 1) * width); at `now` the window is the newest `buckets` of them.
            (all, now) => counts(all.filter((o) => Math.floor(o.settledAt / width) > Math.floor(now / width) - buckets)),
            plan,
            withSlowCalls ? 100 : Infinity,
          );
        },
      ),
      { ...fcParameters, numRuns: Math.min(fcParameters.numRuns ?? 100, 100) },
    );
  });
});
