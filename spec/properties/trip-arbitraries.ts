import fc from 'fast-check';
import { stepArbitrary, type Behaviour, type Settlement, type Step } from './harness';
import type { ModelOptions } from './model';

/**
 * Option sets of the trip rules (issue 15), as a user writes them: optional
 * fields are sometimes left out, so the documented defaults (minimumCalls
 * 10 or a count window's calls, 10 buckets, 1 probe, no backoff) are part of
 * what the model checks. Sizes stay small beside the step lists (up to 80
 * steps), so that windows fill, roll over and trip within a run.
 */

/** A threshold in (0, 1]: round fractions (exact rates hit them: 1/3 of 3 calls) and any double. */
export const fraction: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0.1, 0.25, 1 / 3, 0.5, 0.6, 2 / 3, 0.75, 1),
  fc.double({ min: 0, max: 1, minExcluded: true, noNaN: true }),
);

/** What every rule shares: the wait, its backoff (half the time), and the probes (given most of the time). */
const common: fc.Arbitrary<ModelOptions> = fc
  .oneof(fc.constantFrom(0, 10, 500, 1_000), fc.nat(2_000))
  .chain((resetTimeout) =>
    fc.record({
      resetTimeout: fc.constant(resetTimeout),
      halfOpen: fc.oneof(
        { weight: 1, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constant({}) },
        { weight: 6, arbitrary: fc.record({ probes: fc.integer({ min: 1, max: 4 }) }) },
      ),
      backoff: fc.option(
        fc.record(
          { maxResetTimeout: fc.constantFrom(1, 2, 5).map((k) => resetTimeout * k), backoffMultiplier: fc.constantFrom(1, 1.5, 2, 3) },
          { requiredKeys: ['maxResetTimeout'] },
        ),
        { freq: 2, nil: undefined },
      ),
    }),
  )
  .map(({ resetTimeout, halfOpen, backoff }) => ({ resetTimeout, ...(halfOpen && { halfOpen }), ...backoff }));

export const consecutiveRule: fc.Arbitrary<ModelOptions> = fc.record({ failureThreshold: fc.integer({ min: 1, max: 4 }) }, { requiredKeys: [] });

const slowCall = fc.record({
  duration: fc.oneof(fc.constantFrom(1, 10, 500, 1_000, 1_001), fc.integer({ min: 1, max: 3_000 })),
  threshold: fraction,
});

/** A failure rate over the last `calls` outcomes (1..12), minimumCalls 1..calls or the default; slow calls or not. */
export const countWindowRule: fc.Arbitrary<ModelOptions> = fc.integer({ min: 1, max: 12 }).chain((calls) =>
  fc.record(
    {
      failureRate: fc.record(
        { threshold: fraction, minimumCalls: fc.integer({ min: 1, max: calls }), window: fc.constant({ calls }) },
        { requiredKeys: ['threshold', 'window'] },
      ),
      slowCall,
    },
    { requiredKeys: ['failureRate'] },
  ),
);

/**
 * A failure rate over the last `duration` ms in 1..10 buckets (or the default 10): durations of the order of
 * the steps' ticks (0..3 s), whole or not, and widths that do not divide them evenly (1000 / 3).
 */
export const timeWindowRule: fc.Arbitrary<ModelOptions> = fc.record(
  {
    failureRate: fc.record(
      {
        threshold: fraction,
        minimumCalls: fc.integer({ min: 1, max: 12 }),
        window: fc.record(
          {
            duration: fc.oneof(fc.constantFrom(10, 100, 1_000, 3_000, 10_000), fc.integer({ min: 1, max: 6_000 })),
            buckets: fc.integer({ min: 1, max: 10 }),
          },
          { requiredKeys: ['duration'] },
        ),
      },
      { requiredKeys: ['threshold', 'window'] },
    ),
    slowCall,
  },
  { requiredKeys: ['failureRate'] },
);

/** A whole option set: `rule` and what every rule shares. */
export function tripOptions(rule: fc.Arbitrary<ModelOptions>): fc.Arbitrary<ModelOptions> {
  return fc.tuple(rule, common).map(([own, shared]) => ({ ...own, ...shared }));
}

/** Any of the three rules. */
export const anyRule: fc.Arbitrary<ModelOptions> = fc.oneof(consecutiveRule, countWindowRule, timeWindowRule);

/**
 * How a dependency behaves for a stretch of a run: the calls' behaviours (for single calls, and for bursts, whose
 * calls return native promises or throw), how hanging calls end, and how much the clock moves.
 */
interface Profile {
  readonly behaviours: readonly Behaviour[];
  readonly burst: readonly Behaviour[];
  readonly settlements: readonly Settlement[];
}

const PROFILES: Readonly<Record<'flaky' | 'failing' | 'healthy' | 'slow', Profile>> = {
  /** Every behaviour (the model checks' own mix). */
  flaky: {
    behaviours: ['resolve', 'resolve', 'reject', 'reject-null', 'reject-undefined', 'ignored', 'throw', 'throw-value', 'thenable-resolve', 'thenable-reject', 'non-promise', 'hang', 'hang', 'hang'],
    burst: ['resolve', 'reject', 'throw', 'ignored', 'hang', 'hang'],
    settlements: ['resolve', 'reject', 'reject', 'ignored', 'reject-null'],
  },
  /** Mostly failures: trips, and probes that fail. */
  failing: {
    behaviours: ['reject', 'reject', 'reject', 'throw', 'thenable-reject', 'resolve', 'ignored', 'hang'],
    burst: ['reject', 'reject', 'throw', 'resolve', 'hang'],
    settlements: ['reject', 'reject', 'resolve', 'ignored'],
  },
  /** Mostly successes: N probes that close the circuit, windows that fill with successes. */
  healthy: {
    behaviours: ['resolve', 'resolve', 'resolve', 'thenable-resolve', 'hang', 'hang', 'reject', 'ignored'],
    burst: ['resolve', 'resolve', 'resolve', 'hang', 'reject'],
    settlements: ['resolve', 'resolve', 'resolve', 'ignored', 'reject'],
  },
  /** Calls that hang while the clock moves, then mostly succeed: slow calls. */
  slow: {
    behaviours: ['hang', 'hang', 'hang', 'hang', 'resolve', 'reject'],
    burst: ['hang', 'hang', 'hang', 'resolve'],
    settlements: ['resolve', 'resolve', 'resolve', 'reject', 'ignored'],
  },
};

function profileSteps(profile: Profile): fc.Arbitrary<Step> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constant('call' as const), behaviour: fc.constantFrom(...profile.behaviours) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('burst' as const), behaviours: fc.array(fc.constantFrom(...profile.burst), { minLength: 2, maxLength: 8 }) }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('settle' as const), index: fc.nat(), how: fc.constantFrom(...profile.settlements) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('settleAll' as const), how: fc.constantFrom(...profile.settlements) }) },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('tick' as const),
        ms: fc.oneof(fc.constantFrom(0, 1, 9, 10, 11, 499, 500, 501, 999, 1_000, 1_001), fc.nat(3_000)),
      }),
    },
  );
}

const stretch = (profile: Profile): fc.Arbitrary<Step[]> => fc.array(profileSteps(profile), { minLength: 1, maxLength: 12 });

/**
 * A run of the trip-rule checks: one to eight stretches of up to 12 steps, each of one profile (a dependency failing, then
 * healthy again, is a trip and a recovery by N probes), or of the model checks' own steps with manual
 * control; at most 80 steps.
 */
export const tripSteps: fc.Arbitrary<Step[]> = fc
  .array(
    fc.oneof(
      { weight: 2, arbitrary: stretch(PROFILES.flaky) },
      { weight: 2, arbitrary: stretch(PROFILES.failing) },
      { weight: 3, arbitrary: stretch(PROFILES.healthy) },
      { weight: 2, arbitrary: stretch(PROFILES.slow) },
      { weight: 1, arbitrary: fc.array(stepArbitrary(true), { minLength: 1, maxLength: 12 }) },
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((stretches) => stretches.flat().slice(0, 80));
