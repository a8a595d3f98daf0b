/**
 * What the CLI specs share: the timeliness check of a command that Redis does not answer, and a run of
 * the compiled CLI where only node-redis is installed.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compiledCli, type CliRun } from '../cli/run-cli';

/** What the timeout specs allow beyond --timeout (the brief: within timeout + 500 ms). */
const SLACK = 500;

/** Exit 1 within `timeout` + SLACK ms of the spawn, the reason on stderr naming the URL and the timeout, nothing on stdout. */
export function expectTimely(run: CliRun, timeout: number, url: string): void {
  expect(run.code, run.stderr).to.equal(1);
  expect(run.ms, `exited after ${run.ms.toFixed(0)} ms`).to.be.below(timeout + SLACK);
  expect(run.stderr).to.include(`Redis ${url}`).and.to.include(`--timeout ${timeout} ms`);
  expect(run.stdout).to.equal('');
}

/**
 * Runs the compiled CLI where only node-redis is installed: NODE_PATH holds links to `redis` and `@redis`
 * of this repo, not ioredis.
 */
export function nodeRedisOnlyCli(...args: string[]): Promise<CliRun> {
  nodeRedisOnly ??= (() => {
    const dir = mkdtempSync(join(tmpdir(), 'cbd-node-redis-only-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    for (const name of ['redis', '@redis']) symlinkSync(join(__dirname, '..', '..', 'node_modules', name), join(dir, name));
    return dir;
  })();
  const main = compiledCli();
  return new Promise((done) => {
    const started = performance.now();
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_PATH: nodeRedisOnly };
    delete env.NODE_OPTIONS;
    delete env.NODE_V8_COVERAGE;
    const child = spawn(process.execPath, [main, ...args], { cwd: dirname(main), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}
let nodeRedisOnly: string | undefined;
