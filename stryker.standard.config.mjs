// @ts-check
/**
 * The standard-decorator half of `npm run mutation`: src/decorator/standard.ts runs only when the specs are
 * compiled without experimentalDecorators (TS_NODE_PROJECT=tsconfig.standard.json, set by the script).
 * Everything else is as in stryker.config.mjs.
 */
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  mutate: ['src/decorator/standard.ts'],
  htmlReporter: { fileName: 'reports/mutation-standard/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation-standard/mutation.json' },
  tempDirName: '.stryker-tmp/standard',
};
