import { RedisCircuitAdmin } from '../redis/admin';
import { chooseConnect } from './connection';

export { NoClientLibrary } from './connection';
import type { Parsed } from './args';
import { describeResult, table } from './format';

/** Where a command is, for the message if the deadline passes there. */
export interface Progress {
  stage: 'connecting' | 'reading' | 'writing';
}

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** A failure to report on stderr with exit code 1 (Redis refused, failed, or did not answer). */
export class RedisFailure extends Error {
  override readonly name = 'RedisFailure';
}

/**
 * Connects to Redis and runs a parsed command, against `deadlineAt` (a
 * `performance.now()` time): the connection and every command carry timeouts
 * that end by then, nothing is queued while disconnected and nothing retried.
 * (The caller also holds a process-level deadline, as a backstop.)
 *
 * @returns the exit code (0 done, 1 a write Redis did not apply, 3 no such circuit)
 * @throws RedisFailure when Redis refuses, fails or times out
 */
export async function execute(parsed: Exclude<Parsed, { kind: 'help' | 'version' }>, deadlineAt: number, progress: Progress, io: Output): Promise<number> {
  const { options } = parsed;
  const connectTo = chooseConnect();
  progress.stage = 'connecting';
  const connection = await connectTo(options.redis, deadlineAt).catch((error: Error) => {
    throw new RedisFailure(connectFailure(error));
  });
  try {
    const remaining = Math.max(1, Math.floor(deadlineAt - performance.now()));
    const admin = new RedisCircuitAdmin({ client: connection.client, prefix: options.prefix, deadline: deadlineAt, commandTimeout: remaining });
    progress.stage = 'reading';
    if (parsed.kind === 'list') {
      const circuits = await admin.list().catch(commandFailure);
      if (options.json) io.out(`${JSON.stringify(circuits, null, 2)}\n`);
      else if (circuits.length === 0) io.out(`no circuits under prefix '${options.prefix}'\n`);
      else io.out(table(circuits));
      return 0;
    }
    const { action, name } = parsed;
    if (!options.force && (await admin.get(name).catch(commandFailure)) === undefined) {
      io.err(
        `circuit-breaker-decorator: no circuit named ${JSON.stringify(name)} under prefix '${options.prefix}' ` +
          `(no key of it, no live member): nothing done. See the names with 'circuits', or pass --force to ${action} it anyway.\n`,
      );
      return 3;
    }
    progress.stage = 'writing';
    const result = await admin[action](name).catch(commandFailure);
    if (options.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
    else if (result.outcome === 'late') io.err(`circuit-breaker-decorator: ${describeResult(result)}\n`);
    else io.out(`${describeResult(result)}\n`);
    return result.outcome === 'late' ? 1 : 0;
  } finally {
    connection.close();
  }
}

function connectFailure(error: Error): string {
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED') return `Redis refused the connection (${error.message})`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `Redis's host was not found (${error.message})`;
  if (/timed out|timeout|ETIMEDOUT/i.test(error.message)) return `no answer from Redis while connecting (${error.message})`;
  return `could not connect to Redis: ${error.message}`;
}

function commandFailure(error: Error): never {
  if (/timed out/i.test(error.message)) throw new RedisFailure(`no answer from Redis (${error.message})`);
  throw new RedisFailure(`Redis failed the command: ${error.message}`);
}
