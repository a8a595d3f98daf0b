import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** Runs spec/support/debug-child.ts in a fresh Node process with NODE_DEBUG as given. */
function runChild(nodeDebug: string | undefined): Promise<{ stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' };
  delete env.NODE_DEBUG;
  if (nodeDebug !== undefined) env.NODE_DEBUG = nodeDebug;
  const child = join(__dirname, '..', 'support', 'debug-child.ts');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-r', 'ts-node/register', child], { env, cwd: join(__dirname, '..', '..') }, (error, stdout, stderr) => {
      if (error) reject(error);
      else resolve({ stdout, stderr });
    });
  });
}

describe('NODE_DEBUG=circuit-breaker', function () {
  // Two child processes that load TypeScript: seconds of CPU, no sleeping.
  this.timeout(30_000);

  it('prints every transition to stderr through util.debuglog', async () => {
    const [debugged, silent] = await Promise.all([runChild('circuit-breaker'), runChild(undefined)]);
    expect(debugged.stdout).to.equal('done CLOSED\n');
    const lines = debugged.stderr.split('\n').filter((line) => line.startsWith('CIRCUIT-BREAKER'));
    expect(lines.map((line) => line.replace(/^CIRCUIT-BREAKER \d+: /, ''))).to.deep.equal([
      'debugged CLOSED -> OPEN (threshold)',
      'debugged OPEN -> HALF_OPEN (reset-timeout)',
      'debugged HALF_OPEN -> CLOSED (probe-succeeded)',
    ]);
    expect(silent.stdout).to.equal('done CLOSED\n');
    expect(silent.stderr).to.not.contain('CIRCUIT-BREAKER');
  });
});
