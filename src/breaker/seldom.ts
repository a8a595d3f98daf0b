import type { BreakerEvents } from './announce';
import type { FleetLink } from './fleet-link';
import type { Deadlines } from './guarded-call';
import type { IsolationGroup } from './manual-control';

/**
 * A breaker's seldom-used parts, made on first use: listeners, a fleet,
 * an isolation, a timeout's deadlines, a backoff, and the counts of what a
 * breaker that runs CLOSED and succeeds never sees. On the breaker, each
 * would cost every breaker 8 bytes; here, only a breaker that uses them
 * pays, once (an object of its own).
 */
export class Seldom {
  /** Made on the first `onX()`. */
  events: BreakerEvents | undefined = undefined;
  /** Made when a `store` is set and the breaker is named. */
  fleet: FleetLink | undefined = undefined;
  isolation: IsolationGroup | undefined = undefined;
  deadlines: Deadlines | undefined = undefined;
  /** The wait of the next opening after failed probes with a backoff (undefined: `resetTimeout`). */
  backedOff: number | undefined = undefined;
  lastFailureAt: number | null = null;
  ignored = 0;
  refusals = 0;
  lateOutcomes = 0;
  opened = 0;
  timeouts = 0;
  fallbacks = 0;
}
