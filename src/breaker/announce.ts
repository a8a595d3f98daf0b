import { channels, debug } from '../events/channels';
import { Listeners, rethrowLater } from '../events/listeners';
import type { CircuitBreakerLogger, CircuitBreakerLogRecord } from '../events/logger';
import type {
  CircuitState,
  CloseEvent,
  FailureEvent,
  HalfOpenEvent,
  OpenEvent,
  RefusalEvent,
  StateChangeEvent,
  SuccessEvent,
} from '../events/types';

/**
 * The one place a breaker's events go out, to four outlets: its typed
 * listeners (`onX`), `node:diagnostics_channel`, the `logger` option (for
 * transitions) and `NODE_DEBUG=circuit-breaker`. Each function owns its
 * "anyone listening?" check, so an event nobody hears is never built.
 */

/** A breaker's typed listeners, made on its first `onX()`: most breakers are never listened to, and stay small. */
export class BreakerEvents {
  readonly stateChange = new Listeners<StateChangeEvent>();
  readonly open = new Listeners<OpenEvent>();
  readonly halfOpen = new Listeners<HalfOpenEvent>();
  readonly close = new Listeners<CloseEvent>();
  readonly success = new Listeners<SuccessEvent>();
  readonly failure = new Listeners<FailureEvent>();
  readonly refusal = new Listeners<RefusalEvent>();
}

/** What opened the circuit, for the open event and log. */
export interface Trip {
  /** Failures counted towards the trip (0 when opened by a probe, by hand or by the store). */
  readonly failures: number;
  readonly error: unknown;
  /** This period's wait in ms. */
  readonly wait: number;
}

type Channel = (typeof channels)[keyof typeof channels];

function emit<E>(listeners: Listeners<E> | undefined, channel: Channel, event: E): void {
  listeners?.emit(event);
  if (channel.hasSubscribers) channel.publish(event);
}

/** The breaker an event is about: read only once someone listens. */
interface Source {
  readonly name: string;
  readonly state: CircuitState;
}

export function announceRefusal(events: BreakerEvents | undefined, source: Source, retryAfter: number): void {
  if (events === undefined && !channels.refusal.hasSubscribers) return;
  emit(events?.refusal, channels.refusal, { breaker: source.name, state: source.state, retryAfter });
}

export function announceSuccess(events: BreakerEvents | undefined, source: Source): void {
  if (events === undefined && !channels.success.hasSubscribers) return;
  emit(events?.success, channels.success, { breaker: source.name, state: source.state });
}

export function announceFailure(events: BreakerEvents | undefined, source: Source, error: unknown, failures: number): void {
  if (events === undefined && !channels.failure.hasSubscribers) return;
  emit(events?.failure, channels.failure, { breaker: source.name, state: source.state, error, failures });
}

/**
 * A transition between two public states (or into or out of ISOLATED or
 * DISABLED): the log record, the state change, then the event of the state
 * entered. `probeAt` is the clock time the probe is due (Infinity unless OPEN).
 */
export function announceTransition(
  events: BreakerEvents | undefined,
  logger: CircuitBreakerLogger | undefined,
  change: StateChangeEvent,
  entered: 'OPEN' | 'ISOLATED' | 'HALF_OPEN' | 'CLOSED' | 'DISABLED',
  probeAt: number,
  trip: Trip | undefined,
): void {
  const { breaker, from, to, reason } = change;
  debug('%s %s -> %s (%s)', breaker, from, to, reason);
  if (entered === 'OPEN' || entered === 'ISOLATED') {
    const resetTimeout = entered === 'OPEN' ? (trip?.wait ?? 0) : Infinity;
    const failures = trip?.failures ?? 0;
    log(logger, 'warn', { event: 'circuit_breaker_opened', message: 'circuit_breaker_opened', breaker, from, to, reason, failures, resetTimeout });
    emit(events?.stateChange, channels.stateChange, change);
    if (events === undefined && !channels.open.hasSubscribers) return;
    const event: OpenEvent =
      trip?.error === undefined
        ? { breaker, reason, failures, resetTimeout, probeAt }
        : { breaker, reason, failures, resetTimeout, probeAt, error: trip.error };
    emit(events?.open, channels.open, event);
  } else if (entered === 'HALF_OPEN') {
    log(logger, 'info', { event: 'circuit_breaker_half_open', message: 'circuit_breaker_half_open', breaker, from, to, reason });
    emit(events?.stateChange, channels.stateChange, change);
    emit(events?.halfOpen, channels.halfOpen, { breaker });
  } else {
    log(logger, 'info', { event: 'circuit_breaker_closed', message: 'circuit_breaker_closed', breaker, from, to, reason });
    emit(events?.stateChange, channels.stateChange, change);
    emit(events?.close, channels.close, { breaker, reason });
  }
}

function log(logger: CircuitBreakerLogger | undefined, level: 'warn' | 'info', record: CircuitBreakerLogRecord): void {
  if (logger === undefined) return;
  try {
    logger[level](record);
  } catch (error) {
    // A broken logger must not break the breaker: the bug surfaces as an uncaught exception, later.
    rethrowLater(error);
  }
}

