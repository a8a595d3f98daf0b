// What the package publishes: the root entry and one subpath per integration folder.
// Used by scripts/build.mjs, scripts/sync-exports.mjs and spec/package/pack.spec.ts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Integration folders published as subpath exports, each with the libraries it
 * imports: src/<name>/index.ts becomes `circuit-breaker-decorator/<name>`. A folder
 * listed here is built and exported once its index.ts exists; until then it is
 * skipped, and a folder not listed is neither built nor published. Its libraries
 * must be optional peer dependencies (peerDependencies and
 * peerDependenciesMeta.<library>.optional), which spec/package checks.
 */
export const integrations = {
  prometheus: ['prom-client'],
  redis: ['ioredis', 'redis'],
  nestjs: ['@nestjs/common', '@nestjs/core'],
  opentelemetry: ['@opentelemetry/api'],
};

/**
 * The command-line tool (`npx circuit-breaker-decorator`): package.json's `bin`,
 * compiled by scripts/build.mjs from `source` to `bin` (CommonJS, its `#!` line kept, mode 755).
 */
export const cli = { name: 'circuit-breaker-decorator', source: 'src/cli/main.ts', bin: 'dist/cli/main.js' };

/**
 * The entries that exist in `root`: `{ subpath: '.', dir: '' }` and one
 * `{ subpath: './<name>', dir: '<name>', libraries }` per integration with a src/<name>/index.ts.
 */
export function entries(root) {
  const found = [{ subpath: '.', dir: '' }];
  for (const [name, libraries] of Object.entries(integrations)) {
    if (existsSync(join(root, 'src', name, 'index.ts'))) found.push({ subpath: `./${name}`, dir: name, libraries });
  }
  return found;
}

/** `dist/<dir>/index` (no extension), as a package-relative path. */
export function distBase(entry) {
  return entry.dir === '' ? './dist/index' : `./dist/${entry.dir}/index`;
}

/**
 * The `exports` map: `import` gets a thin ESM wrapper (.mjs/.d.mts) over the
 * CommonJS build, `require` the CommonJS build itself, so both share one copy
 * of the module state. `types` comes first in each condition.
 */
export function exportsMap(list) {
  const map = {};
  for (const entry of list) {
    const base = distBase(entry);
    map[entry.subpath] = {
      import: { types: `${base}.d.mts`, default: `${base}.mjs` },
      require: { types: `${base}.d.ts`, default: `${base}.js` },
    };
  }
  map['./package.json'] = './package.json';
  return map;
}

/**
 * `typesVersions` for TypeScript's node10 resolution, which ignores `exports`:
 * it maps each subpath to its .d.ts. Undefined when there is no subpath.
 */
export function typesVersions(list) {
  const subpaths = list.filter((entry) => entry.dir !== '');
  if (subpaths.length === 0) return undefined;
  const paths = {};
  for (const entry of subpaths) paths[entry.dir] = [`${distBase(entry)}.d.ts`];
  return { '*': paths };
}

/** The package.json fields that follow from the entries. */
export function packageFields(list) {
  return {
    main: './dist/index.js',
    types: './dist/index.d.ts',
    exports: exportsMap(list),
    typesVersions: typesVersions(list),
    bin: { [cli.name]: cli.bin },
    files: ['dist', 'README.md', 'LICENSE'],
  };
}
