// The packed package under each Node release services run (20, end of life since April 2026 and
// kept while it passes; 22; 24, in maintenance; 26, the active LTS since October 2026): the tarball
// installed into a temporary app (spec/package/support.ts, shared with pack.spec.ts),
// then a small suite of plain .cjs and .mjs files, no TypeScript at run time:
// require() or import every entry point, and drive a breaker through its states under
// sinon's fake clock, both a plain `new CircuitBreaker()` and a decorated method compiled
// beforehand with this repo's TypeScript 5.9 in each decorator mode.
//
// A release other than the running Node's comes from the npm registry's `node` package,
// installed once into node_modules/.cache/node-releases/<major> and reused (`npm run bench` uses the
// same cache: bench/node-releases.js). The installs run in parallel, beside packing and compiling.
// When one cannot be installed, the release is skipped with one line, or, under CI=true, the run fails.
import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cached, packedApp, root, run, type Run } from './support';

const RELEASES = [20, 22, 24, 26] as const;
type Release = (typeof RELEASES)[number];
/** Releases past their end of life: still checked while they pass, and titled so. */
const END_OF_LIFE: Partial<Record<Release, string>> = { 20: 'April 2026' };
const MODES = ['legacy', 'standard'] as const;
const tsc5 = require.resolve('typescript/bin/tsc', { paths: [root] });

/** A service with a decorated method, compiled in each decorator mode, to CommonJS (.ts) and ESM (.mts). */
const inventory = `
import { CircuitBreaker } from 'circuit-breaker-decorator';

export class Inventory {
  up = false;
  calls = 0;

  @CircuitBreaker({ failureThreshold: 2, resetTimeout: 30_000 })
  async stock(sku: string): Promise<number> {
    this.calls++;
    if (!this.up) throw new Error('inventory down: ' + sku);
    return sku.length;
  }
}
`;

/** The state machine under sinon's fake clock, as a user's test drives it; shared by suite.cjs and suite.mjs. */
const scenario = `'use strict';
const assert = require('node:assert/strict');

/** Two failures open the circuit; it refuses without invoking until resetTimeout, lets one probe through, closes. */
async function drive({ sinon, pkg, call, invocations, setUp, breaker }) {
  const refused = (error) => error instanceof pkg.CircuitBreakerOpenException && pkg.isCircuitBreakerOpenException(error);
  const clock = sinon.useFakeTimers();
  try {
    setUp(false);
    assert.equal(breaker.state, 'CLOSED');
    for (let i = 0; i < 2; i++) await assert.rejects(call(), /inventory down: sku-1/);
    assert.equal(breaker.state, 'OPEN', 'OPEN after failureThreshold failures');
    await assert.rejects(call(), refused);
    clock.tick(29_999);
    await assert.rejects(call(), refused);
    assert.equal(invocations(), 2, 'refused without invoking while OPEN');
    clock.tick(1);
    setUp(true);
    const probe = call();
    assert.equal(breaker.state, 'HALF_OPEN');
    await assert.rejects(call(), refused, 'one probe at a time');
    assert.equal(await probe, 5);
    assert.equal(breaker.state, 'CLOSED', 'CLOSED after the probe succeeds');
    assert.equal(await call(), 5);
    assert.equal(invocations(), 4);
    assert.equal(clock.countTimers(), 0, 'the breaker keeps no timers');
  } finally {
    clock.restore();
  }
}

/** new CircuitBreaker(options).call(fn, ...args), no decorator. */
async function plainBreaker(sinon, pkg) {
  let up = false;
  let calls = 0;
  const fetchStock = async (sku) => {
    calls++;
    if (!up) throw new Error('inventory down: ' + sku);
    return sku.length;
  };
  const breaker = new pkg.CircuitBreaker({ failureThreshold: 2, resetTimeout: 30_000 });
  await drive({ sinon, pkg, breaker, call: () => breaker.call(fetchStock, 'sku-1'), invocations: () => calls, setUp: (value) => { up = value; } });
}

/** A method of the compiled Inventory: keeps its name and this; its breaker is in the registry. */
async function decoratedMethod(sinon, pkg, Inventory) {
  const inventory = new Inventory();
  assert.equal(Inventory.prototype.stock.name, 'stock');
  const breaker = pkg.getCircuitBreaker(inventory, 'stock');
  assert.equal(breaker.name, 'Inventory#stock');
  assert.ok(pkg.listCircuitBreakers().includes(breaker));
  await drive({ sinon, pkg, breaker, call: () => inventory.stock('sku-1'), invocations: () => inventory.calls, setUp: (value) => { inventory.up = value; } });
}

module.exports = { plainBreaker, decoratedMethod };
`;

const suiteCjs = `'use strict';
const assert = require('node:assert/strict');
const sinon = require('sinon');
const pkg = require('circuit-breaker-decorator');
const { plainBreaker, decoratedMethod } = require('./scenario.cjs');

(async () => {
  console.log('node ' + process.version);
  const { exports } = require('circuit-breaker-decorator/package.json');
  const subpaths = Object.keys(exports).filter((key) => key !== './package.json');
  for (const subpath of subpaths) {
    const module = require('circuit-breaker-decorator' + subpath.slice(1));
    assert.ok(Object.keys(module).length > 0, subpath + ' exports something');
  }
  console.log('require ' + subpaths.join(' '));
  await plainBreaker(sinon, pkg);
  console.log('plain breaker');
  for (const mode of ['legacy', 'standard']) {
    await decoratedMethod(sinon, pkg, require('./out/' + mode + '/inventory.js').Inventory);
    console.log(mode + ' decorated method');
  }
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
`;

const suiteMjs = `import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import sinon from 'sinon';
import * as pkg from 'circuit-breaker-decorator';
import scenario from './scenario.cjs';

console.log('node ' + process.version);
const { exports } = createRequire(import.meta.url)('circuit-breaker-decorator/package.json');
const subpaths = Object.keys(exports).filter((key) => key !== './package.json');
for (const subpath of subpaths) {
  const module = await import('circuit-breaker-decorator' + subpath.slice(1));
  assert.ok(Object.keys(module).length > 0, subpath + ' exports something');
}
console.log('import ' + subpaths.join(' '));
await scenario.plainBreaker(sinon, pkg);
console.log('plain breaker');
for (const mode of ['legacy', 'standard']) {
  await scenario.decoratedMethod(sinon, pkg, (await import('./out/' + mode + '/inventory.mjs')).Inventory);
  console.log(mode + ' decorated method');
}
`;

/** tsconfig.<mode>.json: inventory.ts to CommonJS and inventory.mts to ESM, in out/<mode>. */
function writeConfig(dir: string, mode: (typeof MODES)[number]): string {
  const decorators = mode === 'legacy' ? { experimentalDecorators: true, emitDecoratorMetadata: true } : { experimentalDecorators: false };
  const compilerOptions = { target: 'ES2022', module: 'nodenext', strict: true, types: [], rootDir: '.', outDir: `out/${mode}`, ...decorators };
  const file = `tsconfig.${mode}.json`;
  writeFileSync(join(dir, file), JSON.stringify({ compilerOptions, files: ['inventory.ts', 'inventory.mts'] }, null, 2));
  return file;
}

/** The `node` binary of a release: the running one when it is that release, else the `node` package's, from the cache. */
async function nodeRelease(major: Release): Promise<string> {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const binary = (dir: string) => join(dir, 'node_modules', 'node', 'bin', 'node');
  const manifest = (dir: string) => join(dir, 'node_modules', 'node', 'package.json');
  const installed = (dir: string) =>
    existsSync(binary(dir)) && existsSync(manifest(dir)) && (JSON.parse(readFileSync(manifest(dir), 'utf8')) as { version: string }).version.startsWith(`${major}.`);
  const started = Date.now();
  const name = `node-releases/${major}`;
  const already = installed(join(root, 'node_modules', '.cache', name));
  // The `node` package fetches its platform's binary in a preinstall script: allowed here, by name.
  const dir = await cached(name, { dependencies: { node: `^${major}.0.0` }, allowScripts: { node: true } }, installed);
  if (!already) console.log(`      (node@${major} installed into ${relative(root, dir)} in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return binary(dir);
}

function lines(result: Run): string[] {
  return result.output.trim().split('\n');
}

describe('Node releases: the packed package under Node 20 (end of life), 22, 24 and 26', function () {
  this.timeout(300_000);
  const ci = process.env['CI'] === 'true';
  let dir: string;
  let compiled: { mode: string; result: Run }[];
  const releases = new Map<Release, Promise<string>>();
  let everySubpath: string;

  before(async function () {
    // Installs start at once, beside packing and compiling; each release's before awaits its own.
    for (const major of RELEASES) {
      const binary = nodeRelease(major);
      binary.catch(() => undefined); // awaited (and reported) by the release's before hook
      releases.set(major, binary);
    }
    const { app } = await packedApp();
    dir = join(app, 'releases');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'inventory.ts'), inventory);
    writeFileSync(join(dir, 'inventory.mts'), inventory);
    writeFileSync(join(dir, 'scenario.cjs'), scenario);
    writeFileSync(join(dir, 'suite.cjs'), suiteCjs);
    writeFileSync(join(dir, 'suite.mjs'), suiteMjs);
    const { exports } = JSON.parse(readFileSync(join(app, 'node_modules', 'circuit-breaker-decorator', 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    everySubpath = Object.keys(exports)
      .filter((key) => key !== './package.json')
      .join(' ');
    compiled = await Promise.all(MODES.map(async (mode) => ({ mode, result: await run(process.execPath, [tsc5, '-p', writeConfig(dir, mode)], dir) })));
  });

  it('compiles the consumer with TypeScript 5.9 in each decorator mode, to CommonJS and ESM', function () {
    for (const { mode, result } of compiled) expect(result.code, `${mode}:\n${result.output}`).to.equal(0);
    for (const file of ['inventory.js', 'inventory.mjs']) {
      expect(readFileSync(join(dir, 'out', 'legacy', file), 'utf8'), `legacy/${file}`).to.match(/__decorate\(/);
      expect(readFileSync(join(dir, 'out', 'standard', file), 'utf8'), `standard/${file}`).to.match(/__esDecorate\(/);
    }
  });

  for (const major of RELEASES) {
    const eol = END_OF_LIFE[major];
    describe(`Node ${major}${eol === undefined ? '' : ` (end of life since ${eol})`}`, function () {
      let node: string;

      before(async function () {
        try {
          node = await releases.get(major)!;
        } catch (error) {
          if (ci) throw new Error(`Node ${major}: under CI=true every release must run, and node@${major} could not be installed: ${(error as Error).message}`);
          const reason = String((error as Error).message).split('\n').find((line) => /ERR|error/i.test(line)) ?? String(error);
          console.log(`      Node ${major} skipped: node@${major} could not be installed (${reason.trim()}); under CI=true this fails`);
          this.skip();
        }
      });

      it(`CommonJS: require() every entry point; a plain breaker and a decorated method (legacy, standard) open, refuse, probe and close under sinon's fake clock`, async function () {
        const result = await run(node, ['suite.cjs'], dir);
        expect(result.code, result.output).to.equal(0);
        expect(lines(result)[0]).to.match(new RegExp(`^node v${major}\\.`));
        expect(lines(result).slice(1)).to.deep.equal([`require ${everySubpath}`, 'plain breaker', 'legacy decorated method', 'standard decorated method']);
      });

      it(`ES modules: import every entry point; a plain breaker and a decorated method (legacy, standard) open, refuse, probe and close under sinon's fake clock`, async function () {
        const result = await run(node, ['suite.mjs'], dir);
        expect(result.code, result.output).to.equal(0);
        expect(lines(result)[0]).to.match(new RegExp(`^node v${major}\\.`));
        expect(lines(result).slice(1)).to.deep.equal([`import ${everySubpath}`, 'plain breaker', 'legacy decorated method', 'standard decorated method']);
      });
    });
  }
});
