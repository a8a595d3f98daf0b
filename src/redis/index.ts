/**
 * `circuit-breaker-decorator/redis`: one circuit for a fleet of processes,
 * shared through Redis with `RedisCircuitStore`: one server, Sentinel (through
 * ioredis) or a Redis Cluster, with ioredis or node-redis (`redis`) 5 or 6,
 * optional peer dependencies: install the one you use. Pass the store as a
 * breaker's `store` option; breakers of the same name on the same Redis share a circuit.
 *
 * @example
 * ```ts
 * import { RedisCircuitStore } from 'circuit-breaker-decorator/redis';
 * const store = new RedisCircuitStore({ url: 'redis://127.0.0.1:6379' });
 * const breaker = new CircuitBreaker({ name: 'payments-api', store });
 * ```
 *
 * @packageDocumentation
 */
export { RedisCircuitStore } from './redis-circuit-store';
export type { RedisCircuitStoreOptions, RedisClientLike } from './redis-circuit-store';
