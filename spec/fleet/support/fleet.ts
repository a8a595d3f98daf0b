/**
 * Forks worker processes (`worker.ts`) that share one named breaker through
 * Redis, and talks to them over IPC. Every request has a deadline; every
 * process forked here is killed when the Node process exits, even when a
 * spec fails or forgets to call `kill()`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { WorkerCommand, WorkerConfig, WorkerEvent, WorkerReply, WorkerView } from './protocol';

const WORKER = join(__dirname, 'worker.ts');

/** process.hrtime in ms: CLOCK_MONOTONIC, the same clock the workers stamp their events with. */
export const now = (): number => Number(process.hrtime.bigint()) / 1e6;

export class FleetProcess {
  /** Every unprompted report, in order of arrival. */
  readonly events: (WorkerEvent & { readonly received: number })[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void }>();
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';

  private static readonly live = new Set<FleetProcess>();
  static {
    process.once('exit', () => {
      for (const worker of FleetProcess.live) worker.killNow();
    });
  }

  constructor(readonly label: string) {
    this.child = fork(WORKER, [], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      env: { ...process.env, TS_NODE_PROJECT: join(__dirname, '..', '..', '..', 'tsconfig.json') },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    FleetProcess.live.add(this);
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-8_192)));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    void this.exited.then(() => {
      FleetProcess.live.delete(this);
      for (const { reject } of this.pending.values()) reject(new Error(`${this.label} exited. Its stderr:\n${this.stderr}`));
      this.pending.clear();
    });
    this.child.on('message', (message: WorkerReply | WorkerEvent) => {
      if ('event' in message) {
        this.events.push({ ...(message as WorkerEvent), received: now() });
        return;
      }
      const waiting = this.pending.get(message.id);
      if (waiting === undefined) return;
      this.pending.delete(message.id);
      if (message.failure !== undefined) waiting.reject(new Error(`${this.label}: ${message.failure}`));
      else waiting.resolve(message);
    });
    this.child.on('error', () => undefined);
  }

  readonly child: ChildProcess;

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a command and waits at most `timeout` ms for the reply. */
  request<T = WorkerReply>(command: WorkerCommand, timeout = 5_000): Promise<T & WorkerView> {
    const id = this.nextId++;
    return new Promise<T & WorkerView>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.label}: no reply to ${command.cmd} within ${timeout} ms`));
      }, timeout);
      this.pending.set(id, {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply as unknown as T & WorkerView);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      if (!this.alive || !this.child.connected) {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(new Error(`${this.label} is not running`));
        return;
      }
      this.child.send({ id, ...command });
    });
  }

  init(config: WorkerConfig): Promise<WorkerView & { ready: boolean }> {
    return this.request<{ ready: boolean }>({ cmd: 'init', config }, config.readyTimeout + 10_000);
  }

  /** Resolves once the process has loaded and answers (forking with ts-node takes a second or two). */
  async loaded(timeout = 15_000): Promise<this> {
    await this.request({ cmd: 'ping' }, timeout);
    return this;
  }

  /** Forgets the reports so far (a new spec). */
  forget(): void {
    this.events.length = 0;
  }

  view(): Promise<WorkerView> {
    return this.request({ cmd: 'view' });
  }

  /** The first state change to `to` at or after `since` (an `now()` time), if any. */
  transition(to: string, since = 0): (WorkerEvent & { event: 'state' }) | undefined {
    return this.events.find((e): e is WorkerEvent & { event: 'state'; received: number } => e.event === 'state' && e.to === to && e.at >= since);
  }

  invocationsSince(since: number): number {
    return this.events.filter((e) => e.event === 'invoked' && e.at >= since).length;
  }

  /** Waits until the process has exited, at most `timeout` ms; undefined if it has not. */
  async exit(timeout: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeout)));
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL, and wait until it is gone (bounded). */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exit(5_000);
  }

  private killNow(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }
}

/** Polls `check` every `every` ms until it returns a value other than undefined/false, for at most `timeout` ms. */
export async function until<T>(what: string, timeout: number, check: () => T | undefined | false | Promise<T | undefined | false>, every = 5): Promise<T> {
  const deadline = now() + timeout;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (now() > deadline) throw new Error(`timed out after ${timeout} ms waiting until ${what}`);
    await sleep(every);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Initializes each worker with `config` (a store and a breaker, joined); throws if one's store is not ready in time. */
export async function initFleet(workers: readonly FleetProcess[], config: WorkerConfig): Promise<void> {
  for (const w of workers) w.forget();
  const views = await Promise.all(workers.map((w) => w.init(config)));
  const late = views.findIndex((v) => !v.ready);
  if (late >= 0) throw new Error(`${workers[late]!.label}: store not ready within ${config.readyTimeout} ms`);
}

/** Forks `n` workers and initializes each with `config`; all are killed if one fails to start. */
export async function startFleet(n: number, config: WorkerConfig, labels = 'p'): Promise<FleetProcess[]> {
  const workers = Array.from({ length: n }, (_, i) => new FleetProcess(`${labels}${i + 1}`));
  try {
    await initFleet(workers, config);
    return workers;
  } catch (error) {
    await Promise.all(workers.map((w) => w.kill()));
    throw error;
  }
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** The q-quantile (nearest rank) of `values`. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
