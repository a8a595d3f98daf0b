// Brings package.json's main/types/exports/typesVersions/files in line with
// scripts/package-entries.mjs (through `npm pkg`, never rewriting the file).
//   node scripts/sync-exports.mjs           update package.json
//   node scripts/sync-exports.mjs --check   exit 1 and show the difference if it is out of date
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { entries, packageFields } from './package-entries.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const wanted = packageFields(entries(root));

const stale = Object.entries(wanted).filter(([field, value]) => JSON.stringify(pkg[field]) !== JSON.stringify(value));
if (stale.length === 0) process.exit(0);

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
for (const [field, value] of stale) {
  if (check) {
    process.stderr.write(`package.json ${field} is ${JSON.stringify(pkg[field])}, expected ${JSON.stringify(value)}\n`);
  } else if (value === undefined) {
    execFileSync(npm, ['pkg', 'delete', field], { cwd: root, stdio: 'inherit' });
  } else {
    execFileSync(npm, ['pkg', 'set', `${field}=${JSON.stringify(value)}`, '--json'], { cwd: root, stdio: 'inherit' });
  }
}
if (check) {
  process.stderr.write('run: node scripts/sync-exports.mjs\n');
  process.exit(1);
}
