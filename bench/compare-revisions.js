#!/usr/bin/env node
// `npm run bench:compare -- <rev> [<rev> ...]`: the hot path of each git revision (and of the work tree,
// always included as `work-tree`), measured in one process with the revisions interleaved, so that a
// change to src/ is judged against its parent on the same machine in the same minute.
//
// Each revision's src/ is taken with `git archive` into bench/.out/revisions/<rev>/ and transpiled there
// (CommonJS, legacy decorators, no type-check); the decorated method is decorated by hand (the legacy
// decorator call), so no fixture of the revision is needed. Scenarios: a decorated method CLOSED and
// succeeding, `breaker.call` CLOSED and succeeding (without and with a `timeout`), a refusal while OPEN, keyed circuits
// (a decorated method keyed by its argument, beside the same method unkeyed; `call(key, fn)`), and a bare
// `await` as the floor.
// Each round times every (scenario, revision) once, in an order rotated per round; the table shows the
// median ns per call over rounds and the ratio to the floor. BENCH_ROUNDS (default 21), BENCH_BATCH (20000).
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.resolve(__dirname, '..');
const out = path.join(__dirname, '.out', 'revisions');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 21);
const BATCH = Number(process.env.BENCH_BATCH ?? 20_000);

function transpileTree(from, to) {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) transpileTree(source, path.join(to, entry.name));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const { outputText } = ts.transpileModule(fs.readFileSync(source, 'utf8'), {
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, esModuleInterop: true, useDefineForClassFields: true, experimentalDecorators: true },
        fileName: source,
      });
      fs.mkdirSync(to, { recursive: true });
      fs.writeFileSync(path.join(to, entry.name.replace(/\.ts$/, '.js')), outputText);
    }
  }
}

/** The revision's package entry point, transpiled. */
function build(rev) {
  const dir = path.join(out, rev.replace(/[^\w.-]/g, '_'));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  let srcDir = path.join(root, 'src');
  if (rev !== 'work-tree') {
    const tar = execFileSync('git', ['archive', '--format=tar', rev, 'src'], { cwd: root, maxBuffer: 1 << 28 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
    srcDir = path.join(dir, 'src');
  }
  transpileTree(srcDir, path.join(dir, 'js'));
  return require(path.join(dir, 'js', 'index.js'));
}

const LONG = 60_000;
const work = () => Promise.resolve(1);

async function scenarios(lib) {
  const { CircuitBreaker } = lib;
  class Service {
    async ok() {
      return 1;
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(Service.prototype, 'ok');
  const decorated = CircuitBreaker({ failureThreshold: 3, resetTimeout: LONG })(Service.prototype, 'ok', descriptor);
  Object.defineProperty(Service.prototype, 'ok', decorated ?? descriptor);
  const service = new Service();
  const breaker = new CircuitBreaker({ failureThreshold: 3, resetTimeout: LONG });
  const timed = new CircuitBreaker({ failureThreshold: 3, resetTimeout: LONG, timeout: 10_000 });
  const open = new CircuitBreaker({ failureThreshold: 1, resetTimeout: LONG });
  await open.call(() => Promise.reject(new Error('down'))).catch(() => undefined); // OPEN for a minute: every call refused
  /** A breaker with options a revision may not know: undefined there (its scenario is skipped). */
  const maybe = (options) => {
    try {
      return new CircuitBreaker(options);
    } catch {
      return undefined;
    }
  };
  const rules = {
    'rule: count window': maybe({ failureRate: { threshold: 0.5, window: { calls: 100 } }, resetTimeout: LONG }),
    'rule: time window': maybe({ failureRate: { threshold: 0.5, window: { duration: 10_000 } }, resetTimeout: LONG }),
    'rule: time window shared by a fleet store': lib.InMemoryCircuitStore === undefined ? undefined : maybe({ name: 'bench-fleet-window', store: new lib.InMemoryCircuitStore(), failureRate: { threshold: 0.5, window: { duration: 10_000 } }, resetTimeout: LONG }),
    'rule: time window + slow calls': maybe({ failureRate: { threshold: 0.5, window: { duration: 10_000 } }, slowCall: { duration: 1_000, threshold: 0.5 }, resetTimeout: LONG }),
  };
  const ruleScenarios = {};
  for (const [name, ruled] of Object.entries(rules)) {
    if (ruled === undefined) continue;
    ruleScenarios[`\`breaker.call\`, CLOSED, success, ${name}`] = async () => {
      for (let i = 0; i < BATCH; i++) await ruled.call(work);
    };
  }
  return {
    ...ruleScenarios,
    ...keyedScenarios(lib, maybe),
    'decorated, CLOSED, success': async () => {
      for (let i = 0; i < BATCH; i++) await service.ok();
    },
    '`breaker.call`, CLOSED, success': async () => {
      for (let i = 0; i < BATCH; i++) await breaker.call(work);
    },
    '`breaker.call` with `timeout`, CLOSED, success': async () => {
      for (let i = 0; i < BATCH; i++) await timed.call(work);
    },
    'refusal (OPEN)': async () => {
      for (let i = 0; i < BATCH; i++) {
        try {
          await open.call(work);
        } catch {}
      }
    },
  };
}

/** Keyed circuits (a breaker per key) beside an unkeyed method taking the same argument; skipped by a revision without `key`. */
function keyedScenarios(lib, maybe) {
  const { CircuitBreaker } = lib;
  const hosts = Array.from({ length: 100 }, (_, i) => `host-${i}.example.com`);
  class Client {
    async get(host) {
      return host;
    }
    async byHost(host) {
      return host;
    }
  }
  const decorate = (name, using) => {
    const descriptor = Object.getOwnPropertyDescriptor(Client.prototype, name);
    Object.defineProperty(Client.prototype, name, using(Client.prototype, name, descriptor) ?? descriptor);
  };
  decorate('get', CircuitBreaker({ failureThreshold: 3, resetTimeout: LONG }));
  const client = new Client();
  const host = hosts[0];
  const unkeyed = {
    'decorated, CLOSED, success, one argument': async () => {
      for (let i = 0; i < BATCH; i++) await client.get(host);
    },
  };
  let decorator;
  try {
    decorator = CircuitBreaker({ key: (host) => host, maxKeys: 1_000, failureThreshold: 3, resetTimeout: LONG });
  } catch {
    return unkeyed;
  }
  decorate('byHost', decorator);
  const keyed = maybe({ key: true, maxKeys: 1_000, resetTimeout: LONG });
  return {
    ...unkeyed,
    'decorated, CLOSED, success, one argument, keyed by it (one key)': async () => {
      for (let i = 0; i < BATCH; i++) await client.byHost(host);
    },
    'decorated, CLOSED, success, one argument, keyed by it (100 keys in turn)': async () => {
      for (let i = 0; i < BATCH; i++) await client.byHost(hosts[i % 100]);
    },
    '`breaker.call`, CLOSED, success, keyed (`call(key, fn)`, one key)': async () => {
      for (let i = 0; i < BATCH; i++) await keyed.call(host, work);
    },
  };
}

async function main() {
  const revs = [...process.argv.slice(2), 'work-tree'];
  const runs = [];
  const floor = async () => {
    for (let i = 0; i < BATCH; i++) await work();
  };
  runs.push({ rev: '-', scenario: 'bare `await` (floor)', loop: floor });
  for (const rev of revs) {
    for (const [scenario, loop] of Object.entries(await scenarios(build(rev)))) runs.push({ rev, scenario, loop });
  }
  const samples = new Map(runs.map((r) => [r, []]));
  for (let round = 0; round < ROUNDS + 2; round++) {
    for (let i = 0; i < runs.length; i++) {
      const run = runs[(i + round) % runs.length];
      const started = process.hrtime.bigint();
      await run.loop();
      const ns = Number(process.hrtime.bigint() - started) / BATCH;
      if (round >= 2) samples.get(run).push(ns); // two rounds of warm-up
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const floorNs = median(samples.get(runs[0]));
  console.log(`node ${process.version}, ${ROUNDS} rounds of ${BATCH} awaited calls, median ns per call\n`);
  console.log('| scenario | revision | ns/call | x floor |\n|---|---|---:|---:|');
  const sorted = [...runs].sort((a, b) => a.scenario.localeCompare(b.scenario));
  for (const run of sorted) {
    const ns = median(samples.get(run));
    console.log(`| ${run.scenario} | ${run.rev} | ${ns.toFixed(1)} | ${(ns / floorNs).toFixed(2)} |`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
