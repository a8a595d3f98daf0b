// The published package, as a consumer gets it: build, `npm pack`, install the
// tarball into a temporary app, then require/import it and type-check against
// the published .d.ts with TypeScript 5.9 (this repo's), 6 and 7.
// Run by `npm run test:package` (spec/package/.mocharc.json); spec/package/support.ts
// packs once for this file and node-releases.spec.ts.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packedApp, root, run, subpaths, typescript, type Run } from './support';

const tsc5 = require.resolve('typescript/bin/tsc', { paths: [root] });

/**
 * The consumer: a decorated method and the breaker class, written once for both
 * decorator modes. `main()` throws unless the circuit opens and refuses.
 */
const consumer = `
import {
  CircuitBreaker,
  CircuitBreakerOpenException,
  getCircuitBreaker,
  isCircuitBreakerOpenException,
  listCircuitBreakers,
  type CircuitBreakerOptions,
  type CircuitState,
} from 'circuit-breaker-decorator';
import { createCircuitBreakerMetrics } from 'circuit-breaker-decorator/prometheus';

export class UserCache {
  calls = 0;

  @CircuitBreaker({ failureThreshold: 2, resetTimeout: 60_000 })
  async get(id: string): Promise<string> {
    this.calls++;
    throw new Error('redis down: ' + id);
  }

  @CircuitBreaker(5, 30_000)
  async set(id: string, value: number): Promise<void> {
    void id;
    void value;
  }
}

const options: CircuitBreakerOptions = { failureThreshold: 3, resetTimeout: 60_000 };
const breaker = new CircuitBreaker(options);
const positional = new CircuitBreaker(5, 30_000);
const fetchLength = async (text: string): Promise<number> => text.length;
export const length: Promise<number> = breaker.call(fetchLength, 'x');
export const state: CircuitState = positional.state;
export const metrics: typeof createCircuitBreakerMetrics = createCircuitBreakerMetrics;
// @ts-expect-error execute is @internal: stripped from the published types
breaker.execute;
// @ts-expect-error the arguments of the wrapped function are kept
breaker.call(fetchLength, 1);

async function refusal(cache: UserCache): Promise<unknown> {
  try {
    await cache.get('a');
  } catch (error) {
    return error;
  }
  throw new Error('the call succeeded');
}

export async function main(): Promise<void> {
  const cache = new UserCache();
  for (let i = 0; i < 2; i++) {
    const error = await refusal(cache);
    if (!(error instanceof Error) || !error.message.startsWith('redis down')) throw error;
  }
  const guard = getCircuitBreaker(cache, 'get');
  if (guard.state !== 'OPEN') throw new Error('expected OPEN after 2 failures, got ' + guard.state);
  const refused = await refusal(cache);
  if (!(refused instanceof CircuitBreakerOpenException) || !isCircuitBreakerOpenException(refused)) throw refused;
  if (cache.calls !== 2) throw new Error('the method was invoked while OPEN: ' + cache.calls + ' calls');
  if (!listCircuitBreakers().includes(guard)) throw new Error('listCircuitBreakers() misses UserCache#get');
}
`;

/**
 * ESM and CommonJS in one process: one copy of the package, so a breaker made
 * through `import` is the one `require` sees, and the registry is shared.
 */
const sameCopy = `
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as esm from 'circuit-breaker-decorator';

const require = createRequire(import.meta.url);
const cjs = require('circuit-breaker-decorator');

// Every entry point: the same names, the same objects.
const names = (module) => Object.keys(module).filter((name) => name !== '__esModule' && name !== 'default').sort();
const { exports } = require('circuit-breaker-decorator/package.json');
for (const subpath of Object.keys(exports).filter((key) => key !== './package.json')) {
  const specifier = 'circuit-breaker-decorator' + subpath.slice(1);
  const imported = await import(specifier);
  const required = require(specifier);
  assert.ok(names(required).length > 0, specifier + ' exports something');
  assert.deepEqual(names(imported), names(required), specifier + ': import and require see the same names');
  for (const name of names(required)) assert.equal(imported[name], required[name], specifier + ': ' + name + ' is one copy');
}

// A method decorated through require() (the compiled consumer) is in import's registry.
const { UserCache, main } = require('./out/legacy/consumer.js');
await main();
const guard = esm.getCircuitBreaker(UserCache.prototype, 'get');
assert.ok(esm.listCircuitBreakers().includes(guard));
assert.ok(guard instanceof esm.CircuitBreaker && new esm.CircuitBreaker() instanceof cjs.CircuitBreaker);
assert.equal(guard.state, 'OPEN');
console.log('one copy');
`;

interface Check {
  readonly name: string;
  readonly files: readonly string[];
  readonly compilerOptions: Record<string, unknown>;
}

const legacy = { experimentalDecorators: true, emitDecoratorMetadata: true };
const standard = { experimentalDecorators: false };
/** An integration's library may need @types/node (ioredis does); this repo's serves. */
const nodeTypes = { types: ['node'], typeRoots: [join(root, 'node_modules', '@types')] };
const cjsFiles = ['consumer.ts', 'subpaths.ts'];
/**
 * NestJS 12 is ESM-only: a CommonJS consumer reaches it only through Node's
 * require(esm) (Node >= 20.19), which TypeScript models as `module: node20`.
 * The node16 checks leave out the subpaths whose libraries are ESM-only.
 */
const ESM_ONLY_SUBPATHS: readonly string[] = ['nestjs'];
const node16Files = ['consumer.ts', 'subpaths-node16.ts'];
const esmFiles = ['consumer.mts', 'subpaths.mts'];
/** The core and /prometheus need no @types/node. */
const withoutNodeTypes: Check = { name: 'standard-node16-without-node-types', files: ['consumer.ts'], compilerOptions: { ...standard, module: 'node16', noEmit: true } };

/** What TypeScript 5.9 checks (and, for the CommonJS ones, compiles to run); bundler resolution picks the ESM types as nodenext ESM does. */
const ts5Checks: readonly Check[] = [
  { name: 'legacy-node10', files: cjsFiles, compilerOptions: { ...legacy, ...nodeTypes, module: 'commonjs', moduleResolution: 'node10', outDir: 'out/legacy' } },
  { name: 'standard-node16', files: node16Files, compilerOptions: { ...standard, ...nodeTypes, module: 'node16', noEmit: true } },
  { name: 'standard-node20', files: cjsFiles, compilerOptions: { ...standard, ...nodeTypes, module: 'node20', outDir: 'out/standard' } },
  { name: 'legacy-nodenext-esm', files: esmFiles, compilerOptions: { ...legacy, ...nodeTypes, module: 'nodenext', noEmit: true } },
  { name: 'standard-nodenext-esm', files: esmFiles, compilerOptions: { ...standard, ...nodeTypes, module: 'nodenext', noEmit: true } },
  { name: 'standard-bundler', files: cjsFiles, compilerOptions: { ...standard, ...nodeTypes, module: 'preserve', moduleResolution: 'bundler', noEmit: true } },
  withoutNodeTypes,
];

/** TypeScript 5.9 compiles its CommonJS checks; TypeScript 6 and 7 check legacy decorators on nodenext CommonJS too. */
const legacyNodenextCjs: Check = { name: 'legacy-nodenext-cjs', files: cjsFiles, compilerOptions: { ...legacy, ...nodeTypes, module: 'nodenext' } };

/** TypeScript 7 has no node10 resolution; everything else as with 5.9, type-check only. */
const ts7Checks: readonly Check[] = ts5Checks
  .filter((check) => check.compilerOptions['moduleResolution'] !== 'node10')
  .concat([legacyNodenextCjs])
  .map((check) => ({ ...check, name: `ts7-${check.name}`, compilerOptions: { ...check.compilerOptions, noEmit: true, outDir: undefined } }));

/**
 * TypeScript 6, the bridge from 5.x to 7: legacy decorators on CommonJS and standard
 * decorators on ESM, every subpath; the core without @types/node. Type-check only; fewer
 * checks than 5.9 and 7 since each costs seconds of CPU (node10 is deprecated in 6).
 */
const ts6Checks: readonly Check[] = [
  legacyNodenextCjs,
  ts5Checks.find((check) => check.name === 'standard-nodenext-esm')!,
  withoutNodeTypes,
].map((check) => ({ ...check, name: `ts6-${check.name}`, compilerOptions: { ...check.compilerOptions, noEmit: true, outDir: undefined } }));

/**
 * Writes tsconfig.<name>.json: strict, no @types/node, and the published .d.ts
 * checked too (skipLibCheck off; only TypeScript's own lib files are skipped, for speed).
 */
function writeConfig(app: string, check: Check): string {
  const file = `tsconfig.${check.name}.json`;
  const compilerOptions = { target: 'ES2022', strict: true, skipLibCheck: false, skipDefaultLibCheck: true, types: [], ...check.compilerOptions };
  writeFileSync(join(app, file), JSON.stringify({ compilerOptions, files: check.files }, null, 2));
  return file;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

describe('the published package', function () {
  this.timeout(120_000);

  let app: string;
  let tarball: string;
  let packed: readonly string[];
  /** TypeScript 5.9 on the consumer, every check in ts5Checks (the CommonJS ones also emit out/legacy, out/standard). */
  let ts5Results: { check: Check; result: Run }[];

  before(async function () {
    ({ app, tarball, packed } = await packedApp());
    writeFileSync(join(app, 'consumer.ts'), consumer);
    writeFileSync(join(app, 'consumer.mts'), consumer);
    const everySubpath = subpaths()
      .map((entry) => `export * as ${entry.dir} from 'circuit-breaker-decorator/${entry.dir}';\n`)
      .join('');
    writeFileSync(join(app, 'subpaths.ts'), everySubpath || 'export {};\n');
    writeFileSync(join(app, 'subpaths.mts'), everySubpath || 'export {};\n');
    const node16Subpaths = subpaths()
      .filter((entry) => !ESM_ONLY_SUBPATHS.includes(entry.dir))
      .map((entry) => `export * as ${entry.dir} from 'circuit-breaker-decorator/${entry.dir}';\n`)
      .join('');
    writeFileSync(join(app, 'subpaths-node16.ts'), node16Subpaths || 'export {};\n');
    writeFileSync(join(app, 'same-copy.mjs'), sameCopy);
    ts5Results = await Promise.all(
      ts5Checks.map(async (check) => ({ check, result: await run(process.execPath, [tsc5, '-p', writeConfig(app, check), '--listFiles'], app) })),
    );
  });

  describe('tarball', function () {
    it('holds dist/, README.md, LICENSE and package.json, nothing else', function () {
      const outside = packed.filter((path) => !path.startsWith('dist/') && !['README.md', 'LICENSE', 'package.json'].includes(path));
      expect(outside).to.deep.equal([]);
      expect(packed).to.include.members(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.mjs', 'dist/index.d.ts', 'dist/index.d.mts']);
    });

    it('publishes no @internal member (stripInternal)', function () {
      const installed = join(app, 'node_modules', 'circuit-breaker-decorator');
      const breakerTypes = readFileSync(join(installed, 'dist', 'breaker', 'breaker.d.ts'), 'utf8');
      expect(breakerTypes).to.match(/\bcall<A extends unknown\[\], R>\(/);
      expect(breakerTypes).not.to.match(/\bexecute\(/);
      const nodeImports = listFiles(join(installed, 'dist'))
        .filter((path) => /\.d\.m?ts$/.test(path))
        .filter((path) => /from ['"](node:|util['"])/.test(readFileSync(path, 'utf8')))
        .map((path) => relative(installed, path));
      expect(nodeImports, 'types that need @types/node').to.deep.equal([]);
    });

    it('has package.json fields that follow scripts/package-entries.mjs', function () {
      const check = execFileSync(process.execPath, [join(root, 'scripts', 'sync-exports.mjs'), '--check'], { encoding: 'utf8', stdio: 'pipe' });
      expect(check).to.equal('');
    });

    it("declares each subpath's library an optional peer dependency", function () {
      const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
        peerDependencies?: Record<string, string>;
        peerDependenciesMeta?: Record<string, { optional?: boolean }>;
        dependencies?: Record<string, string>;
      };
      for (const library of subpaths().flatMap((entry) => entry.libraries)) {
        expect(pkg.peerDependencies, 'peerDependencies').to.have.property(library);
        expect(pkg.peerDependenciesMeta?.[library]?.optional, `peerDependenciesMeta.${library}.optional`).to.equal(true);
        expect(pkg.dependencies ?? {}, 'dependencies').not.to.have.property(library);
      }
    });

    it('passes publint and @arethetypeswrong/cli with no problems', async function () {
      const result = await run(process.execPath, [join(root, 'scripts', 'lint-package.mjs'), tarball], root);
      expect(result.code, result.output).to.equal(0);
      expect(result.output).to.include('No problems found');
    });
  });

  describe('runtime', function () {
    for (const mode of ['legacy', 'standard']) {
      it(`require(): a ${mode} decorated method opens after failures and refuses without invoking`, async function () {
        const result = await run(process.execPath, ['-e', `require('./out/${mode}/consumer.js').main().then(() => console.log('ok'))`], app);
        expect(result.code, result.output).to.equal(0);
        expect(result.output.trim()).to.equal('ok');
      });
    }

    it('import and require in one process share one copy (no dual package)', async function () {
      const result = await run(process.execPath, ['same-copy.mjs'], app);
      expect(result.code, result.output).to.equal(0);
      expect(result.output.trim()).to.equal('one copy');
    });
  });

  describe('types', function () {
    it('type-check with TypeScript 5.9: legacy and standard decorators; node10, node16 CJS, nodenext ESM; bundler (standard)', async function () {
      const version = (await run(process.execPath, [tsc5, '--version'], app)).output.trim();
      expect(version).to.match(/^Version 5\.9\./);
      for (const { check, result } of ts5Results) {
        expect(result.code, `${check.name}:\n${result.output}`).to.equal(0);
        // `import` resolves to the .d.mts (ESM, bundler), `require` (node10, node16 CJS) to the .d.ts alone.
        const viaImport = check.files[0]!.endsWith('.mts') || check.compilerOptions['moduleResolution'] === 'bundler';
        expect(result.output, check.name).to.include(viaImport ? 'dist/index.d.mts' : 'dist/index.d.ts');
        if (!viaImport) expect(result.output, check.name).not.to.include('dist/index.d.mts');
      }
    });

    it('type-check with TypeScript 7: legacy and standard decorators; nodenext CJS and ESM; bundler (standard)', async function () {
      const tsc7 = await typescript(7);
      const version = (await run(process.execPath, [tsc7, '--version'], app)).output.trim();
      expect(version).to.match(/^Version 7\./);
      const results = await Promise.all(
        ts7Checks.map(async (check) => ({ check, result: await run(process.execPath, [tsc7, '-p', writeConfig(app, check)], app) })),
      );
      for (const { check, result } of results) expect(result.code, `${check.name}:\n${result.output}`).to.equal(0);
    });

    it('type-check with TypeScript 6: legacy decorators on nodenext CJS, standard on nodenext ESM; node16 without @types/node', async function () {
      const tsc6 = await typescript(6);
      const version = (await run(process.execPath, [tsc6, '--version'], app)).output.trim();
      expect(version).to.match(/^Version 6\./);
      const results = await Promise.all(
        ts6Checks.map(async (check) => ({ check, result: await run(process.execPath, [tsc6, '-p', writeConfig(app, check)], app) })),
      );
      for (const { check, result } of results) expect(result.code, `${check.name}:\n${result.output}`).to.equal(0);
    });
  });
});
