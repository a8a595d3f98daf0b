/**
 * A member's share of the fleet's window (src/breaker/fleet-window.ts), driven directly with a store whose
 * replies the spec settles by hand: what it sends and when, what it decides on (the fleet's counts plus
 * what it has not sent, in the bucket the reply came in), and what a reset, a lost reply or an absent store do.
 * The fleet as a whole, through InMemoryCircuitStore: spec/store/fleet-window.spec.ts.
 */
import { expect } from 'chai';
import { FleetWindow, type WindowStore } from '../../src/breaker/fleet-window';
import { resolveTripRule } from '../../src/breaker/trip-options';
import { tripStrategy, type TripReason, type WindowCounts } from '../../src/breaker/trip-strategy';

/** Buckets of 100 ms (a window of 1 s in 10). */
const WIDTH = 100;

interface Pending {
  readonly counts: WindowCounts;
  resolve(fleet: WindowCounts): void;
  reject(error: unknown): void;
}

function setup(options: { minimumCalls?: number; threshold?: number; slowCall?: { duration: number; threshold: number } } = {}) {
  const given: Record<string, unknown> = {
    failureRate: { threshold: options.threshold ?? 0.5, minimumCalls: options.minimumCalls ?? 4, window: { duration: 1_000, buckets: 10 } },
  };
  if (options.slowCall !== undefined) given.slowCall = options.slowCall;
  const { rule } = resolveTripRule(given, 3);
  if (rule.kind !== 'rate') throw new Error('a rate rule');
  const sent: Pending[] = [];
  const store = {
    available: true as boolean,
    addToWindow(counts: WindowCounts): Promise<WindowCounts> {
      return new Promise((resolve, reject) => sent.push({ counts: { ...counts }, resolve, reject }));
    },
  } satisfies WindowStore;
  const crossed: Array<[TripReason, number]> = [];
  const fleetWindow = new FleetWindow(tripStrategy(rule), rule, store, (reason, failures) => crossed.push([reason, failures]));
  // What the breaker does: it keeps the tally and hands it to every call.
  const tally = fleetWindow.tally();
  const window = {
    timed: fleetWindow.timed,
    success: (now: number, slow: boolean) => fleetWindow.success(tally, now, slow),
    failure: (now: number, slow: boolean) => fleetWindow.failure(tally, now, slow),
    reset: () => fleetWindow.reset(tally),
    window: (now: number) => fleetWindow.window(tally, now),
    get failures() {
      return fleetWindow.failures();
    },
    get consecutive() {
      return fleetWindow.consecutive(tally);
    },
  };
  return { window, store, sent, crossed };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('FleetWindow: a member deciding on the fleet window', () => {
  it('sends nothing while its first bucket lasts, then its counts once, when the bucket rolls over', () => {
    // Slow calls are counted with slowCall (its threshold 1: they never trip here).
    const { window, sent } = setup({ threshold: 0.9, slowCall: { duration: 50, threshold: 1 } });
    window.success(0, false);
    window.failure(10, true);
    window.success(99, false);
    expect(sent).to.have.length(0);
    window.success(WIDTH, false);
    expect(sent.map((s) => s.counts)).to.deep.equal([{ calls: 3, failures: 1, slow: 1 }]);
    window.success(WIDTH + 50, false);
    expect(sent).to.have.length(1);
  });

  it('after a quiet spell as long as the window, drops the counts it had not sent rather than sending them into the fleet\'s window of now', () => {
    const { window, sent } = setup({ threshold: 0.9 });
    window.success(0, false);
    window.failure(10, false);
    window.success(10 * WIDTH, false); // ten buckets later: those two outcomes left the window
    expect(sent).to.have.length(0);
    window.success(11 * WIDTH, false); // the next roll-over sends only what came after the spell
    expect(sent.map((s) => s.counts)).to.deep.equal([{ calls: 1, failures: 0, slow: 0 }]);
  });

  it('sends the counts it had not sent after a quiet spell shorter than the window', () => {
    const { window, sent } = setup({ threshold: 0.9 });
    window.success(0, false);
    window.success(9 * WIDTH, false); // nine buckets later: still in the window
    expect(sent.map((s) => s.counts)).to.deep.equal([{ calls: 1, failures: 0, slow: 0 }]);
  });

  it('decides on the fleet counts of the reply plus what it has not sent, in the bucket the reply came in', async () => {
    const { window, sent } = setup({ minimumCalls: 100, slowCall: { duration: 50, threshold: 1 } });
    window.success(0, false);
    window.success(WIDTH, false); // rolls: sends { 1, 0, 0 }
    sent[0]!.resolve({ calls: 10, failures: 3, slow: 2 });
    await flush();
    expect(window.window(WIDTH + 1)).to.deep.equal({ calls: 11, failures: 3, slow: 2 });
    window.failure(WIDTH + 2, true);
    expect(window.window(WIDTH + 3)).to.deep.equal({ calls: 12, failures: 4, slow: 3 });
    expect(window.failures).to.equal(4);
    // Next bucket: the reply no longer holds; the member's own window answers, and it counts what it has not sent.
    window.success(2 * WIDTH, false);
    expect(window.window(2 * WIDTH + 1)).to.deep.equal({ calls: 4, failures: 1, slow: 1 });
    expect(window.failures).to.equal(0, 'not sent: one success');
  });

  it('a reply that makes the fleet cross the rate calls crossed() with the reason and the fleet failures', async () => {
    const { window, sent, crossed } = setup();
    window.success(0, false);
    window.success(WIDTH, false);
    sent[0]!.resolve({ calls: 6, failures: 4, slow: 0 });
    await flush();
    expect(crossed).to.deep.equal([['failure-rate', 4]], '4 of 7: the reply and the unsent success');
  });

  it('slow calls of the fleet cross the slow-call rate', async () => {
    const { window, sent, crossed } = setup({ slowCall: { duration: 50, threshold: 0.5 } });
    window.success(0, true);
    window.success(WIDTH, false);
    sent[0]!.resolve({ calls: 6, failures: 0, slow: 4 });
    await flush();
    expect(crossed).to.deep.equal([['slow-calls', 0]]);
  });

  it('a reply below the rate crosses nothing, and the member trips on a later outcome that tips the estimate', async () => {
    const { window, sent, crossed } = setup();
    window.success(0, false);
    window.success(WIDTH, false);
    sent[0]!.resolve({ calls: 6, failures: 3, slow: 0 });
    await flush();
    expect(crossed).to.deep.equal([], '3 of 7');
    expect(window.failure(WIDTH + 1, false)).to.equal('failure-rate', '4 of 8');
  });

  it('one command in flight at a time: counts that arrive meanwhile go out when the answer comes', async () => {
    const { window, sent } = setup({ minimumCalls: 100 });
    window.success(0, false);
    window.success(WIDTH, false); // sends { 1 }
    window.success(2 * WIDTH, false); // would send { 1 }: one in flight
    window.success(2 * WIDTH + 1, false);
    expect(sent).to.have.length(1);
    sent[0]!.resolve({ calls: 1, failures: 0, slow: 0 });
    await flush();
    expect(sent.map((s) => s.counts)).to.deep.equal([
      { calls: 1, failures: 0, slow: 0 },
      { calls: 3, failures: 0, slow: 0 },
    ]);
  });

  it('a reply with nothing waiting sends nothing more', async () => {
    const { window, sent } = setup({ minimumCalls: 100 });
    window.success(0, false);
    window.success(WIDTH, false);
    sent[0]!.resolve({ calls: 1, failures: 0, slow: 0 });
    await flush();
    expect(sent).to.have.length(1);
  });

  it('a lost command frees the way: the next rollover sends again, and counts only what came since', async () => {
    const { window, sent } = setup({ minimumCalls: 100 });
    window.success(0, false);
    window.success(WIDTH, false);
    window.success(2 * WIDTH, false); // in flight: wanted again
    sent[0]!.reject(new Error('store away'));
    await flush();
    expect(sent).to.have.length(1, 'a lost command is not retried with the answer');
    window.success(3 * WIDTH, false);
    expect(sent.map((s) => s.counts)).to.deep.equal([
      { calls: 1, failures: 0, slow: 0 },
      { calls: 2, failures: 0, slow: 0 },
    ]);
    // What it decides on: its own counts, no fleet reply known.
    expect(window.window(3 * WIDTH + 1)).to.deep.equal({ calls: 4, failures: 0, slow: 0 });
  });

  it('a reply to counts sent before a reset changes nothing, and the reset counts afresh', async () => {
    const { window, sent, crossed } = setup({ threshold: 0.9 });
    window.success(0, false);
    window.failure(10, false);
    window.success(WIDTH, false); // sends { 2, 1 }
    window.reset();
    sent[0]!.resolve({ calls: 10, failures: 10, slow: 0 });
    await flush();
    expect(crossed).to.deep.equal([]);
    expect(window.window(WIDTH + 1)).to.deep.equal({ calls: 0, failures: 0, slow: 0 });
    expect(window.failures).to.equal(0);
    // Counted afresh: the first bucket after the reset sends when it rolls over, with only its own counts.
    window.success(WIDTH + 2, false);
    window.failure(WIDTH + 3, false);
    window.success(2 * WIDTH, false);
    expect(sent.map((s) => s.counts)).to.deep.equal([
      { calls: 2, failures: 1, slow: 0 },
      { calls: 2, failures: 1, slow: 0 },
    ]);
  });

  it('a counted failure that reaches the rate below minimumCalls asks the fleet at once', () => {
    const { window, sent } = setup({ minimumCalls: 4 });
    window.failure(0, false);
    expect(sent.map((s) => s.counts)).to.deep.equal([{ calls: 1, failures: 1, slow: 0 }]);
  });

  it('asks at once only for a failure, only below minimumCalls, only at the rate', () => {
    const success = setup({ minimumCalls: 4, threshold: 0.01 });
    success.window.success(0, false);
    expect(success.sent, 'a success').to.have.length(0);
    const below = setup({ minimumCalls: 4 });
    below.window.success(0, false);
    below.window.success(1, false);
    below.window.failure(2, false);
    expect(below.sent, '1 of 3: below the rate').to.have.length(0);
    const enough = setup({ minimumCalls: 2 });
    enough.window.failure(0, false); // asks: 1 of 1, below 2 calls
    enough.sent[0]!.reject(new Error('lost'));
    return flush().then(() => {
      expect(enough.window.failure(1, false)).to.equal(undefined, '1 of 1 unsent: the sent one is not known any more');
      expect(enough.sent, 'the rate at 1 of 1, below 2 calls: asks again').to.have.length(2);
    });
  });

  it('at exactly minimumCalls it decides itself: no command', () => {
    const { window, sent } = setup({ minimumCalls: 2 });
    window.success(0, false);
    expect(window.failure(1, false)).to.equal('failure-rate');
    expect(sent).to.have.length(0);
  });

  it('a reply that comes in a later bucket holds for that bucket', async () => {
    const { window, sent } = setup({ minimumCalls: 100 });
    window.success(0, false);
    window.success(WIDTH, false); // sent in bucket 1
    window.success(2 * WIDTH, false); // bucket 2, before the reply
    sent[0]!.resolve({ calls: 20, failures: 5, slow: 0 });
    await flush();
    // The answer sends what waited (the calls of buckets 1 and 2), and the reply holds in bucket 2.
    expect(sent.map((s) => s.counts)).to.deep.equal([
      { calls: 1, failures: 0, slow: 0 },
      { calls: 2, failures: 0, slow: 0 },
    ]);
    expect(window.window(2 * WIDTH + 1)).to.deep.equal({ calls: 20, failures: 5, slow: 0 });
  });

  it('with the store away it decides on its own window and sends nothing', () => {
    const { window, store, sent } = setup({ minimumCalls: 2 });
    store.available = false;
    window.success(0, false);
    expect(window.failure(WIDTH, false)).to.equal('failure-rate');
    expect(sent).to.have.length(0);
    expect(window.window(WIDTH + 1)).to.deep.equal({ calls: 2, failures: 1, slow: 0 });
  });

  it('the fleet counts are read only while the store is there', async () => {
    const { window, store, sent } = setup({ minimumCalls: 100 });
    window.success(0, false);
    window.success(WIDTH, false);
    sent[0]!.resolve({ calls: 10, failures: 3, slow: 0 });
    await flush();
    store.available = false;
    expect(window.window(WIDTH + 1)).to.deep.equal({ calls: 2, failures: 0, slow: 0 });
  });

  it('is timed, and reports the consecutive failures of its own window', () => {
    const { window } = setup({ minimumCalls: 100 });
    expect(window.timed).to.equal(true);
    window.failure(0, false);
    window.failure(1, false);
    expect(window.consecutive).to.equal(2);
  });
});
