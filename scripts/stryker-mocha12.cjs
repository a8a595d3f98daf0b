// Preloaded (NODE_OPTIONS=--require) by `npm run mutation` only.
// @stryker-mutator/mocha-runner 10.0.0 requires mocha's CLI helpers without an extension
// (`mocha/lib/cli/run-helpers`, `.../options`, `.../collect-files`), and mocha 12 ships them as `.cjs` files.
// Letting require() try `.cjs` like `.js` makes those lookups find them; nothing else changes.
// eslint-disable-next-line n/no-deprecated-api
if (!('.cjs' in require.extensions)) require.extensions['.cjs'] = require.extensions['.js'];
