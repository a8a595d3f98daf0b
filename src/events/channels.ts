import diagnosticsChannel from 'node:diagnostics_channel';
import { debuglog } from 'node:util';

/**
 * Names of the `node:diagnostics_channel` channels every breaker publishes
 * to. Tracing tools subscribe by name, without touching the code:
 * `diagnostics_channel.subscribe('circuit-breaker-decorator:open', onOpen)`.
 * Each message is the same event object the matching `onX` listener receives.
 */
export const channelNames = Object.freeze({
  /** Every transition: a `StateChangeEvent`. */
  stateChange: 'circuit-breaker-decorator:state-change',
  /** The circuit opened: an `OpenEvent`. */
  open: 'circuit-breaker-decorator:open',
  /** A probe is let through: a `HalfOpenEvent`. */
  halfOpen: 'circuit-breaker-decorator:half-open',
  /** The circuit closed: a `CloseEvent`. */
  close: 'circuit-breaker-decorator:close',
  /** A call succeeded: a `SuccessEvent`. */
  success: 'circuit-breaker-decorator:success',
  /** A call failed and counted: a `FailureEvent`. */
  failure: 'circuit-breaker-decorator:failure',
  /** A call was refused: a `RefusalEvent`. */
  refusal: 'circuit-breaker-decorator:refusal',
} as const);

/** @internal The channels, by event; not in the published types, which then need no `@types/node`. */
export const channels = {
  stateChange: diagnosticsChannel.channel(channelNames.stateChange),
  open: diagnosticsChannel.channel(channelNames.open),
  halfOpen: diagnosticsChannel.channel(channelNames.halfOpen),
  close: diagnosticsChannel.channel(channelNames.close),
  success: diagnosticsChannel.channel(channelNames.success),
  failure: diagnosticsChannel.channel(channelNames.failure),
  refusal: diagnosticsChannel.channel(channelNames.refusal),
};

/** @internal `NODE_DEBUG=circuit-breaker` prints every transition to stderr. */
export const debug = debuglog('circuit-breaker');
