/**
 * A job that awaits one call with a `timeout` to a dependency that never
 * answers (a promise with no timer or socket behind it): the timeout's timer
 * must keep the process alive until it fires, so the caller gets the
 * deadline and the job goes on, and then nothing may keep the process from
 * exiting by itself. Run as a user would: the packed tarball, installed in a
 * temporary app, in a CommonJS child and an ES-module child (top-level await).
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { packedApp } from './support';

const COMMONJS_JOB = `
const { CircuitBreaker } = require('circuit-breaker-decorator');
async function main() {
  const breaker = new CircuitBreaker({ timeout: 50 });
  try {
    await breaker.call(() => new Promise(() => {}));
  } catch (e) {
    console.log('got', e.name);
  }
  console.log('rest of the job runs');
}
main();
`;

const MODULE_JOB = `
import { CircuitBreaker } from 'circuit-breaker-decorator';
const breaker = new CircuitBreaker({ timeout: 50 });
try {
  await breaker.call(() => new Promise(() => {}));
} catch (e) {
  console.log('got', e.name);
}
console.log('rest of the job runs');
`;

/** Many calls, most settling in time, a few hanging: the job still ends by itself once all settled. */
const BUSY_JOB = `
const { CircuitBreaker } = require('circuit-breaker-decorator');
async function main() {
  const breaker = new CircuitBreaker({ timeout: 30, failureThreshold: 1000 });
  const outcomes = await Promise.allSettled(
    Array.from({ length: 200 }, (_, i) => breaker.call(() => (i % 50 === 0 ? new Promise(() => {}) : Promise.resolve(i)))),
  );
  const timedOut = outcomes.filter((o) => o.status === 'rejected' && o.reason.name === 'CircuitBreakerTimeoutException').length;
  console.log('settled', outcomes.length, 'timed out', timedOut);
  console.log('rest of the job runs');
}
main();
`;

/** Runs `node file` in `cwd`, killed after 10 s: a job that never ends fails here instead of hanging the suite. */
function job(file: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [file], { cwd, encoding: 'utf8', timeout: 10_000 }, (error, stdout, stderr) => {
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

describe('a job that awaits a call with a timeout (the packed package)', function () {
  this.timeout(120_000);
  let app: string;

  before(async function () {
    this.timeout(300_000);
    ({ app } = await packedApp());
    writeFileSync(join(app, 'job.cjs'), COMMONJS_JOB);
    writeFileSync(join(app, 'job.mjs'), MODULE_JOB);
    writeFileSync(join(app, 'busy-job.cjs'), BUSY_JOB);
  });

  for (const [kind, file] of [
    ['CommonJS', 'job.cjs'],
    ['an ES module with top-level await', 'job.mjs'],
  ] as const) {
    it(`${kind}: the timeout reaches the caller, the job goes on, then the process exits by itself with 0`, async () => {
      const started = Date.now();
      const result = await job(file, app);
      const took = Date.now() - started;
      expect(result.stdout.trim().split('\n')).to.deep.equal(['got CircuitBreakerTimeoutException', 'rest of the job runs']);
      expect(result.code, result.stderr).to.equal(0);
      expect(took, 'exits soon after the timeout, nothing left keeping it alive').to.be.below(5_000);
    });
  }

  it('many calls, some hanging: each hanging one times out, and the process exits by itself once all settled', async () => {
    const result = await job('busy-job.cjs', app);
    expect(result.stdout.trim().split('\n')).to.deep.equal(['settled 200 timed out 4', 'rest of the job runs']);
    expect(result.code, result.stderr).to.equal(0);
  });
});
