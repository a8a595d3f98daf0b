/** examples/fleet/main.ts, run as the README says, against this suite's redis-server. */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { RedisServer, requireRedisServer } from '../support/redis-server';

describe('examples/fleet', function () {
  this.timeout(30_000);
  let server: RedisServer | undefined;

  before(async function () {
    requireRedisServer(this);
    server = await RedisServer.start();
  });
  after(() => server?.close());

  it('four replicas: one trips, the others are told, one probes, all close, every process exits', async () => {
    const root = join(__dirname, '..', '..');
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', join(root, 'examples', 'fleet', 'main.ts')],
        { cwd: root, env: { ...process.env, REDIS_URL: server!.url }, timeout: 25_000, killSignal: 'SIGKILL' },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stdout}\n${stderr}`)) : resolve(stdout)),
      );
    });
    const lines = output.split('\n');
    const count = (pattern: RegExp) => lines.filter((line) => pattern.test(line)).length;
    expect(count(/CLOSED\s+-> OPEN\s+\(threshold\)/), output).to.equal(1);
    expect(count(/CLOSED\s+-> OPEN\s+\(told by the fleet\)/), output).to.equal(3);
    expect(count(/OPEN\s+-> HALF_OPEN/), output).to.equal(1);
    expect(count(/HALF_OPEN -> CLOSED\s+\(probe-succeeded\)/), output).to.equal(1);
    expect(count(/OPEN\s+-> CLOSED\s+\(told by the fleet\)/), output).to.equal(3);
    expect(output).to.include('every replica closed its store and exited');
  });
});
