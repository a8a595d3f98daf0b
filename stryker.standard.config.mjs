// @ts-check
/**
 * The standard-decorator half of `npm run mutation`: src/decorator/standard.ts, and the standard-only code of
 * guard.ts and registry.ts, run only when the specs are compiled without experimentalDecorators
 * (TS_NODE_PROJECT=tsconfig.standard.json, set by the script).
 * Everything else is as in stryker.config.mjs (the ignorer plugin too: scripts/stryker-ignorer.mjs).
 */
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  // standard.ts, and in guard.ts and registry.ts only the code that only standard decorators run (the legacy
  // run ignores it as `standard-mode-only`; here `legacy-run-code` ignores the rest of those two files).
  mutate: ['src/decorator/standard.ts', 'src/decorator/guard.ts', 'src/decorator/keyed-guard.ts', 'src/decorator/scope-parts.ts', 'src/decorator/registry.ts'],
  ignorers: process.env.STRYKER_IGNORERS === 'none' ? [] : ['equivalent', 'legacy-run-code'],
  htmlReporter: { fileName: 'reports/mutation-standard/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-standard/mutation.json' },
  tempDirName: '.stryker-tmp/standard',
  // Its own incremental file: sharing the legacy run's, each run would reuse (and report) the other's mutants.
  incrementalFile: 'reports/stryker-incremental-standard.json',
};
