/**
 * `circuit-breaker-decorator/redis`: one circuit for a fleet of processes,
 * shared through Redis with `RedisCircuitStore` (ioredis 5 or 6, an optional
 * peer dependency: install it to use this). Pass the store as a breaker's
 * `store` option; breakers of the same name on the same Redis share a circuit.
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
