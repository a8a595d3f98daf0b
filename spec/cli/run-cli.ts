/**
 * Runs the command-line tool (src/cli/main.ts) as a child process, the way
 * `npx circuit-breaker-decorator` runs the published one: plain `node` on
 * CommonJS. The CLI and what it imports are transpiled once (TypeScript's
 * transpileModule, no type check: `npm run typecheck` does that) into a
 * temporary folder, so a run costs Node's start-up, not ts-node's: the
 * timeout specs measure the CLI, not the compiler. `ioredis` is found through
 * NODE_PATH (this repo's node_modules); a run without it sees no ioredis at all.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(__dirname, '..', '..');

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** ms from the spawn to the exit, measured here. */
  readonly ms: number;
}

let compiled: string | undefined;

/** src/cli/main.ts and every relative import it reaches, transpiled to CommonJS; returns main.js's path. */
export function compiledCli(): string {
  if (compiled !== undefined) return compiled;
  const out = mkdtempSync(join(tmpdir(), 'cbd-cli-spec-'));
  process.once('exit', () => rmSync(out, { recursive: true, force: true }));
  const queue = [join(root, 'src', 'cli', 'main.ts')];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    const { outputText } = ts.transpileModule(text, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    const target = join(out, relative(root, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const base = resolve(dirname(file), fileName);
      const found = [`${base}.ts`, join(base, 'index.ts')].find((candidate) => existsSync(candidate));
      if (found === undefined) throw new Error(`${relative(root, file)}: cannot find ${fileName}`);
      queue.push(found);
    }
  }
  copyFileSync(join(root, 'package.json'), join(out, 'package.json'));
  compiled = join(out, 'src', 'cli', 'main.js');
  return compiled;
}

export interface RunOptions {
  /** Leave ioredis out of reach (no NODE_PATH). */
  readonly withoutIoredis?: boolean;
  /** Kill the CLI after this many ms (a spec must never hang on it). */
  readonly killAfter?: number;
}

/** Runs `node main.js ...args`; resolves with its exit, output and duration, never rejects. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliRun> {
  const main = compiledCli();
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.NODE_V8_COVERAGE;
  if (options.withoutIoredis === true) delete env.NODE_PATH;
  else env.NODE_PATH = join(root, 'node_modules');
  return new Promise((done) => {
    const started = performance.now();
    const child = spawn(process.execPath, [main, ...args], { cwd: dirname(main), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.killAfter ?? 10_000);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}
