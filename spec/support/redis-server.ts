import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * A real `redis-server` for integration specs: one process on a free loopback
 * port, with a temporary directory and no persistence, that a spec can kill,
 * freeze and restart to stage an outage.
 *
 * Every server started here is stopped when the Node process exits, even when
 * a spec fails or forgets to; specs should still call {@link RedisServer.close}
 * in an `after` hook so that one suite's server does not outlive it.
 *
 * @example
 * let server: RedisServer;
 * before(async () => { server = await RedisServer.start(); });
 * after(() => server.close());
 * it('survives an outage', async () => {
 *   await server.kill();      // SIGKILL: the port refuses connections
 *   await server.restart();   // the same port, an empty dataset
 * });
 */
export class RedisServer {
  /** The loopback address the server listens on. */
  readonly host: string;
  /** The port, found free when the server was first started and kept across restarts. */
  readonly port: number;
  /** The server's working directory (a fresh temporary directory, removed by `close()`). */
  readonly dir: string;

  /** Servers to stop if the process exits with them still running. */
  private static readonly live = new Set<RedisServer>();
  static {
    process.once('exit', () => {
      for (const server of RedisServer.live) server.killNow();
    });
  }

  private process: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';
  private closed = false;

  private constructor(
    private readonly executable: string,
    host: string,
    port: number,
    private readonly options: Required<Pick<RedisServerOptions, 'startTimeout' | 'extraArgs'>>,
  ) {
    this.host = host;
    this.port = port;
    this.dir = mkdtempSync(join(tmpdir(), 'redis-server-spec-'));
  }

  /**
   * Starts a `redis-server` on a free loopback port and waits until it answers PING.
   *
   * @throws Error when no `redis-server` can be found (see {@link findRedisServer}),
   *   or when it does not answer PING within `startTimeout` (the message carries its output)
   */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const executable = options.executable ?? findRedisServer();
    if (executable === undefined) throw new Error(`redis-server not found on PATH (${REDIS_SERVER_INSTALL_HINT})`);
    const host = options.host ?? '127.0.0.1';
    const settings = { startTimeout: options.startTimeout ?? 5_000, extraArgs: options.extraArgs ?? [] };
    // Another process may take the free port between our probe and redis-server's bind: try a few.
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const server = new RedisServer(executable, host, options.port ?? (await findFreePort(host)), settings);
      RedisServer.live.add(server);
      try {
        await server.launch();
        return server;
      } catch (error) {
        lastError = error;
        await server.close();
        if (options.port !== undefined) break;
      }
    }
    throw lastError;
  }

  /** `redis://host:port`, for a client. */
  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  /** The process id of the running server, or undefined when it is not running. */
  get pid(): number | undefined {
    return this.running ? this.process?.pid : undefined;
  }

  /** Whether the server process is alive (it may be frozen by {@link pause}). */
  get running(): boolean {
    const child = this.process;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** What the server printed (its log goes to stdout), for a failing spec's message. */
  get log(): string {
    return this.output;
  }

  /**
   * Ends the server abruptly and waits until it has exited: with the default
   * `SIGKILL` it neither saves nor closes connections gracefully, so clients
   * see their connections reset and new connections refused.
   */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.process;
    if (child === undefined || !this.running) return;
    child.kill(signal);
    await withDeadline(this.exited, 5_000, `redis-server (pid ${child.pid}) did not exit on ${signal}`);
  }

  /**
   * Freezes the server with `SIGSTOP`: it keeps its connections and the
   * kernel still accepts new ones, but nothing is answered, as with a hung
   * server or a black-holed network. Undo with {@link resume}.
   */
  pause(): void {
    if (this.running) this.process!.kill('SIGSTOP');
  }

  /** Resumes a server frozen by {@link pause} (`SIGCONT`). */
  resume(): void {
    if (this.running) this.process!.kill('SIGCONT');
  }

  /**
   * Starts the server again on the same port and directory, after {@link kill}
   * (a running server is killed first). With no persistence, it starts empty.
   */
  async restart(): Promise<void> {
    if (this.closed) throw new Error('redis-server was closed; start a new one');
    await this.kill();
    await this.launch();
  }

  /** Whether the server answers PING within `timeout` ms. Never throws. */
  ping(timeout = 500): Promise<boolean> {
    return ping(this.host, this.port, timeout);
  }

  /** Kills the server (resuming it first if frozen) and removes its directory. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    RedisServer.live.delete(this);
    try {
      await this.kill();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** Synchronous last resort, for the process's `exit` event. */
  private killNow(): void {
    const pid = this.pid;
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const args = [
      '--port', String(this.port),
      '--bind', this.host,
      '--save', '',
      '--appendonly', 'no',
      '--dir', this.dir,
      '--daemonize', 'no',
      '--logfile', '',
      '--loglevel', 'warning',
      ...this.options.extraArgs,
    ];
    const child = spawn(this.executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    this.output = '';
    const collect = (chunk: Buffer): void => {
      // Keep the tail only: a long-lived server must not grow this without bound.
      this.output = (this.output + chunk.toString()).slice(-16_384);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    this.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let spawnError: Error | undefined;
    child.once('error', (error) => {
      spawnError = error;
    });

    const deadline = Date.now() + this.options.startTimeout;
    while (Date.now() < deadline) {
      if (spawnError !== undefined) throw spawnError;
      if (!this.running) break;
      if (await this.ping(Math.max(1, Math.min(250, deadline - Date.now())))) return;
      await sleep(20);
    }
    const why = this.running ? `did not answer PING within ${this.options.startTimeout} ms` : 'exited while starting';
    await this.kill();
    throw new Error(`redis-server on ${this.host}:${this.port} ${why}. Its output:\n${this.output}`);
  }
}

/** Options of {@link RedisServer.start}. */
export interface RedisServerOptions {
  /**
   * The loopback address to bind.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * A fixed port. Without it, a free one is found by binding port 0.
   * @default a free port
   */
  readonly port?: number;
  /**
   * The `redis-server` binary.
   * @default `findRedisServer()`
   */
  readonly executable?: string;
  /**
   * Milliseconds to wait for the first PONG.
   * @default 5_000
   */
  readonly startTimeout?: number;
  /** More `redis-server` arguments, such as `['--maxmemory', '10mb']`. */
  readonly extraArgs?: readonly string[];
}

/** How to get a `redis-server`, for skip and error messages. */
export const REDIS_SERVER_INSTALL_HINT = 'apt-get install -y redis-server';

/**
 * The path of a `redis-server` executable: `$REDIS_SERVER` if set, else the
 * first one on `PATH` (or in `/usr/sbin`, `/usr/local/bin`), else undefined.
 */
export function findRedisServer(): string | undefined {
  const candidates = process.env.REDIS_SERVER
    ? [process.env.REDIS_SERVER]
    : [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/bin', '/usr/bin']
        .filter((dir) => dir !== '')
        .map((dir) => join(dir, 'redis-server'));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

let skipReported = false;

/**
 * The policy for a suite that needs a real Redis, for a mocha `before` hook:
 * returns the `redis-server` path when there is one; otherwise, outside CI,
 * prints one line saying how to install it and skips the suite, and under
 * `CI=true` throws, so that CI never passes without having run it.
 *
 * @example
 * before(function () { requireRedisServer(this); });
 */
export function requireRedisServer(context: Mocha.Context): string {
  const executable = findRedisServer();
  if (executable !== undefined) return executable;
  const message = `redis integration skipped: redis-server not found (${REDIS_SERVER_INSTALL_HINT})`;
  if (process.env.CI === 'true') {
    throw new Error(`${message.replace('skipped', 'cannot be skipped under CI=true')}`);
  }
  if (!skipReported) {
    skipReported = true;
    console.log(message);
  }
  return context.skip();
}

/**
 * Whether a Redis on `host:port` answers `PING` with `PONG` within `timeout`
 * ms, over a raw socket (no client library, so the harness tests the server alone).
 */
export function ping(host: string, port: number, timeout = 500): Promise<boolean> {
  return new Promise((resolve) => {
    let reply = '';
    const socket = connect({ host, port });
    const done = (answer: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeout);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      // A loading server answers -LOADING: not ready yet.
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

/** A port that was free a moment ago on `host`, found by binding port 0. */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen({ host, port: 0, exclusive: true }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error(`no free port on ${host}`))));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
