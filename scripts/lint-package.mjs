// npm run lint:package: publint and @arethetypeswrong/cli (profile "strict": node10,
// node16 CommonJS, node16 ESM and bundler resolution) on the packed tarball.
//   node scripts/lint-package.mjs [package.tgz]   without a tarball: build, then pack into a temp dir
// Exits 1 when either tool reports anything, suggestions included.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let tarball = process.argv[2];
let scratch;
if (tarball === undefined) {
  execFileSync(npm, ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  scratch = mkdtempSync(join(tmpdir(), 'cbd-lint-'));
  const [packed] = JSON.parse(
    execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: root, encoding: 'utf8' }),
  );
  tarball = join(scratch, packed.filename);
}
tarball = resolve(tarball);

let failed = false;
try {
  const { publint } = await import('publint');
  const { formatMessage } = await import('publint/utils');
  const bytes = readFileSync(tarball);
  const { messages, pkg } = await publint({
    pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
    level: 'suggestion',
    strict: true,
  });
  if (messages.length === 0) {
    console.log(`publint: ${pkg.name}@${pkg.version}: all good, no errors, warnings or suggestions`);
  } else {
    failed = true;
    console.log(`publint: ${messages.length} problem(s):`);
    for (const message of messages) console.log(`  ${message.type}: ${formatMessage(message, pkg, { color: false }) ?? message.code}`);
  }

  const attw = require.resolve('@arethetypeswrong/cli/package.json').replace(/package\.json$/, 'dist/index.js');
  const result = spawnSync(process.execPath, [attw, tarball, '--profile', 'strict', '--format', 'table', '--no-emoji', '--no-color'], {
    encoding: 'utf8',
  });
  process.stdout.write(`attw (profile strict):\n${result.stdout}`);
  process.stderr.write(result.stderr);
  if (result.status !== 0) failed = true;
} finally {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
