import type { CircuitState, TransitionReason } from './types';

/** The log events, one per transition (the names of the module this package grew from). */
export type CircuitBreakerLogEvent = 'circuit_breaker_opened' | 'circuit_breaker_half_open' | 'circuit_breaker_closed';

/**
 * What a logger receives: one structured record. `message` and `event` both
 * hold the event name, so winston (which reads `message`), pino (which
 * logs the object's fields) and `console` all show it.
 */
export interface CircuitBreakerLogRecord {
  readonly event: CircuitBreakerLogEvent;
  readonly message: CircuitBreakerLogEvent;
  readonly breaker: string;
  readonly from: CircuitState;
  readonly to: CircuitState;
  readonly reason: TransitionReason;
  /** On `circuit_breaker_opened`: the failures that tripped it. */
  readonly failures?: number;
  /** On `circuit_breaker_opened`: this period's wait in ms. */
  readonly resetTimeout?: number;
}

/**
 * A logger: `console`, a pino logger, a winston logger, or anything with
 * `warn` and `info` methods. Each is called with a single record.
 * `circuit_breaker_opened` is logged at `warn`, the others at `info`.
 */
export interface CircuitBreakerLogger {
  warn(record: CircuitBreakerLogRecord): unknown;
  info(record: CircuitBreakerLogRecord): unknown;
}
