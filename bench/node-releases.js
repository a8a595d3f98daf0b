// Node releases other than the running one, from the npm registry's `node` package (its preinstall
// script fetches the platform's binary, also from the npm registry), installed once into
// node_modules/.cache/node-releases/<major>/ and reused. The folder, the manifest and the check are
// those of spec/package/node-releases.spec.ts (through spec/package/support.ts's `cached`), so the
// release spec and the bench download each release once between them. An install goes to a fresh
// folder renamed into place, so a concurrent run (the spec, another bench) never sees half of one.
'use strict';
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const cacheRoot = path.join(root, 'node_modules', '.cache', 'node-releases');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The major release of a version string (`v24.1.0`, `24.1.0`). */
function majorOf(version) {
  return Number(String(version).replace(/^v/, '').split('.')[0]);
}

/** node_modules/.cache/node-releases/<major>, relative to the repository. */
function cacheFolder(major) {
  return path.relative(root, path.join(cacheRoot, String(major)));
}

function binaryIn(dir) {
  return path.join(dir, 'node_modules', 'node', 'bin', 'node');
}

function installedIn(dir, major) {
  const manifest = path.join(dir, 'node_modules', 'node', 'package.json');
  if (!fs.existsSync(binaryIn(dir)) || !fs.existsSync(manifest)) return false;
  try {
    return String(JSON.parse(fs.readFileSync(manifest, 'utf8')).version).startsWith(`${major}.`);
  } catch {
    return false;
  }
}

/** The `node` binary of `major` if the cache holds it (the running Node if it is that release), else undefined. */
function cachedNode(major) {
  if (majorOf(process.version) === major) return process.execPath;
  const dir = path.join(cacheRoot, String(major));
  return installedIn(dir, major) ? binaryIn(dir) : undefined;
}

function run(command, args, cwd) {
  return new Promise((done) => {
    execFile(command, args, { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, output: `${stdout}${stderr}` });
    });
  });
}

/** The `node` binary of `major`, installed into the cache first if it is not there; rejects when npm cannot install it. */
async function installNode(major) {
  const have = cachedNode(major);
  if (have !== undefined) return have;
  const dir = path.join(cacheRoot, String(major));
  fs.mkdirSync(cacheRoot, { recursive: true });
  const fresh = fs.mkdtempSync(path.join(cacheRoot, `${major}.installing-`));
  try {
    // The same manifest as the release spec's: `allowScripts` lets the `node` package's preinstall run, by name.
    const manifest = { private: true, dependencies: { node: `^${major}.0.0` }, allowScripts: { node: true } };
    fs.writeFileSync(path.join(fresh, 'package.json'), JSON.stringify(manifest));
    const result = await run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock'], fresh);
    if (result.code !== 0) throw new Error(`npm install of node@${major} in ${cacheFolder(major)} failed:\n${result.output}`);
    if (!installedIn(dir, major)) {
      fs.rmSync(dir, { recursive: true, force: true }); // another version, or a broken install
      try {
        fs.renameSync(fresh, dir);
      } catch (error) {
        if (!installedIn(dir, major)) throw error; // else another run finished first
      }
    }
  } finally {
    fs.rmSync(fresh, { recursive: true, force: true });
  }
  if (!installedIn(dir, major)) throw new Error(`${cacheFolder(major)}: the install did not give node@${major}`);
  return binaryIn(dir);
}

module.exports = { majorOf, cacheFolder, cachedNode, installNode };
