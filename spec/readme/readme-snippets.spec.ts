import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import * as ts from 'typescript';

// A reader copies a README block into a file of its own and expects it to compile. Every ```ts block of
// README.md and docs/*.md is type-checked that way: each block its own module (its own imports and
// declarations), strict with noUnused*, in both decorator modes, `circuit-breaker-decorator` resolved to src/.
// A block for one mode only says so in its fence: ```ts legacy (NestJS needs legacy decorators).

const ROOT = resolve(__dirname, '..', '..');
const MODE_MARKERS = ['legacy', 'standard'] as const;
type Mode = (typeof MODE_MARKERS)[number];

interface Block {
  /** Path of the markdown file, relative to the repository. */
  readonly file: string;
  /** 1-based line of the block's first code line in that file. */
  readonly line: number;
  readonly code: string;
  /** The modes it must compile in (all, unless its fence names one). */
  readonly modes: readonly Mode[];
}

/** The ```ts blocks of a markdown text; `file` is only carried along for messages. */
function extractBlocks(markdown: string, file: string): Block[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)(?:\s+(.*))?$/.exec(lines[i]!);
    if (open === null) {
      // Skip other fences whole: a ```md block may quote a ```ts fence.
      const other = /^(\s*)(`{3,}|~{3,})/.exec(lines[i]!);
      if (other !== null) i = closingFence(lines, i, other[2]!);
      continue;
    }
    const markers = (open[4] ?? '').split(/\s+/).filter((word) => word !== '');
    const unknown = markers.filter((word) => !(MODE_MARKERS as readonly string[]).includes(word));
    if (unknown.length > 0) throw new Error(`${file}:${i + 1}: unknown fence marker(s) ${unknown.join(', ')} (known: ${MODE_MARKERS.join(', ')})`);
    const end = closingFence(lines, i, open[2]!);
    if (end >= lines.length) throw new Error(`${file}:${i + 1}: a ts block that is never closed`);
    blocks.push({
      file,
      line: i + 2,
      code: lines.slice(i + 1, end).join('\n'),
      modes: markers.length > 0 ? (markers as Mode[]) : MODE_MARKERS,
    });
    i = end;
  }
  return blocks;
}

function closingFence(lines: readonly string[], open: number, fence: string): number {
  let j = open + 1;
  while (j < lines.length && !new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`).test(lines[j]!)) j++;
  return j;
}

function markdownFiles(): string[] {
  const docs = join(ROOT, 'docs');
  let inDocs: string[] = [];
  try {
    inDocs = readdirSync(docs).filter((name) => name.endsWith('.md')).map((name) => join('docs', name));
  } catch {
    // No docs/ folder: the README alone.
  }
  return ['README.md', ...inDocs.sort()];
}

const SUBPATHS = ['redis', 'prometheus', 'nestjs', 'opentelemetry'] as const;

function compilerOptions(mode: Mode): ts.CompilerOptions {
  return {
    // An ES module app (top-level await allowed) with the repository's language settings.
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Preserve,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    moduleDetection: ts.ModuleDetectionKind.Force,
    lib: ['lib.es2022.d.ts', 'lib.esnext.decorators.d.ts'],
    types: ['node', 'mocha'],
    typeRoots: [join(ROOT, 'node_modules', '@types')],
    strict: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
    experimentalDecorators: mode === 'legacy',
    emitDecoratorMetadata: mode === 'legacy',
    paths: {
      'circuit-breaker-decorator': [join(ROOT, 'src', 'index.ts')],
      ...Object.fromEntries(SUBPATHS.map((subpath) => [`circuit-breaker-decorator/${subpath}`, [join(ROOT, 'src', subpath, 'index.ts')]])),
    },
  };
}

/** Points a relative import at the markdown file's folder, as it reads there (`./examples/...` from the README). */
function anchorRelativeImports(code: string, markdownDir: string): string {
  return code.replace(/(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\2/g, (_, lead: string, quote: string, specifier: string) => {
    return `${lead}${quote}${resolve(markdownDir, specifier)}${quote}`;
  });
}

interface Failure {
  readonly block: Block;
  /** Where and what, for a reader: `README.md:52:3 (...) TS2304: ...`. */
  readonly message: string;
  /** TypeScript's own text (its chain of messages, one a line). */
  readonly text: string;
  readonly code: number;
  /** 1-based line in the markdown file. */
  readonly line: number;
}

/**
 * Type-checks `blocks` in `mode`, one program for all of them (each its own file in `dir`), and returns every
 * diagnostic of a block, placed on its markdown line.
 */
function check(blocks: readonly Block[], mode: Mode, dir: string): { failures: Failure[]; checked: number } {
  const files = new Map<string, Block>();
  blocks.forEach((block, index) => {
    const name = join(dir, `${mode}-${index}-${block.file.replace(/[^\w]+/g, '_')}-L${block.line}.ts`);
    writeFileSync(name, anchorRelativeImports(block.code, dirname(join(ROOT, block.file))));
    files.set(name, block);
  });
  const options = compilerOptions(mode);
  const program = ts.createProgram({ rootNames: [...files.keys()], options, host: ts.createCompilerHost(options, true) });
  const failures: Failure[] = [];
  for (const diagnostic of program.getOptionsDiagnostics()) {
    throw new Error(`compiler options: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
  }
  for (const [name, block] of files) {
    const source = program.getSourceFile(name);
    if (source === undefined) throw new Error(`${name} is not in the program`);
    for (const diagnostic of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const at = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      failures.push({
        block,
        code: diagnostic.code,
        line: block.line + at.line,
        text,
        message: `${block.file}:${block.line + at.line}:${at.character + 1} (${mode} decorators; the block fenced at line ${block.line - 1}) TS${diagnostic.code}: ${text}`,
      });
    }
  }
  return { failures, checked: files.size };
}

// The spec checks itself with every check it claims: each canary block breaks some, and must fail on its own
// lines, in its own modes, so that a mistake in the options, the extraction or the markers cannot pass every
// README block unseen.
const CANARY_MARKDOWN = [
  '# canary',
  '```ts',
  "import { CircuitBreaker, isCircuitBreakerOpenException } from 'circuit-breaker-decorator';",
  "import { RedisCircuitStore } from 'circuit-breaker-decorator/redis';",
  'declare const store: RedisCircuitStore;',
  "const breaker = new CircuitBreaker({ name: 'canary', store, fallback: (error, ...args) => null });",
  'const unused = 1;',
  'function implicit(x) { return x; }',
  "const wrong: number = 'text';",
  'isCircuitBreakerOpenException(breaker);',
  'implicit(wrong);',
  '```',
  '```ts',
  "import { Controller, Get, Param } from '@nestjs/common';",
  "@Controller('c') export class C { @Get(':id') get(@Param('id') id: string) { return id; } }",
  '```',
  '```ts',
  'export class D { @((_: unknown, context: ClassMethodDecoratorContext) => void context.name) m() {} }',
  '```',
  '```ts legacy',
  "import { Controller, Get, Param } from '@nestjs/common';",
  "@Controller('c') export class C { @Get(':id') get(@Param('id') id: string) { return id; } }",
  '```',
  '```ts',
  "import { CircuitBreaker } from 'circuit-breaker-decorator';",
  "export class F { @CircuitBreaker({ fallback: () => 42 }) async m(): Promise<string> { return ''; } }",
  '```',
].join('\n');
/** The canary line of a mismatched fallback, and what the README says the last line of its error is. */
const FALLBACK_LINE = 26;
const FALLBACK_LAST_LINE =
  /^Property ''fallback result is not assignable to the method result'' is missing in type '.*' but required in type '\{ readonly 'fallback result is not assignable to the method result': number; \}'\.$/;
/**
 * What the canary must report per mode, as `line code` pairs in its lines: the lines failing are exactly these,
 * and each pair is among the diagnostics (a line may carry more, whose codes vary with TypeScript's version).
 */
const CANARY_EXPECTED: Record<Mode, readonly string[]> = {
  // noUnusedParameters (error, args), noUnusedLocals, strict (an implicit any), a string where a number goes;
  // a standard decorator's signature under experimentalDecorators.
  legacy: ['6 6133', '7 6133', '8 7006', '9 2322', '18 1241', '26 1241'],
  // The same first five, and a parameter decorator (legacy only) in the block without a marker, which leaves
  // the imports it names unused; the block marked legacy is not checked here.
  standard: ['6 6133', '7 6133', '8 7006', '9 2322', '14 6133', '15 1206', '26 1241'],
};

describe('README and docs: every ```ts block compiles as pasted', function () {
  // Two programs over src/ and the libraries' types: a few seconds each on a loaded 2-core machine.
  this.timeout(120_000);
  let dir: string;
  const blocks = markdownFiles().flatMap((file) => extractBlocks(readFileSync(join(ROOT, file), 'utf8'), file));
  const canary = extractBlocks(CANARY_MARKDOWN, 'canary.md');

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'readme-snippets-'));
    // Libraries (ioredis, prom-client, @nestjs/*, sinon, chai) resolve as from the repository.
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the blocks, and keeps one-mode markers few', () => {
    expect(blocks.length).to.be.at.least(8);
    const oneMode = blocks.filter((block) => block.modes.length === 1);
    expect(oneMode.map((block) => `${block.file}:${block.line}`)).to.have.length.at.most(2);
  });

  for (const mode of MODE_MARKERS) {
    it(`every block type-checks with ${mode} decorators (strict, noUnusedLocals, noUnusedParameters)`, () => {
      const mine = blocks.filter((block) => block.modes.includes(mode));
      const canaryBlocks = canary.filter((block) => block.modes.includes(mode));
      const { failures, checked } = check([...mine, ...canaryBlocks], mode, dir);
      const [canaryFailures, blockFailures] = [
        failures.filter((failure) => failure.block.file === 'canary.md'),
        failures.filter((failure) => failure.block.file !== 'canary.md'),
      ];
      const lines = (pairs: readonly string[]) => [...new Set(pairs.map((pair) => pair.split(' ')[0]))].sort();
      const found = canaryFailures.map((failure) => `${failure.line} ${failure.code}`);
      const claim = `the canary fails where it should (found: ${found.join(', ')})`;
      expect(lines(found), claim).to.deep.equal(lines(CANARY_EXPECTED[mode]));
      expect(found, claim).to.include.members([...CANARY_EXPECTED[mode]]);
      expect(found.filter((pair) => pair === '6 6133'), 'both unused fallback parameters').to.have.length(2);
      // The README's word on a mismatched fallback: TS1241, an overload error in legacy mode, its last line naming it.
      const fallback = canaryFailures.find((failure) => failure.line === FALLBACK_LINE)!;
      expect(fallback.text.split('\n').at(-1)!.trim()).to.match(FALLBACK_LAST_LINE);
      expect(fallback.text.includes('No overload matches this call'), 'an overload error').to.equal(mode === 'legacy');
      expect(checked).to.equal(mine.length + canaryBlocks.length);
      if (blockFailures.length > 0) {
        expect.fail(`${blockFailures.length} diagnostic(s) in the markdown ts blocks (${mine.length} checked):\n${blockFailures.map((f) => f.message).join('\n')}`);
      }
    });
  }

  it('extracts each block with its markdown line and marker, skipping other fences', () => {
    const parsed = extractBlocks(['text', '```ts', 'a', 'b', '```', '````ts legacy', '```ts', '````', '```sh', '```ts', '```'].join('\n'), 'x.md');
    expect(parsed.map(({ line, code, modes }) => ({ line, code, modes }))).to.deep.equal([
      { line: 3, code: 'a\nb', modes: ['legacy', 'standard'] },
      { line: 7, code: '```ts', modes: ['legacy'] },
    ]);
    expect(() => extractBlocks('```ts lagacy\n```', 'x.md')).to.throw(/x\.md:1: unknown fence marker\(s\) lagacy/);
  });
});
