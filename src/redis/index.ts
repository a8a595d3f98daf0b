export { RedisCircuitStore } from './redis-circuit-store';
export type { RedisCircuitStoreOptions } from './redis-circuit-store';
