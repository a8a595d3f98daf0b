/**
 * `circuit-breaker-decorator`: `@CircuitBreaker()` for class methods in both decorator modes, the breaker
 * class under the same name, its errors, events, stats and the fleet's store contract.
 * @packageDocumentation
 */
export { CircuitBreaker } from './decorator/circuit-breaker';
export type { CircuitBreakerConstructor, CircuitBreakerDecorator, CircuitBreakerDecoratorOptions } from './decorator/circuit-breaker';
export type { CircuitBreakerScope } from './decorator/guard';
export { getCircuitBreaker, listCircuitBreakers } from './decorator/registry';
export { getKeyedCircuitBreaker } from './decorator/registry';
export type { KeyedCircuitBreaker, KeyedCircuitBreakerOptions } from './breaker/keyed-breaker';
export type { KeyedCircuitBreakerStats } from './breaker/stats';
export type { CircuitBreakerOptions } from './breaker/options';
export type { FailureRateOptions, HalfOpenOptions, SlowCallOptions } from './breaker/trip-options';
export type { WindowCounts } from './breaker/trip-strategy';
export type { CircuitState } from './events/types';
export type { CircuitBreakerStats } from './breaker/stats';
export { CircuitBreakerOpenException, isCircuitBreakerOpenException } from './errors/circuit-breaker-open-exception';
export { CircuitBreakerTimeoutException, isCircuitBreakerTimeoutException } from './errors/circuit-breaker-timeout-exception';
export { channelNames } from './events/channels';
export type { Disposable } from './events/listeners';
export type { CircuitBreakerLogger, CircuitBreakerLogRecord, CircuitBreakerLogEvent } from './events/logger';
export type {
  CloseEvent,
  FailureEvent,
  HalfOpenEvent,
  OpenEvent,
  RefusalEvent,
  StateChangeEvent,
  SuccessEvent,
  TransitionReason,
} from './events/types';
export { InMemoryCircuitStore } from './store/in-memory-circuit-store';
export type { CircuitStore, CircuitStoreMembership, FleetState, FleetUpdate, ProbeLease } from './store/circuit-store';
export { setCircuitBreakerDefaults } from './decorator/defaults';
export type { CircuitBreakerDefaults } from './decorator/defaults';
