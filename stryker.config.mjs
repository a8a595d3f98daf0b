// @ts-check
/**
 * Mutation testing: `npm run mutation` (Stryker 10, which needs Node >= 22: the script runs it on node@22
 * from the npm registry, so it works on this project's Node 20 machines too). Not part of `npm test`.
 *
 * Mutated: the core (breaker, common, decorator, errors, events, store). Not mutated, each covered by its own suite:
 * - src/redis: RedisCircuitStore, driven by spec/fleet and spec/integration against a real redis-server
 *   (seconds per run, too slow to rerun per mutant);
 * - src/prometheus: read from stats() at scrape time, checked by spec/prometheus against prom-client;
 * - src/nestjs: a NestJS module, checked by spec/nestjs in a NestJS app;
 * - src/index.ts only re-exports.
 * - src/decorator/standard.ts: the TC39 decorator, reached only in standard mode: stryker.standard.config.mjs
 *   mutates it with the same specs compiled by tsconfig.standard.json (the second half of `npm run mutation`).
 * Tests: the fast unit specs in legacy decorator mode (.mocharc.mutation.json), model tests with FC_RUNS runs.
 * Their mocha timeout is 3 s (every one of them takes well under 0.2 s; spec/events/debug.spec.ts, which spawns a
 * child, covers no mutant): a mutant that makes a spec hang fails that spec in 3 s instead of costing a 10 s Stryker
 * timeout and a restarted test runner.
 * Incremental: `npm run mutation -- --incremental` re-tests only mutants whose code or covering specs changed
 * since reports/stryker-incremental.json.
 *
 * Static mutants (in code that runs while modules load and spec classes are decorated: option validation,
 * breaker construction, decorator application) are ignored: Stryker cannot tell which test covers them, so
 * each one re-runs every spec, 98% of the run time for 28% of the mutants. Their code is covered by
 * spec/breaker/options.spec.ts and spec/decorator/ (c8: options.ts 100% lines and branches); a full run,
 * about 40 minutes on two cores: `npm run mutation -- --ignoreStatic false`.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'mocha',
  // scripts/stryker-ignorer.mjs: why each ignored mutant is equivalent, by the exact shape of code it matches
  // (`equivalent` in both runs; `standard-mode-only`: code only standard decorators run, ignored in this run).
  plugins: ['@stryker-mutator/mocha-runner', './scripts/stryker-ignorer.mjs'],
  // STRYKER_IGNORERS=none tests the ignored mutants too (to check what a rule hides).
  ignorers: process.env.STRYKER_IGNORERS === 'none' ? [] : ['equivalent', 'standard-mode-only'],
  mochaOptions: { config: '.mocharc.mutation.json' },
  mutate: [
    'src/breaker/**/*.ts',
    'src/common/**/*.ts',
    'src/decorator/**/*.ts',
    '!src/decorator/standard.ts',
    'src/errors/**/*.ts',
    'src/events/**/*.ts',
    'src/store/**/*.ts',
  ],
  checkers: [],
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  concurrency: 2,
  timeoutMS: 5000,
  // .stryker-tmp: the other config's sandboxes (each run ignores only its own tempDirName).
  ignorePatterns: ['dist', 'bench/.out', 'reports', 'coverage', '.nyc_output', '*.tgz', '.stryker-tmp'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 95, low: 90, break: 90 },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
