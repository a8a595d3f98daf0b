#!/usr/bin/env node
// Transpiles src/ and bench/ into bench/.out/ (CommonJS, ES2022), file by file, without type-checking:
// `npm run typecheck` type-checks src; this step must keep working while others edit src.
//
// bench/fixtures/service.ts is transpiled twice, once per decorator mode, so that both modes
// run in one process with byte-identical method bodies:
//   service.legacy.js    experimentalDecorators + emitDecoratorMetadata (NestJS, TypeORM)
//   service.standard.js  TC39 standard decorators (TypeScript 5+ without the flag)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..');
const out = path.join(__dirname, '.out');

const base = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  esModuleInterop: true,
  useDefineForClassFields: true,
  sourceMap: false,
};
const legacy = { ...base, experimentalDecorators: true, emitDecoratorMetadata: true };
const standard = { ...base, experimentalDecorators: false, emitDecoratorMetadata: false };

function walk(dir) {
  const files = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === '.out' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...walk(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(full);
  }
  return files;
}

function emit(file, options, target) {
  const source = fs.readFileSync(file, 'utf8');
  const result = ts.transpileModule(source, { compilerOptions: options, fileName: file, reportDiagnostics: true });
  const errors = (result.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    const text = errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n');
    throw new Error(`bench build: cannot transpile ${path.relative(root, file)}:\n${text}`);
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, result.outputText);
  return result.outputText;
}

fs.rmSync(out, { recursive: true, force: true });
const fixture = path.join(__dirname, 'fixtures', 'service.ts');
let count = 0;
for (const file of [...walk(path.join(root, 'src')), ...walk(__dirname)]) {
  if (file === fixture) continue;
  emit(file, legacy, path.join(out, path.relative(root, file)).replace(/\.ts$/, '.js'));
  count++;
}
const fixtureOut = path.join(out, 'bench', 'fixtures');
const legacyText = emit(fixture, legacy, path.join(fixtureOut, 'service.legacy.js'));
const standardText = emit(fixture, standard, path.join(fixtureOut, 'service.standard.js'));
// Prove the two modes really differ: TypeScript's legacy helper vs the TC39 helper.
if (!legacyText.includes('__decorate(') || legacyText.includes('__esDecorate(')) {
  throw new Error('bench build: service.legacy.js is not compiled with experimentalDecorators');
}
if (!standardText.includes('__esDecorate(')) {
  throw new Error('bench build: service.standard.js is not compiled with standard decorators');
}
process.stdout.write(`bench build: ${count} files + fixture in 2 decorator modes -> ${path.relative(root, out)}\n`);
