/** The command line of `circuit-breaker-decorator`, parsed and checked; no I/O. */

export const COMMANDS = ['circuits', 'isolate', 'release', 'reset'] as const;
export type CommandName = (typeof COMMANDS)[number];

export const DEFAULTS = { redis: 'redis://127.0.0.1:6379', prefix: 'circuit-breaker:', timeout: 2000 } as const;

export interface Options {
  readonly redis: string;
  readonly prefix: string;
  /** ms the whole command may take, from the start of the process. */
  readonly timeout: number;
  readonly json: boolean;
  /** Act on NAME even when the store knows no circuit of that name. */
  readonly force: boolean;
}

export type Parsed =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'list'; readonly options: Options }
  | { readonly kind: 'action'; readonly action: Exclude<CommandName, 'circuits'>; readonly name: string; readonly options: Options };

/** A command line that cannot be run: exit code 2, the message and the usage on stderr. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const VALUE_FLAGS = ['--redis', '--prefix', '--timeout'] as const;
const SWITCHES = ['--json', '--force'] as const;

/**
 * Parses `argv` (without node and the script): `COMMAND [NAME] [--redis URL]
 * [--prefix P] [--timeout MS] [--json] [--force]`, flags anywhere, `--flag
 * value` or `--flag=value`, `--` ends the flags. No arguments, `-h`,
 * `--help` or `help` anywhere: help.
 *
 * @throws UsageError for an unknown command or flag, a missing or extra argument, a bad value
 */
export function parseArgs(argv: readonly string[]): Parsed {
  if (argv.length === 0) return { kind: 'help' };
  const values: Record<string, string> = {};
  const switches = new Set<string>();
  const positional: string[] = [];
  let wantsHelp = false;
  let wantsVersion = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') {
      wantsHelp = true;
      continue;
    }
    if (arg === '-v' || arg === '--version') {
      wantsVersion = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if ((SWITCHES as readonly string[]).includes(flag)) {
      if (eq > 0) throw new UsageError(`${flag} takes no value`);
      switches.add(flag);
      continue;
    }
    if (!(VALUE_FLAGS as readonly string[]).includes(flag)) throw new UsageError(`unknown option ${flag}`);
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) throw new UsageError(`${flag} needs a value`);
      i++;
    }
    if (flag in values) throw new UsageError(`${flag} given twice`);
    values[flag] = value;
  }
  if (wantsHelp || positional[0] === 'help') return { kind: 'help' };
  if (wantsVersion) return { kind: 'version' };

  const [command, ...rest] = positional;
  if (command === undefined) throw new UsageError('no command given');
  if (!(COMMANDS as readonly string[]).includes(command)) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  const options: Options = {
    redis: redisUrl(values['--redis'] ?? DEFAULTS.redis),
    prefix: prefix(values['--prefix'] ?? DEFAULTS.prefix),
    timeout: timeout(values['--timeout']),
    json: switches.has('--json'),
    force: switches.has('--force'),
  };
  if (command === 'circuits') {
    if (rest.length > 0) throw new UsageError(`circuits takes no argument, got ${JSON.stringify(rest[0])}`);
    if (options.force) throw new UsageError('--force applies to isolate, release and reset only');
    return { kind: 'list', options };
  }
  const [name, ...extra] = rest;
  if (name === undefined || name.trim() === '') throw new UsageError(`${command} needs the circuit's NAME (see: circuits)`);
  if (extra.length > 0) throw new UsageError(`${command} takes one NAME, got also ${JSON.stringify(extra[0])}`);
  return { kind: 'action', action: command as Exclude<CommandName, 'circuits'>, name, options };
}

function redisUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--redis must be a redis:// or rediss:// URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new UsageError(`--redis must be a redis:// or rediss:// URL, got ${JSON.stringify(redact(value))}`);
  }
  return value;
}

function prefix(value: string): string {
  if (/[{}]/.test(value)) throw new UsageError('--prefix must not contain { or } (the breaker name is the hash tag)');
  return value;
}

function timeout(value: string | undefined): number {
  if (value === undefined) return DEFAULTS.timeout;
  const ms = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(ms) || ms < 1) throw new UsageError(`--timeout must be a whole number of milliseconds >= 1, got ${JSON.stringify(value)}`);
  return ms;
}

/** The URL with its password hidden, for messages. */
export function redact(value: string): string {
  try {
    const url = new URL(value);
    if (url.password === '') return value;
    url.password = '***';
    return url.toString();
  } catch {
    return value.replace(/\/\/[^@/]*@/, '//***@');
  }
}
