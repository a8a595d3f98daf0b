import diagnosticsChannel from 'node:diagnostics_channel';
import { debuglog } from 'node:util';

/**
 * Names of the `node:diagnostics_channel` channels every breaker publishes
 * to. Tracing tools subscribe by name, without touching the code:
 * `diagnostics_channel.subscribe('circuit-breaker-decorator:open', onOpen)`.
 * Each message is the same event object the matching `onX` listener receives.
 */
export const channelNames = Object.freeze({
  stateChange: 'circuit-breaker-decorator:state-change',
  open: 'circuit-breaker-decorator:open',
  halfOpen: 'circuit-breaker-decorator:half-open',
  close: 'circuit-breaker-decorator:close',
  success: 'circuit-breaker-decorator:success',
  failure: 'circuit-breaker-decorator:failure',
  refusal: 'circuit-breaker-decorator:refusal',
} as const);

export const channels = {
  stateChange: diagnosticsChannel.channel(channelNames.stateChange),
  open: diagnosticsChannel.channel(channelNames.open),
  halfOpen: diagnosticsChannel.channel(channelNames.halfOpen),
  close: diagnosticsChannel.channel(channelNames.close),
  success: diagnosticsChannel.channel(channelNames.success),
  failure: diagnosticsChannel.channel(channelNames.failure),
  refusal: diagnosticsChannel.channel(channelNames.refusal),
};

/** `NODE_DEBUG=circuit-breaker` prints every transition to stderr. */
export const debug = debuglog('circuit-breaker');
