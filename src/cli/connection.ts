/**
 * How the CLI connects: through ioredis when the app has it, else node-redis (`redis`). Each library's
 * connection is a module of its own, required only when chosen, so that a missing one is said plainly.
 */
import type { RedisClientLike } from '../redis/connections';
// Types only (erased): they put both modules in the build, which follows imports, not require().
import type * as IoredisConnect from './connect-ioredis';
import type * as NodeRedisConnect from './connect-node-redis';

/** A connected client (a node's, or a cluster's), and how to end it. */
export interface Connection {
  readonly client: RedisClientLike;
  close(): void;
}

/** What connects to `url` by `deadlineAt`, or rejects with the reason. */
export type Connect = (url: string, deadlineAt: number) => Promise<Connection>;

/** Neither client library is installed. */
export class NoClientLibrary extends Error {
  override readonly name = 'NoClientLibrary';
}

/**
 * The connect function of the first library installed: ioredis, else node-redis.
 * @throws NoClientLibrary when neither is
 */
export function chooseConnect(): Connect {
  // Literal requires: each module is found (and compiled) as an import of this one.
  const candidates: [library: string, load: () => { connectTo: Connect }][] = [
    ['ioredis', () => require('./connect-ioredis') as typeof IoredisConnect],
    ['redis', () => require('./connect-node-redis') as typeof NodeRedisConnect],
  ];
  for (const [library, load] of candidates) {
    try {
      return load().connectTo;
    } catch (error) {
      const { code, message } = error as { code?: string; message?: string };
      if (code !== 'MODULE_NOT_FOUND' || !new RegExp(`['"]${library}['"]`).test(message ?? '')) throw error;
    }
  }
  throw new NoClientLibrary('no Redis client library');
}
