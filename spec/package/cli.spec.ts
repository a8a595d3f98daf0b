// The command-line tool as a consumer gets it: the packed tarball's `bin`, installed into the
// temporary app of spec/package/support.ts and run through npx (no registry: the bin is local).
import { expect } from 'chai';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePort } from '../support/redis-server';
import { packedApp, root, run } from './support';

const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const BIN = 'circuit-breaker-decorator';

describe('the published bin (npx circuit-breaker-decorator)', function () {
  this.timeout(120_000);

  let app: string;
  let packed: readonly string[];

  before(async () => {
    ({ app, packed } = await packedApp());
  });

  it('is in the tarball, named by package.json bin, CommonJS with a #!/usr/bin/env node line, linked executable on install', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
    const target = pkg.bin?.[BIN];
    expect(target, 'package.json bin').to.equal('dist/cli/main.js');
    expect(packed).to.include(target);
    const installed = join(app, 'node_modules', BIN, target!);
    expect(readFileSync(installed, 'utf8')).to.match(/^#!\/usr\/bin\/env node\n"use strict";/);
    expect(statSync(join(app, 'node_modules', '.bin', BIN)).mode & 0o111, 'executable').to.not.equal(0);
  });

  it('--help runs from the installed package and says the commands, flags and timeout', async () => {
    const result = await run(npx, [BIN, '--help'], app);
    expect(result.code, result.output).to.equal(0);
    for (const text of ['Usage: circuit-breaker-decorator', 'circuits', 'isolate NAME', 'release NAME', 'reset NAME', '--redis URL', '--prefix', '--timeout MS', '--json']) {
      expect(result.output, text).to.include(text);
    }
  });

  it("finds the app's ioredis (an optional peer): against a closed port, exit 1 saying Redis refused, within the timeout", async () => {
    const port = await findFreePort();
    const started = performance.now();
    const result = await run(npx, [BIN, 'circuits', '--redis', `redis://127.0.0.1:${port}`, '--timeout', '1000'], app);
    expect(result.code, result.output).to.equal(1);
    expect(result.output).to.include('Redis refused the connection').and.to.include(`redis://127.0.0.1:${port}`).and.to.include('--timeout 1000 ms');
    expect(result.output).not.to.include('needs ioredis');
    // npx itself takes a few hundred ms to start: the bound is loose, the CLI's own is checked by spec/integration/cli.spec.ts.
    expect(performance.now() - started).to.be.below(10_000);
  });
});
