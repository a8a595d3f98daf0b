/**
 * A Redis-client wrapper guarded method by method. The client here is an
 * in-memory stand-in with the shape of ioredis' `get`/`set`/`del`, so the
 * example runs anywhere; `examples/redis/` does the same over a real server.
 */
import { CircuitBreaker } from '../src';

/** The slice of a Redis client the wrapper uses (ioredis and node-redis both fit). */
export interface RedisLikeClient {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: 'PX', ttl: number): Promise<'OK' | null>;
  del(key: string): Promise<number>;
}

/** An in-memory stand-in for a Redis server that can be taken down. */
export class InMemoryRedisClient implements RedisLikeClient {
  private readonly data = new Map<string, string>();
  up = true;
  commands = 0;

  async get(key: string): Promise<string | null> {
    this.check('GET');
    return this.data.get(key) ?? null;
  }

  async set(key: string, value: string): Promise<'OK'> {
    this.check('SET');
    this.data.set(key, value);
    return 'OK';
  }

  async del(key: string): Promise<number> {
    this.check('DEL');
    return this.data.delete(key) ? 1 : 0;
  }

  private check(command: string): void {
    this.commands++;
    if (!this.up) throw new Error(`connect ECONNREFUSED 127.0.0.1:6379 (${command})`);
  }
}

export interface Session {
  readonly userId: string;
  readonly roles: readonly string[];
}

/**
 * Each method has its own breaker (`SessionStore#get`, `#set`, `#delete`):
 * reads keep their own count, so a failing write path does not stop reads.
 * A cache miss is the right answer when Redis is down, so `get` answers null
 * both when refused and when Redis fails (the failure still counts).
 */
export class SessionStore {
  constructor(private readonly redis: RedisLikeClient, private readonly ttlMs = 30 * 60_000) {}

  @CircuitBreaker({ failureThreshold: 3, resetTimeout: 10_000, fallback: () => null, fallbackOnFailure: true })
  async get(sessionId: string): Promise<Session | null> {
    const raw = await this.redis.get(`session:${sessionId}`);
    return raw === null ? null : (JSON.parse(raw) as Session);
  }

  @CircuitBreaker({ failureThreshold: 3, resetTimeout: 10_000 })
  async set(sessionId: string, session: Session): Promise<void> {
    await this.redis.set(`session:${sessionId}`, JSON.stringify(session), 'PX', this.ttlMs);
  }

  @CircuitBreaker(3, 10_000)
  async delete(sessionId: string): Promise<boolean> {
    return (await this.redis.del(`session:${sessionId}`)) === 1;
  }
}
