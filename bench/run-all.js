#!/usr/bin/env node
// `npm run bench`: the benchmark on every Node release services run today. Builds once
// (bench/build.js: bench/.out is CommonJS, ES2022, and runs on every release), then runs
// bench/.out/bench/main.js under each release in turn, one after the other (never two at once: each
// run's contenders are interleaved within it), and prints a summary with a column per release,
// then each release's tables.
//
// Releases: the machine's Node, and Node 24 and 26 from the npm registry's `node` package, installed
// once into node_modules/.cache/node-releases/<major> (bench/node-releases.js: the same cache as
// spec/package/node-releases.spec.ts), all installed before the first run starts.
// BENCH_NODE=current (the machine's Node only) or a list of majors (BENCH_NODE=20,24,26).
// A release that cannot be installed is skipped with one line; under CI=true that fails the run.
//
// BENCH_SMOKE=1 (`npm run bench:smoke`, part of npm test): tiny counts, and no install: the machine's
// Node, plus each other release already in the cache (npm test runs it after `test:package`, which
// installs them), one line for each one left out.
// BENCH_OUT=path writes the whole markdown there too. Other BENCH_* variables reach main.js.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { cacheFolder, cachedNode, installNode, majorOf } = require('./node-releases');

const root = path.resolve(__dirname, '..');
const SMOKE = process.env.BENCH_SMOKE === '1';
const CI = process.env.CI === 'true';
const here = majorOf(process.version);
const OTHERS = [24, 26];

function log(text) {
  process.stderr.write(`bench: ${text}\n`);
}

function requested() {
  const asked = (process.env.BENCH_NODE ?? '').trim();
  if (asked === 'current') return [here];
  const majors = asked === '' ? [here, ...OTHERS] : asked.split(',').map((m) => majorOf(m.trim()));
  for (const m of majors) if (!Number.isInteger(m) || m < 1) throw new Error(`BENCH_NODE: not a Node major release: ${asked}`);
  return [...new Set(majors)];
}

function source(major, binary) {
  return binary === process.execPath ? "the machine's Node" : `node@${major} from the npm registry, ${cacheFolder(major)}`;
}

/** [{ major, binary }] for each release to run; installs what is missing (not in a smoke run). */
async function releases() {
  const majors = requested();
  if (SMOKE) {
    const out = [];
    for (const major of majors) {
      const binary = cachedNode(major);
      if (binary !== undefined) out.push({ major, binary });
      else log(`Node ${major} left out of the smoke run: not in ${cacheFolder(major)} (a smoke run installs nothing; \`npm run bench\` or \`npm run test:package\` installs it)`);
    }
    return out;
  }
  const installs = majors.map(async (major) => {
    const cached = cachedNode(major) !== undefined;
    const started = Date.now();
    if (!cached) log(`installing node@${major} into ${cacheFolder(major)}`);
    const binary = await installNode(major);
    if (!cached) log(`node@${major} installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { major, binary };
  });
  const out = [];
  let failed = false;
  for (const [i, install] of installs.entries()) {
    try {
      out.push(await install);
    } catch (error) {
      const major = majors[i];
      const reason = String(error.message).split('\n').find((line) => /ERR|error/i.test(line)) ?? String(error.message).split('\n')[0];
      if (CI) {
        log(`Node ${major}: under CI=true every release must run, and node@${major} could not be installed: ${String(error.message)}`);
        failed = true;
      } else log(`Node ${major} skipped: node@${major} could not be installed (${reason.trim()}); under CI=true this fails`);
    }
  }
  if (failed) process.exit(1);
  return out;
}

// ---- the summary: one column per release -------------------------------------------------------

const ns = (v) => (v === undefined || Number.isNaN(v) ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const x = (v) => (v === undefined || Number.isNaN(v) ? '–' : `${v.toFixed(2)}x`);

function summary(runs) {
  const columns = runs.map(({ major, json }) => {
    const n = json.names;
    const [closed, , refusal] = json.medians.map((m) => m.rows);
    const decorated = Math.max(closed[n.legacy], closed[n.standard]);
    const refused = Math.max(refusal[n.call], refusal[n.legacy], refusal[n.standard]);
    const timed = closed[n.callWithTimeout];
    const missed = json.targets.filter((t) => !t.ok).length;
    const rules = json.rules;
    const failureCost = Object.values(json.medians[6].rows);
    const okRows = json.medians[4].rows;
    const flakyRows = json.medians[5].rows;
    return {
      head: `Node ${major} (${json.node})${major === 20 ? ', end of life' : ''}`,
      cells: [
        `opossum ${json.peers.opossum}, cockatiel ${json.peers.cockatiel}`,
        ns(closed[n.bare]),
        ns(decorated),
        x(decorated / closed[n.bare]),
        x(closed[n.cockatiel] / decorated),
        x(closed[n.opossum] / decorated),
        ns(closed[n.call]),
        ns(timed),
        x(timed / closed[n.call]),
        x(closed[n.opossum] / timed),
        x(closed[n.cockatielWithTimeout] / timed),
        ns(refused),
        x(refusal[n.opossum] / refused),
        x(refusal[n.cockatiel] / refused),
        json.heaps.breaker.bytesPerBreaker.toFixed(0),
        `${json.heaps.timeout.timersPerCall * 1000} / ${json.heaps.timeout.activeTimers}`,
        ns(okRows[rules.consecutive]),
        x(okRows[rules.count] / okRows[rules.consecutive]),
        x(okRows[rules.time] / okRows[rules.consecutive]),
        x(okRows[rules.slow] / okRows[rules.consecutive]),
        x(flakyRows[rules.count] / flakyRows[rules.consecutive]),
        x(flakyRows[rules.time] / flakyRows[rules.consecutive]),
        x(okRows[rules.cockatielCount] / okRows[rules.count]),
        x(okRows[rules.cockatielSampling] / okRows[rules.time]),
        x(okRows[rules.opossum] / okRows[rules.time]),
        x(failureCost[3] / failureCost[2]),
        missed === 0 ? `all ${json.targets.length}` : `${json.targets.length - missed} of ${json.targets.length}`,
      ],
    };
  });
  const labels = [
    'peers compared',
    'bare `await` (floor), ns/call',
    'decorated CLOSED call (slower mode), ns/call',
    '… ÷ bare `await`',
    '… cockatiel ÷ decorated',
    '… opossum (defaults) ÷ decorated',
    '`breaker.call(fn)`, ns/call',
    '… with `timeout: 10000`, ns/call',
    '… with ÷ without `timeout`',
    '… opossum (defaults, a timer per call) ÷ ours with `timeout`',
    '… cockatiel (breaker + timeout policy) ÷ ours with `timeout`',
    'refusal while OPEN (slowest of ours), ns/call',
    '… opossum ÷ ours',
    '… cockatiel ÷ ours',
    'bytes of heap per breaker',
    'with `timeout`: timers made for 1,000 calls / ref\'d once settled',
    'trip rules: consecutive rule, CLOSED success, ns/call',
    '… count window ÷ consecutive (target <= 1.10x)',
    '… time window ÷ consecutive (target <= 1.30x)',
    '… time window + `slowCall` ÷ consecutive',
    '… one call in three fails: count window ÷ consecutive',
    '… one call in three fails: time window ÷ consecutive',
    '… cockatiel `CountBreaker` ÷ our count window',
    '… cockatiel `SamplingBreaker` ÷ our time window',
    '… opossum (rolling window) ÷ our time window',
    'a failure in a time window after 1M calls ÷ after 1k (O(1))',
    'targets met',
  ];
  const lines = [`| | ${columns.map((c) => c.head).join(' | ')} |`, `|---|${columns.map(() => '---:|').join('')}`];
  labels.forEach((label, i) => lines.push(`| ${label} | ${columns.map((c) => c.cells[i]).join(' | ')} |`));
  for (const { major, json } of runs) {
    const missed = json.targets.filter((t) => !t.ok);
    if (missed.length > 0) lines.push('', `Missed on Node ${major}: ${missed.map((t) => t.text).join('; ')}.`);
  }
  return lines.join('\n');
}

async function main() {
  const started = Date.now();
  const list = await releases();
  execFileSync(process.execPath, [path.join(__dirname, 'build.js')], { cwd: root, stdio: ['ignore', 2, 2] }); // its line to stderr: stdout is the markdown
  const script = path.join(__dirname, '.out', 'bench', 'main.js');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cbd-bench-'));
  const runs = [];
  const failures = [];
  try {
    for (const { major, binary } of list) {
      const from = source(major, binary);
      log(`Node ${major} (${from})`);
      const jsonFile = path.join(work, `${major}.json`);
      const env = { ...process.env, BENCH_JSON: jsonFile, BENCH_NODE_SOURCE: from };
      delete env.BENCH_OUT;
      const result = spawnSync(binary, ['--expose-gc', script], { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
      if (result.status !== 0) {
        failures.push(`Node ${major}: bench/.out/bench/main.js exited with ${result.status ?? result.signal}`);
        continue;
      }
      runs.push({ major, markdown: result.stdout, json: JSON.parse(fs.readFileSync(jsonFile, 'utf8')) });
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const out = [];
  if (runs.length > 0) {
    out.push(`## Summary: Node ${runs.map((r) => r.json.node).join(', ')}${SMOKE ? ' (BENCH_SMOKE=1: tiny counts, the times mean nothing)' : ''}`, '');
    out.push('Medians of one interleaved run per release, each run alone on the machine; the ratios compare rows of the same run.', '');
    out.push(summary(runs));
    for (const r of runs) out.push('', `## Node ${r.major} (${r.json.node})`, '', r.markdown.trimEnd());
  }
  out.push('', `(${runs.length} release${runs.length === 1 ? '' : 's'} in ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  const markdown = out.join('\n') + '\n';
  process.stdout.write(markdown);
  if (process.env.BENCH_OUT) fs.writeFileSync(process.env.BENCH_OUT, markdown);
  for (const failure of failures) log(failure);
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
