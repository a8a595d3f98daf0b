// Shared by the specs of spec/package (one mocha run, `npm run test:package`): the
// package built, packed and installed into a temporary app once per run, and
// tools installed once into node_modules/.cache (TypeScript 6 and 7, Node releases).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

export const root = resolve(__dirname, '..', '..');
export const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const cache = join(root, 'node_modules', '.cache');

export interface Run {
  readonly code: number;
  readonly output: string;
}

/** Runs a command without a shell; resolves with its exit code and output, never rejects. */
export function run(command: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((done) => {
    execFile(command, args, { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      done({ code, output: `${stdout}${stderr}` });
    });
  });
}

export function npmSync(args: readonly string[], cwd: string): string {
  return execFileSync(npm, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * `node_modules/.cache/<name>/node_modules/...`, installed on the first run from
 * `manifest` (a package.json) unless `installed(dir)` says it is there. The install
 * goes to a fresh folder renamed into place, so a concurrent run never sees half of one.
 * Rejects when npm fails.
 */
export async function cached(name: string, manifest: object, installed: (dir: string) => boolean): Promise<string> {
  const dir = join(cache, name);
  if (installed(dir)) return dir;
  mkdirSync(dirname(dir), { recursive: true });
  const fresh = mkdtempSync(join(dirname(dir), `${basename(dir)}.installing-`));
  try {
    writeFileSync(join(fresh, 'package.json'), JSON.stringify({ private: true, ...manifest }));
    const result = await run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock'], fresh);
    if (result.code !== 0) throw new Error(`npm install in node_modules/.cache/${name} failed:\n${result.output}`);
    if (installed(dir)) return dir; // another run finished first
    rmSync(dir, { recursive: true, force: true }); // an install of another version, or a broken one
    try {
      renameSync(fresh, dir);
    } catch (error) {
      if (!installed(dir)) throw error;
    }
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
  if (!installed(dir)) throw new Error(`node_modules/.cache/${name}: the install did not give what was asked for`);
  return dir;
}

/** `tsc` of TypeScript `major` (6 or 7), from the cache (its `tsc` bin would shadow TypeScript 5.9's as a devDependency). */
export async function typescript(major: 6 | 7): Promise<string> {
  const manifest = (dir: string) => join(dir, 'node_modules', 'typescript', 'package.json');
  const isMajor = (dir: string) => existsSync(manifest(dir)) && (JSON.parse(readFileSync(manifest(dir), 'utf8')) as { version: string }).version.startsWith(`${major}.`);
  const dir = await cached(`typescript${major}`, { dependencies: { typescript: `^${major}.0.0` } }, isMajor);
  return join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
}

export interface Packed {
  /** The temporary folder; removed when the process exits. */
  readonly work: string;
  /** A CommonJS app with the tarball installed, each integration's library and sinon linked from this repo. */
  readonly app: string;
  readonly tarball: string;
  /** The tarball's files, sorted. */
  readonly packed: readonly string[];
}

export interface Subpath {
  readonly dir: string;
  readonly libraries: readonly string[];
}

/** The integration subpaths that exist, from scripts/package-entries.mjs. */
export function subpaths(): Subpath[] {
  const script = `import('./scripts/package-entries.mjs').then((m) => console.log(JSON.stringify(m.entries(process.cwd()).filter((e) => e.dir !== ''))))`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' })) as Subpath[];
}

let packing: Promise<Packed> | undefined;

/** `npm run build`, `npm pack`, and the tarball installed into a temporary app: once per process. */
export function packedApp(): Promise<Packed> {
  packing ??= Promise.resolve().then(() => {
    const work = mkdtempSync(join(tmpdir(), 'cbd-pack-'));
    process.once('exit', () => rmSync(work, { recursive: true, force: true }));
    const app = join(work, 'app');
    mkdirSync(app);
    npmSync(['run', 'build', '--silent'], root);
    const [pack] = JSON.parse(npmSync(['pack', '--ignore-scripts', '--json', '--pack-destination', work], root)) as {
      filename: string;
      files: { path: string }[];
    }[];
    const tarball = join(work, pack!.filename);
    const packed = pack!.files.map((file) => file.path).sort();
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer-app', private: true, type: 'commonjs' }));
    // The tarball; each integration's library (an optional peer) and sinon linked from this repo: no registry round trip for those.
    const linked = [...subpaths().flatMap((entry) => entry.libraries), 'sinon'].map((library) => join(root, 'node_modules', library));
    npmSync(['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', tarball, ...linked], app);
    return { work, app, tarball, packed };
  });
  return packing;
}
