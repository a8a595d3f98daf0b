// @ts-check
/**
 * The standard-decorator half of `npm run mutation`: src/decorator/standard.ts runs only when the specs are
 * compiled without experimentalDecorators (TS_NODE_PROJECT=tsconfig.standard.json, set by the script).
 * Everything else is as in stryker.config.mjs (the ignorer plugin too: scripts/stryker-ignorer.mjs).
 */
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  mutate: ['src/decorator/standard.ts'],
  // The same ignorer plugin; `standard-mode-only` is not used here: this run is where that code runs.
  ignorers: ['equivalent'],
  htmlReporter: { fileName: 'reports/mutation-standard/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-standard/mutation.json' },
  tempDirName: '.stryker-tmp/standard',
  // Its own incremental file: sharing the legacy run's, each run would reuse (and report) the other's mutants.
  incrementalFile: 'reports/stryker-incremental-standard.json',
};
