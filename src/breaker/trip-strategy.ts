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
 * One breaker's counts under its rule: an array of numbers laid out by its
 * strategy, made once, when the breaker is. One array, because every object
 * costs a breaker its header and every field holding a fraction a heap
 * number: an array element is 8 bytes whatever it holds.
 */
export type Tally = number[];

/**
 * Decides what counts as tripping. The breaker tells it each counted outcome
 * of a call admitted while CLOSED (with `now` when `timed`, and whether the
 * call was slow), with its tally; it answers with the reason to open, or
 * undefined. O(1) per outcome, nothing allocated per call, no timers.
 *
 * A strategy holds no breaker's counts: one is shared by every breaker with
 * its rule (`tripStrategy`), each breaker keeping its counts in its tally.
 */
export interface TripStrategy {
  /** Needs the clock for every outcome (a time window, slow calls), not only for failures. */
  readonly timed: boolean;
  /** A breaker's tally, empty. */
  tally(): Tally;
  success(tally: Tally, now: number, slow: boolean): TripReason | undefined;
  failure(tally: Tally, now: number, slow: boolean): TripReason | undefined;
  /** A new state period: count afresh (closing empties the window). */
  reset(tally: Tally): void;
  /** Failures counted towards the next trip: consecutive ones, or the window's. */
  failures(tally: Tally): number;
  /** Consecutive counted failures, whatever the rule (stats). */
  consecutive(tally: Tally): number;
  /** The window's counts at `now` (null under the consecutive rule). */
  window(tally: Tally, now: number): WindowCounts | null;
}

/** The strategies of the rules made so far (rules are frozen and shared, trip-options.ts). */
const strategies = new WeakMap<TripRule, TripStrategy>();

/** The strategy of a resolved trip rule, shared by every breaker with that rule. */
export function tripStrategy(rule: TripRule): TripStrategy {
  let strategy = strategies.get(rule);
  if (strategy === undefined) {
    if (rule.kind === 'consecutive') strategy = new ConsecutiveFailures(rule.failureThreshold);
    else strategy = rule.window.kind === 'calls' ? new CountWindow(rule, rule.window.calls) : new TimeWindow(rule, rule.window.duration, rule.window.buckets);
    strategies.set(rule, strategy);
  }
  return strategy;
}

/** Opens after `threshold` consecutive failures; a success clears the count. Its tally: `[consecutive failures]`. */
class ConsecutiveFailures implements TripStrategy {
  readonly timed = false;

  constructor(private readonly threshold: number) {}

  tally(): Tally {
    return [0];
  }

  success(tally: Tally): undefined {
    tally[0] = 0;
    return undefined;
  }

  failure(tally: Tally): TripReason | undefined {
    return (tally[0] = tally[0]! + 1) >= this.threshold ? 'threshold' : undefined;
  }

  reset(tally: Tally): void {
    tally[0] = 0;
  }

  failures(tally: Tally): number {
    return tally[0]!;
  }

  consecutive(tally: Tally): number {
    return tally[0]!;
  }

  window(): null {
    return null;
  }
}

type RateRule = Extract<TripRule, { kind: 'rate' }>;

/** A rate window's tally starts with the totals of what the window holds, and the consecutive failures. */
const CALLS = 0;
const FAILURES = 1;
const SLOW = 2;
const CONSECUTIVE = 3;
/** Where a window's own part of the tally starts. */
const OWN = 4;

/** Opens on the failure rate (or the slow-call rate) over a window holding at least `minimumCalls` outcomes. */
abstract class RateWindow implements TripStrategy {
  abstract readonly timed: boolean;
  private readonly threshold: number;
  private readonly minimumCalls: number;
  private readonly slowThreshold: number;

  constructor(protected readonly rule: RateRule) {
    this.threshold = rule.threshold;
    this.minimumCalls = rule.minimumCalls;
    this.slowThreshold = rule.slowCall === undefined ? Infinity : rule.slowCall.threshold;
  }

  abstract tally(): Tally;

  success(tally: Tally, now: number, slow: boolean): TripReason | undefined {
    tally[CONSECUTIVE] = 0;
    this.record(tally, now, 0, slow ? 1 : 0);
    return this.check(tally);
  }

  failure(tally: Tally, now: number, slow: boolean): TripReason | undefined {
    tally[CONSECUTIVE]! += 1;
    this.record(tally, now, 1, slow ? 1 : 0);
    return this.check(tally);
  }

  reset(tally: Tally): void {
    tally[CALLS] = tally[FAILURES] = tally[SLOW] = tally[CONSECUTIVE] = 0;
  }

  failures(tally: Tally): number {
    return tally[FAILURES]!;
  }

  consecutive(tally: Tally): number {
    return tally[CONSECUTIVE]!;
  }

  window(tally: Tally, now: number): WindowCounts {
    this.expire(tally, now);
    return { calls: tally[CALLS]!, failures: tally[FAILURES]!, slow: tally[SLOW]! };
  }

  /** Adds one outcome (dropping what leaves the window) to the totals. */
  protected abstract record(tally: Tally, now: number, failed: 0 | 1, slow: 0 | 1): void;
  /** Drops what left the window by `now` (a time window; a count window keeps its last outcomes). */
  protected abstract expire(tally: Tally, now: number): void;

  private check(tally: Tally): TripReason | undefined {
    return rateReason(tally[CALLS]!, tally[FAILURES]!, tally[SLOW]!, this.threshold, this.minimumCalls, this.slowThreshold);
  }
}

/** Outcomes a ring element holds, two bits each (bit 0: failed, bit 1: slow): 30 bits stay a small integer on every V8 build. */
const PER_ELEMENT = 15;
/** A count window's tally: the totals, the ring element and bit the next outcome goes to (the oldest, once full), then the ring. */
const NEXT_ELEMENT = OWN;
const NEXT_SHIFT = OWN + 1;
const RING = OWN + 2;

/**
 * The last `size` counted outcomes, in a ring of two bits each packed 15 to
 * a tally element: 100 outcomes take 7 elements (56 bytes), where a typed
 * array would cost ~180 bytes of objects before its first byte.
 */
class CountWindow extends RateWindow {
  readonly timed: boolean;
  /** Where the ring's last outcome is: after it, the next goes to the first. */
  private readonly lastElement: number;
  private readonly lastShift: number;

  constructor(
    rule: RateRule,
    private readonly size: number,
  ) {
    super(rule);
    this.timed = rule.slowCall !== undefined;
    this.lastElement = RING + Math.floor((size - 1) / PER_ELEMENT);
    this.lastShift = ((size - 1) % PER_ELEMENT) * 2;
  }

  tally(): Tally {
    const tally = zeros(this.lastElement + 1);
    tally[NEXT_ELEMENT] = RING;
    return tally;
  }

  override success(tally: Tally, now: number, slow: boolean): TripReason | undefined {
    // Full of successes, none slow (a healthy service): the ring holds nothing but zeros, so this success changes
    // no bit and no total, where the next place is does not matter, no failure is in a row, and no rate can trip.
    if (tally[FAILURES] === 0 && tally[SLOW] === 0 && tally[CALLS] === this.size && !slow) return undefined;
    return super.success(tally, now, slow);
  }

  protected record(tally: Tally, _now: number, failed: 0 | 1, slow: 0 | 1): void {
    const element = tally[NEXT_ELEMENT]!;
    const shift = tally[NEXT_SHIFT]!;
    const held = tally[element]!;
    const outcome = failed | (slow << 1);
    // Full: the oldest outcome (the next place) leaves. Below full, that place holds nothing written since the reset.
    let oldest = 0;
    if (tally[CALLS] === this.size) oldest = (held >> shift) & 3;
    else tally[CALLS]! += 1;
    // A success replacing a success (most outcomes of a healthy service) changes no bit and no total.
    if (outcome !== oldest) {
      tally[element] = (held & ~(3 << shift)) | (outcome << shift);
      tally[FAILURES]! += failed - (oldest & 1);
      tally[SLOW]! += slow - (oldest >> 1);
    }
    if (shift === this.lastShift && element === this.lastElement) {
      tally[NEXT_ELEMENT] = RING;
      tally[NEXT_SHIFT] = 0;
    } else if (shift === 2 * (PER_ELEMENT - 1)) {
      tally[NEXT_ELEMENT] = element + 1;
      tally[NEXT_SHIFT] = 0;
    } else {
      tally[NEXT_SHIFT] = shift + 2;
    }
  }

  protected expire(): void {}

  override reset(tally: Tally): void {
    tally.fill(0);
    tally[NEXT_ELEMENT] = RING;
  }
}

/** A time window's tally: the totals, the newest bucket's number (`floor(time / width)`) and where its counts are, then the buckets'. */
const NEWEST = OWN;
const NEWEST_AT = OWN + 1;
const BUCKETS = OWN + 2;

/**
 * The counted outcomes of the last `duration` ms, in `buckets` buckets of
 * `duration / buckets` ms: bucket `e` holds the outcomes settled in
 * `[e * width, (e + 1) * width)`, and leaves the window once the clock
 * reaches `(e + buckets) * width`. Buckets roll over when outcomes arrive (no timer).
 * A bucket's counts take `stride` tally elements: calls, failures, and slow
 * calls only with `slowCall` (16 or 24 bytes a bucket).
 */
class TimeWindow extends RateWindow {
  declare readonly timed: boolean;
  private readonly width: number;
  private readonly stride: 2 | 3;

  constructor(
    rule: RateRule,
    duration: number,
    private readonly buckets: number,
  ) {
    super(rule);
    this.width = duration / buckets;
    this.stride = rule.slowCall === undefined ? 2 : 3;
  }

  tally(): Tally {
    const tally = zeros(BUCKETS + this.stride * this.buckets);
    tally[NEWEST] = -Infinity;
    return tally;
  }

  protected record(tally: Tally, now: number, failed: 0 | 1, slow: 0 | 1): void {
    // A clock that stepped back adds to the newest bucket: time never runs backwards in the window.
    this.expire(tally, now);
    const i = tally[NEWEST_AT]!;
    tally[i]! += 1;
    tally[i + 1]! += failed;
    tally[CALLS]! += 1;
    tally[FAILURES]! += failed;
    // Slow calls are counted only with slowCall (the breaker tells none without): its buckets have the element.
    if (slow === 1 && this.stride === 3) {
      tally[i + 2]! += 1;
      tally[SLOW]! += 1;
    }
  }

  protected expire(tally: Tally, now: number): void {
    const newest = tally[NEWEST]!;
    // The bucket by floor(now / width) alone: a bucket's end computed as (b + 1) * width can round past it.
    const bucket = Math.floor(now / this.width);
    if (bucket <= newest) return;
    const { buckets, stride } = this;
    if (bucket - newest >= buckets) {
      // All of it left: the totals and the buckets empty (the consecutive failures stay: no new period).
      tally.fill(0, CALLS, CONSECUTIVE);
      tally.fill(0, BUCKETS);
    } else {
      // Each bucket between the newest and `bucket` is reused for a newer one: what it held leaves.
      for (let b = newest + 1; b <= bucket; b++) {
        const i = BUCKETS + stride * mod(b, buckets);
        tally[CALLS]! -= tally[i]!;
        tally[FAILURES]! -= tally[i + 1]!;
        tally[i] = tally[i + 1] = 0;
        if (stride === 3) {
          tally[SLOW]! -= tally[i + 2]!;
          tally[i + 2] = 0;
        }
      }
    }
    tally[NEWEST] = bucket;
    tally[NEWEST_AT] = BUCKETS + stride * mod(bucket, buckets);
  }

  override reset(tally: Tally): void {
    tally.fill(0);
    tally[NEWEST] = -Infinity;
  }
}

Object.defineProperty(TimeWindow.prototype, 'timed', { value: true });

/** Why a window holding these counts opens the circuit: at least `minimumCalls`, and a rate at its threshold. */
export function rateReason(calls: number, failures: number, slow: number, threshold: number, minimumCalls: number, slowThreshold: number): TripReason | undefined {
  if (calls < minimumCalls) return undefined;
  // Thresholds are > 0: a window without failures (or slow calls) cannot reach one, and needs no division.
  if (failures !== 0 && failures / calls >= threshold) return 'failure-rate';
  if (slow !== 0 && slow / calls >= slowThreshold) return 'slow-calls';
  return undefined;
}

/**
 * A packed array of zeros, its backing store exactly `length` long (push()
 * would leave up to half again spare), holding doubles: a time window's
 * tally must (it holds a bucket number), and when every rate window's tally
 * is of one kind, the code they share reads them without a type check each.
 */
function zeros(length: number): number[] {
  const array = Array.from({ length }, () => 0);
  array[0] = 0.5; // elements become doubles, for good
  array[0] = 0;
  return array;
}

function mod(n: number, m: number): number {
  const r = n % m;
  return r < 0 ? r + m : r;
}
