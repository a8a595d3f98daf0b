import type { TripRule } from './trip-options';

/** Why a trip rule opened the circuit. */
export type TripReason = 'threshold' | 'failure-rate' | 'slow-calls';

/** What a rate rule's window holds now (`stats().window`). */
export interface WindowCounts {
  readonly calls: number;
  readonly failures: number;
  readonly slow: number;
}

/**
 * Decides what counts as tripping. The breaker tells it each counted outcome
 * of a call admitted while CLOSED (with `now` when `timed`, and whether the
 * call was slow); it answers with the reason to open, or undefined. O(1) per
 * outcome, nothing allocated per call, no timers.
 */
export interface TripStrategy {
  /** Needs the clock for every outcome (a time window, slow calls), not only for failures. */
  readonly timed: boolean;
  success(now: number, slow: boolean): TripReason | undefined;
  failure(now: number, slow: boolean): TripReason | undefined;
  /** A new state period: count afresh (closing empties the window). */
  reset(): void;
  /** Failures counted towards the next trip: consecutive ones, or the window's. */
  readonly failures: number;
  /** Consecutive counted failures, whatever the rule (stats). */
  readonly consecutive: number;
  /** The window's counts at `now` (null under the consecutive rule). */
  window(now: number): WindowCounts | null;
}

/** The strategy of a resolved trip rule, made once per breaker. */
export function tripStrategy(rule: TripRule): TripStrategy {
  if (rule.kind === 'consecutive') return new ConsecutiveFailures(rule.failureThreshold);
  return rule.window.kind === 'calls' ? new CountWindow(rule, rule.window.calls) : new TimeWindow(rule, rule.window.duration, rule.window.buckets);
}

/** Opens after `threshold` consecutive failures; a success clears the count. */
export class ConsecutiveFailures implements TripStrategy {
  /** On the prototype (below): a field would cost every breaker 8 bytes. */
  declare readonly timed: boolean;
  failures = 0;

  constructor(readonly threshold: number) {}

  get consecutive(): number {
    return this.failures;
  }

  success(): undefined {
    this.failures = 0;
    return undefined;
  }

  failure(): TripReason | undefined {
    return ++this.failures >= this.threshold ? 'threshold' : undefined;
  }

  reset(): void {
    this.failures = 0;
  }

  window(): null {
    return null;
  }
}

Object.defineProperty(ConsecutiveFailures.prototype, 'timed', { value: false });

/** Opens on the failure rate (or the slow-call rate) over a window holding at least `minimumCalls` outcomes. */
abstract class RateWindow implements TripStrategy {
  readonly timed: boolean;
  /** Totals of what the window holds now. */
  protected calls = 0;
  failures = 0;
  protected slow = 0;
  consecutive = 0;
  private readonly threshold: number;
  private readonly minimumCalls: number;
  private readonly slowThreshold: number;

  constructor(rule: Extract<TripRule, { kind: 'rate' }>, timeWindow: boolean) {
    this.threshold = rule.threshold;
    this.minimumCalls = rule.minimumCalls;
    this.slowThreshold = rule.slowCall === undefined ? Infinity : rule.slowCall.threshold;
    this.timed = timeWindow || rule.slowCall !== undefined;
  }

  success(now: number, slow: boolean): TripReason | undefined {
    this.consecutive = 0;
    this.record(now, 0, slow ? 1 : 0);
    return this.check();
  }

  failure(now: number, slow: boolean): TripReason | undefined {
    this.consecutive++;
    this.record(now, 1, slow ? 1 : 0);
    return this.check();
  }

  reset(): void {
    this.calls = 0;
    this.failures = 0;
    this.slow = 0;
    this.consecutive = 0;
  }

  window(now: number): WindowCounts {
    this.expire(now);
    return { calls: this.calls, failures: this.failures, slow: this.slow };
  }

  /** Adds one outcome (dropping what leaves the window) to the totals. */
  protected abstract record(now: number, failed: 0 | 1, slow: 0 | 1): void;
  /** Drops what left the window by `now` (a time window; a count window keeps its last outcomes). */
  protected abstract expire(now: number): void;

  private check(): TripReason | undefined {
    return rateReason(this.calls, this.failures, this.slow, this.threshold, this.minimumCalls, this.slowThreshold);
  }
}

/** The last `size` counted outcomes, a byte each in a ring (bit 0: failed, bit 1: slow). */
class CountWindow extends RateWindow {
  private readonly outcomes: Uint8Array;
  private next = 0;

  constructor(rule: Extract<TripRule, { kind: 'rate' }>, size: number) {
    super(rule, false);
    this.outcomes = new Uint8Array(size);
  }

  protected record(_now: number, failed: 0 | 1, slow: 0 | 1): void {
    const outcomes = this.outcomes;
    const next = this.next;
    if (this.calls === outcomes.length) {
      // Full: the oldest outcome (at `next`) leaves. Below full, `next` holds nothing written since the reset.
      const oldest = outcomes[next]!;
      this.failures -= oldest & 1;
      this.slow -= oldest >> 1;
    } else {
      this.calls++;
    }
    outcomes[next] = failed | (slow << 1);
    this.failures += failed;
    this.slow += slow;
    this.next = next + 1 === outcomes.length ? 0 : next + 1;
  }

  protected expire(): void {}

  override reset(): void {
    super.reset();
    this.next = 0;
  }
}

/**
 * The counted outcomes of the last `duration` ms, in `buckets` buckets of
 * `duration / buckets` ms: bucket `e` holds the outcomes settled in
 * `[e * width, (e + 1) * width)`, and leaves the window once the clock
 * reaches `(e + buckets) * width`. Buckets roll over when outcomes arrive (no timer).
 */
class TimeWindow extends RateWindow {
  private readonly width: number;
  private readonly buckets: number;
  /** calls, failures, slow of each bucket, in one array. */
  private readonly counts: Int32Array;
  /** The newest bucket's number (`floor(time / width)`) and its place in `counts`. */
  private newest = -Infinity;
  private newestAt = 0;

  constructor(rule: Extract<TripRule, { kind: 'rate' }>, duration: number, buckets: number) {
    super(rule, true);
    this.width = duration / buckets;
    this.buckets = buckets;
    this.counts = new Int32Array(3 * buckets);
  }

  protected record(now: number, failed: 0 | 1, slow: 0 | 1): void {
    // A clock that stepped back adds to the newest bucket: time never runs backwards in the window.
    this.expire(now);
    const i = this.newestAt;
    this.counts[i]++;
    this.counts[i + 1]! += failed;
    this.counts[i + 2]! += slow;
    this.calls++;
    this.failures += failed;
    this.slow += slow;
  }

  protected expire(now: number): void {
    // The bucket by floor(now / width) alone: a bucket's end computed as (b + 1) * width can round past it.
    const bucket = Math.floor(now / this.width);
    if (bucket <= this.newest) return;
    const counts = this.counts;
    if (bucket - this.newest >= this.buckets) {
      counts.fill(0);
      this.calls = this.failures = this.slow = 0;
    } else {
      // Each bucket between the newest and `bucket` is reused for a newer one: what it held leaves.
      for (let b = this.newest + 1; b <= bucket; b++) {
        const i = 3 * mod(b, this.buckets);
        this.calls -= counts[i]!;
        this.failures -= counts[i + 1]!;
        this.slow -= counts[i + 2]!;
        counts[i] = counts[i + 1] = counts[i + 2] = 0;
      }
    }
    this.newest = bucket;
    this.newestAt = 3 * mod(bucket, this.buckets);
  }

  override reset(): void {
    super.reset();
    this.counts.fill(0);
    this.newest = -Infinity;
  }
}

/** Why a window holding these counts opens the circuit: at least `minimumCalls`, and a rate at its threshold. */
export function rateReason(calls: number, failures: number, slow: number, threshold: number, minimumCalls: number, slowThreshold: number): TripReason | undefined {
  if (calls < minimumCalls) return undefined;
  if (failures / calls >= threshold) return 'failure-rate';
  if (slow / calls >= slowThreshold) return 'slow-calls';
  return undefined;
}

function mod(n: number, m: number): number {
  const r = n % m;
  return r < 0 ? r + m : r;
}
