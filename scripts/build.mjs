// npm run build: a clean dist/ with this repo's TypeScript (tsconfig.build.json's options),
// compiled from the entries of scripts/package-entries.mjs (src/index.ts, src/<integration>/index.ts),
// then, for each entry, an ESM wrapper that re-exports the CommonJS build.
//
// dist/<dir>/index.js + index.d.ts     CommonJS and its types (`require`)
// dist/<dir>/index.mjs + index.d.mts   `export { ...names } from './index.js'` (`import`)
//
// dist/cli/main.js                     the bin (package.json `bin`, from src/cli/main.ts), executable
//
// The wrapper keeps one copy of the module state (the registry of decorated methods)
// when one process both requires and imports the package: no dual-package hazard.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, entries } from './package-entries.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const ts = require('typescript');
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });

const configPath = join(root, 'tsconfig.build.json');
const host = {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (diagnostic) => fail([diagnostic]),
};
const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, host);
if (config.errors.length > 0) fail(config.errors);

// Only the entries and what they import: a folder of src/ that no entry reaches is not published.
const entryList = entries(root);
const rootNames = [...entryList.map((entry) => join(root, 'src', entry.dir, 'index.ts')), join(root, cli.source)];
const program = ts.createProgram({ rootNames, options: config.options, projectReferences: config.projectReferences });
const emitted = program.emit();
const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
if (diagnostics.length > 0 || emitted.emitSkipped) fail(diagnostics);

const checker = program.getTypeChecker();
for (const entry of entryList) {
  const source = program.getSourceFile(join(root, 'src', entry.dir, 'index.ts'));
  if (source === undefined) fail([], `src/${entry.dir ? `${entry.dir}/` : ''}index.ts is not part of tsconfig.build.json`);
  const names = valueExports(source);
  const outDir = join(dist, entry.dir);
  mkdirSync(outDir, { recursive: true });
  const header = '// ESM entry point: the CommonJS build\'s exports, so `import` and `require` share one copy.\n';
  const body = names.length === 0 ? 'export {};\n' : `export {\n${names.map((name) => `  ${name},\n`).join('')}} from './index.js';\n`;
  writeFileSync(join(outDir, 'index.mjs'), header + body);
  writeFileSync(join(outDir, 'index.d.mts'), `${header}export * from './index.js';\n`);
}

// The bin: npm links it on install and runs it through its `#!` line (tsc keeps a source's first-line `#!`).
const bin = join(root, cli.bin);
if (!readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')) fail([], `${cli.bin} does not start with #!/usr/bin/env node`);
chmodSync(bin, 0o755);

/** The names an entry exports at runtime (type-only exports left out), sorted. */
function valueExports(source) {
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) return [];
  const names = [];
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    if (isTypeOnly(symbol)) continue;
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    if (target.flags & ts.SymbolFlags.Value) names.push(symbol.name);
  }
  return names.sort();
}

/** `export type { X }`, `export { type X }`, or a re-export of such an export. */
function isTypeOnly(symbol) {
  let current = symbol;
  for (let depth = 0; current !== undefined && current.flags & ts.SymbolFlags.Alias && depth < 100; depth++) {
    if ((current.declarations ?? []).some((declaration) => ts.isTypeOnlyImportOrExportDeclaration(declaration))) return true;
    current = checker.getImmediateAliasedSymbol(current);
  }
  return false;
}

function fail(diagnostics, message) {
  if (diagnostics.length > 0) {
    process.stderr.write(
      ts.formatDiagnosticsWithColorAndContext(diagnostics, {
        getCanonicalFileName: (fileName) => fileName,
        getCurrentDirectory: () => root,
        getNewLine: () => '\n',
      }),
    );
  }
  if (message !== undefined) process.stderr.write(`build: ${message}\n`);
  process.exit(1);
}
