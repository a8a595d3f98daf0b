/**
 * The `Retry-After` header value, in whole seconds, for a refusal's
 * `retryAfter` (ms): rounded up, at least 1 (`retryAfter` is 0 while a probe
 * is in flight: its outcome is due any moment, and `Retry-After: 0` invites an
 * immediate retry storm). `undefined` for `Infinity` (the circuit is isolated
 * by hand, with no time at which it will let calls through): send no header.
 *
 * @example retryAfterSeconds(1_200) // 2
 */
export function retryAfterSeconds(retryAfter: number): number | undefined {
  if (!Number.isFinite(retryAfter)) return undefined;
  return Math.max(1, Math.ceil(retryAfter / 1000));
}
