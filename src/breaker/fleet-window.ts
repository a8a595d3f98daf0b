import type { TripRule } from './trip-options';
import { rateReason, type Tally, type TripReason, type TripStrategy, type WindowCounts } from './trip-strategy';

type RateRule = Extract<TripRule, { kind: 'rate' }>;

/** What a fleet window needs of the store (fleet-link.ts). */
export interface WindowStore {
  readonly available: boolean;
  /** Adds counts to the fleet's window; resolves with what it holds fleet-wide. */
  addToWindow(counts: WindowCounts): Promise<WindowCounts>;
}

/**
 * A time-window rate rule decided on the fleet's window (a breaker with a
 * `store` whose store keeps one). The member counts its outcomes in its own
 * window as without a store, and keeps what it has not yet sent; when its
 * bucket rolls over it sends those counts (one command per member per bucket
 * while calls flow, none while idle, none a call awaits), and the reply says
 * what the fleet's window holds. It decides on that, plus what it has not
 * sent, during the bucket the reply came in; a counted failure that could
 * tip the rate below `minimumCalls` sends at once to learn the fleet's
 * volume. A store that is away leaves the member deciding on its own window.
 */
export class FleetWindow implements TripStrategy {
  readonly timed = true;
  private readonly width: number;
  private readonly buckets: number;
  private readonly slowThreshold: number;
  /** Counted here and not yet sent. */
  private unsentCalls = 0;
  private unsentFailures = 0;
  private unsentSlow = 0;
  /** The bucket (`floor(time / width)`) the unsent counts are in. */
  private bucket = -Infinity;
  /** What the fleet's window held at the last reply, and the bucket the reply came in (valid in that bucket only). */
  private fleet: WindowCounts | undefined;
  private fleetBucket = -Infinity;
  private sending = false;
  /** A send was wanted while one was in flight: it goes out when the answer comes. */
  private again = false;
  /** Bumped by reset(): a reply to counts of an earlier period changes nothing. */
  private generation = 0;

  constructor(
    private readonly local: TripStrategy,
    private readonly rule: RateRule,
    private readonly store: WindowStore,
    /** The fleet's window crossed a threshold on a reply (no outcome here to trip with). */
    private readonly crossed: (reason: TripReason, failures: number) => void,
  ) {
    const window = rule.window as { readonly duration: number; readonly buckets: number };
    this.width = window.duration / window.buckets;
    this.buckets = window.buckets;
    this.slowThreshold = rule.slowCall === undefined ? Infinity : rule.slowCall.threshold;
  }

  /** The member's own window's tally (a FleetWindow is the member's own: it keeps the rest in its fields). */
  tally(): Tally {
    return this.local.tally();
  }

  failures(): number {
    return (this.fleet?.failures ?? 0) + this.unsentFailures;
  }

  consecutive(tally: Tally): number {
    return this.local.consecutive(tally);
  }

  success(tally: Tally, now: number, slow: boolean): TripReason | undefined {
    return this.record(now, 0, slow ? 1 : 0, this.local.success(tally, now, slow));
  }

  failure(tally: Tally, now: number, slow: boolean): TripReason | undefined {
    return this.record(now, 1, slow ? 1 : 0, this.local.failure(tally, now, slow));
  }

  reset(tally: Tally): void {
    this.local.reset(tally);
    this.unsentCalls = this.unsentFailures = this.unsentSlow = 0;
    this.bucket = -Infinity;
    this.fleet = undefined;
    this.generation++;
  }

  window(tally: Tally, now: number): WindowCounts {
    const local = this.local.window(tally, now)!;
    return this.store.available && this.fleetKnown(Math.floor(now / this.width)) ? this.estimate() : local;
  }

  private record(now: number, failed: 0 | 1, slow: 0 | 1, localReason: TripReason | undefined): TripReason | undefined {
    if (!this.store.available) return localReason; // the store is away: this member's window decides
    const bucket = Math.floor(now / this.width);
    if (bucket > this.bucket) {
      // The bucket rolled over: its counts go out, once. Redis adds them to its bucket of now, so counts a quiet
      // spell as long as the window kept here would enter the fleet's window after they left this member's: dropped.
      if (this.unsentCalls > 0 && bucket - this.bucket < this.buckets) this.send();
      else this.unsentCalls = this.unsentFailures = this.unsentSlow = 0;
      this.bucket = bucket;
    }
    this.unsentCalls++;
    this.unsentFailures += failed;
    this.unsentSlow += slow;
    if (!this.fleetKnown(bucket)) this.fleet = undefined;
    // estimate(), without the object: this runs for every outcome.
    const fleet = this.fleet;
    const calls = (fleet?.calls ?? 0) + this.unsentCalls;
    const failures = (fleet?.failures ?? 0) + this.unsentFailures;
    const reason = rateReason(calls, failures, (fleet?.slow ?? 0) + this.unsentSlow, this.rule.threshold, this.rule.minimumCalls, this.slowThreshold);
    // Rate reached but not the volume: the fleet may have the volume. Ask now rather than at the next bucket.
    if (reason === undefined && failed === 1 && calls < this.rule.minimumCalls && failures / calls >= this.rule.threshold) this.send();
    return reason;
  }

  private fleetKnown(bucket: number): boolean {
    return this.fleet !== undefined && this.fleetBucket === bucket;
  }

  private estimate(): WindowCounts {
    const fleet = this.fleet;
    return {
      calls: (fleet?.calls ?? 0) + this.unsentCalls,
      failures: (fleet?.failures ?? 0) + this.unsentFailures,
      slow: (fleet?.slow ?? 0) + this.unsentSlow,
    };
  }

  private send(): void {
    if (this.sending) {
      this.again = true; // one command in flight at a time: what comes meanwhile goes out with the answer
      return;
    }
    this.again = false;
    const counts = { calls: this.unsentCalls, failures: this.unsentFailures, slow: this.unsentSlow };
    this.unsentCalls = this.unsentFailures = this.unsentSlow = 0;
    this.sending = true;
    const generation = this.generation;
    const sentIn = this.bucket;
    this.store.addToWindow(counts).then(
      (fleet) => {
        this.sending = false;
        if (generation !== this.generation) return;
        this.fleet = fleet;
        this.fleetBucket = Math.max(sentIn, this.bucket);
        const { calls, failures, slow } = this.estimate();
        const reason = rateReason(calls, failures, slow, this.rule.threshold, this.rule.minimumCalls, this.slowThreshold);
        if (reason !== undefined) this.crossed(reason, failures);
        else if (this.again && this.unsentCalls > 0) this.send();
      },
      () => {
        // Lost: this member's window still has them, and decides while the store is away.
        this.sending = false;
        this.again = false;
      },
    );
  }
}
