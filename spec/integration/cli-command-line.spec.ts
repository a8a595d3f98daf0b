/**
 * The command-line tool (`npx circuit-breaker-decorator`) without a Redis: its command line (help, bad
 * arguments), a missing client library, and a closed port. The CLI runs as a child process of its own.
 */
import { expect } from 'chai';
import { findFreePort } from '../support/redis-server';
import { compiledCli, runCli } from '../cli/run-cli';
import { expectTimely } from './cli-support';

describe('circuit-breaker-decorator (the CLI): its command line, and a closed port (no redis-server needed)', function () {
  this.timeout(20_000);
  this.slow(4_000);

  before(function () {
    this.timeout(30_000);
    compiledCli();
  });

  it('--help, -h and no arguments print the usage (commands, flags, defaults, the timeout, release) and exit 0', async () => {
    const [help, short, bare] = await Promise.all([runCli(['--help']), runCli(['-h']), runCli([])]);
    for (const run of [help, short, bare]) {
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.equal(help.stdout);
    }
    const said = ['circuits', 'isolate NAME', 'release NAME', 'reset NAME', '--redis URL', 'redis://127.0.0.1:6379', '--prefix', "'circuit-breaker:'"];
    said.push('--timeout MS', '(default 2000)', 'exits 1 within the deadline', '--json', 'never closes a circuit without a probe', 'Exit codes', 'ioredis');
    for (const text of said) expect(help.stdout, text).to.include(text);
  });

  it('bad arguments: the reason and the usage on stderr, exit code 2, nothing run', async () => {
    const cases: [string[], string][] = [
      [['bogus'], 'unknown command "bogus"'],
      [['circuits', '--nope'], 'unknown option --nope'],
      [['isolate'], "isolate needs the circuit's NAME"],
      [['reset', 'a', 'b'], 'reset takes one NAME'],
      [['circuits', 'extra'], 'circuits takes no argument'],
      [['circuits', '--timeout', 'soon'], '--timeout must be a whole number'],
      [['circuits', '--timeout', '0'], '--timeout must be a whole number'],
      [['circuits', '--redis'], '--redis needs a value'],
      [['circuits', '--redis', 'http://x'], '--redis must be a redis:// or rediss:// URL'],
      [['circuits', '--prefix', 'a{b'], '--prefix must not contain { or }'],
      [['circuits', '--json=yes'], '--json takes no value'],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli(args)));
    runs.forEach((run, i) => {
      const [args, reason] = cases[i]!;
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).to.equal(2);
      expect(run.stderr, args.join(' ')).to.include(reason).and.to.include('Usage: circuit-breaker-decorator');
      expect(run.stdout, args.join(' ')).to.equal('');
    });
  });

  it('without ioredis: --help still works; a command says ioredis is missing and how to install it, exit 1', async () => {
    const [help, list] = await Promise.all([runCli(['--help'], { withoutIoredis: true }), runCli(['circuits'], { withoutIoredis: true })]);
    expect(help.code, help.stderr).to.equal(0);
    expect(list.code).to.equal(1);
    expect(list.stderr).to.include('needs ioredis').and.to.include('npm install ioredis');
    expect(list.stderr).not.to.include('    at '); // a message, not a stack trace
  });

  it('a closed port: exit 1 at once, saying Redis refused the connection', async () => {
    const url = `redis://127.0.0.1:${await findFreePort()}`;
    const timeout = 1_000;
    const [list, reset] = await Promise.all([
      runCli(['circuits', '--redis', url, '--timeout', String(timeout)]),
      runCli(['reset', 'payments-api', '--redis', url, '--timeout', String(timeout)]),
    ]);
    for (const run of [list, reset]) {
      expectTimely(run, timeout, url);
      expect(run.stderr).to.include('Redis refused the connection').and.to.include('ECONNREFUSED').and.to.include('nothing was changed');
    }
    console.log(`      closed port: circuits ${list.ms.toFixed(0)} ms, reset ${reset.ms.toFixed(0)} ms (--timeout ${timeout})`);
  });
});
