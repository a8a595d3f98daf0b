#!/usr/bin/env node
/**
 * `npx circuit-breaker-decorator <command>`: an operator's view of the
 * circuits a fleet shares through RedisCircuitStore (see `--help`, and
 * docs/fleet.md#the-operators-view). ioredis, an optional peer dependency
 * of the package (or node-redis, when ioredis is not installed), is loaded
 * only once the command line is understood, so that `--help` works without
 * it and its absence is said plainly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, redact, UsageError, type Parsed } from './args';
import { USAGE } from './usage';
import type { Progress } from './session';

const PROGRAM = 'circuit-breaker-decorator';

function write(stream: NodeJS.WriteStream, text: string): void {
  stream.write(text);
}

/** The command line parsed, or exit 2 with the message and the usage on stderr. */
function parse(argv: readonly string[]): Parsed {
  try {
    return parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    write(process.stderr, `${PROGRAM}: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
}

/** `./session`, loaded once the command line is understood (it loads a client library when it connects). */
function loadSession(): typeof import('./session') {
  return require('./session') as typeof import('./session');
}

/** Neither ioredis nor node-redis is installed: say so, and how to fix it; exit 1. */
function noClientLibrary(): never {
  write(
    process.stderr,
    `${PROGRAM}: this command needs ioredis (or node-redis, the package redis), an optional peer dependency of ${PROGRAM} that is not installed.\n` +
      `Install it beside the package (npm install ioredis), or run the command where your service's node_modules has it.\n`,
  );
  process.exit(1);
}

function version(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: readonly string[]): Promise<void> {
  const parsed = parse(argv);
  if (parsed.kind === 'help') return write(process.stdout, USAGE);
  if (parsed.kind === 'version') return write(process.stdout, `${version()}\n`);
  const { options } = parsed;
  // The deadline counts from the start of the process (performance.now() is 0 then).
  const deadlineAt = options.timeout;
  const where = `(Redis ${redact(options.redis)}, --timeout ${options.timeout} ms)`;
  const progress: Progress = { stage: 'connecting' };
  const what = parsed.kind === 'list' ? 'circuits' : `${parsed.action} ${parsed.name}`;
  // The backstop: whatever ioredis does, the process ends by the deadline.
  const backstop = setTimeout(() => {
    const doing =
      progress.stage === 'connecting'
        ? 'while connecting; nothing was changed'
        : progress.stage === 'writing'
          ? 'to the write: applied only if Redis ran it before the deadline (Redis does not apply it after); check with circuits'
          : 'while reading; nothing was changed';
    write(process.stderr, `${PROGRAM}: ${what}: no answer from Redis within the timeout, ${doing} ${where}\n`);
    process.exit(1);
  }, Math.max(0, deadlineAt - performance.now()));
  const session = loadSession();
  try {
    process.exitCode = await session.execute(parsed, deadlineAt, progress, {
      out: (text) => write(process.stdout, text),
      err: (text) => write(process.stderr, text),
    });
  } catch (error) {
    if (error instanceof session.NoClientLibrary) noClientLibrary();
    if (!(error instanceof session.RedisFailure)) throw error;
    const written =
      progress.stage !== 'writing'
        ? '; nothing was changed'
        : /no answer/.test(error.message)
          ? '; applied only if Redis ran it before the deadline (Redis does not apply it after); check with circuits'
          : '';
    write(process.stderr, `${PROGRAM}: ${what}: ${error.message}${written} ${where}\n`);
    process.exitCode = 1;
  } finally {
    clearTimeout(backstop);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  write(process.stderr, `${PROGRAM}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
