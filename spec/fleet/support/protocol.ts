/** Messages between a fleet spec (the parent) and its worker processes (`worker.ts`). */
import type { Library } from '../../support/redis-clients';

/** What the guarded dependency does when invoked: succeed, fail, or never settle. */
export type Outcome = 'ok' | 'fail' | 'hang';

export interface WorkerConfig {
  readonly url: string;
  /**
   * The store's client: made by the store from `url` (ioredis), or a client of that library passed as
   * `{ client }`; `cluster`: a cluster client of that library, over the nodes of `url` (comma-separated).
   * @default the store's own, from `url`
   */
  readonly library?: Library;
  readonly cluster?: boolean;
  readonly name: string;
  readonly failureThreshold: number;
  readonly resetTimeout: number;
  readonly probeLease: number;
  readonly commandTimeout: number;
  /** ms between reconnection attempts (ioredis `retryStrategy`). */
  readonly reconnectEvery: number;
  /** ms `init` waits for the store's connections before replying `ready: false`. */
  readonly readyTimeout: number;
  /** A rate rule instead of failureThreshold (a time window: decided on the fleet's window). */
  readonly failureRate?: { readonly threshold: number; readonly minimumCalls: number; readonly window: { readonly duration: number; readonly buckets: number } };
  /** Members that must trip before the fleet opens. */
  readonly quorum?: number;
}

export type WorkerRequest = { readonly id: number } & (
  | { readonly cmd: 'ping' }
  | { readonly cmd: 'init'; readonly config: WorkerConfig }
  | { readonly cmd: 'dependency'; readonly outcome: Outcome; readonly delay?: number }
  | { readonly cmd: 'call'; readonly outcome?: Outcome }
  | { readonly cmd: 'burst'; readonly n: number; readonly spreadMs: number; readonly outcome?: Outcome; readonly detach?: boolean }
  | { readonly cmd: 'view' }
  | { readonly cmd: 'reset' }
  | { readonly cmd: 'close' }
);

/** Distributes over the union, so that `Omit` keeps each command's own fields. */
export type WorkerCommand = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

/** The breaker as one process sees it. */
export interface WorkerView {
  readonly state: 'CLOSED' | 'OPEN' | 'HALF_OPEN';
  /** Invocations of the dependency in this process so far. */
  readonly invocations: number;
  /** ms until this process's breaker lets a probe through (null unless OPEN). */
  readonly nextProbeIn: number | null;
  /** Whether its store reports itself available. */
  readonly available: boolean;
}

export type WorkerReply = { readonly id: number; readonly failure?: string } & Record<string, unknown>;

export type WorkerEvent =
  | { readonly event: 'state'; readonly at: number; readonly from: string; readonly to: string; readonly reason: string }
  | { readonly event: 'invoked'; readonly at: number; readonly invocations: number };
