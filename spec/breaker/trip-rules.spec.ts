/**
 * The trip rules besides the consecutive one (src/breaker/trip-strategy.ts, trip-options.ts):
 * a failure rate over a count window or a time window, slow calls, several probes. Time is
 * sinon's fake clock; every outcome is settled by the spec.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, isCircuitBreakerOpenException, setCircuitBreakerDefaults, getCircuitBreaker, type OpenEvent } from '../../src';
import { changesOf, deferred, fail, ok, rejectionOf } from '../support/helpers';

const WAIT = 1_000;

describe('trip rules', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  /** Calls `breaker` with the outcomes given, one after the other: 'ok', 'fail', or 'ignored'. */
  async function outcomes(breaker: CircuitBreaker<unknown>, ...kinds: readonly ('ok' | 'fail')[]): Promise<void> {
    for (const kind of kinds) await breaker.call(kind === 'ok' ? ok : fail).catch(() => undefined);
  }
  const alternating = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 'fail' : 'ok') as 'ok' | 'fail');

  describe('failureRate over a count window', () => {
    const rated = () => new CircuitBreaker({ name: 'rated', resetTimeout: WAIT, failureRate: { threshold: 0.5, minimumCalls: 10, window: { calls: 20 } } });

    it('a 50% error rate that never trips the consecutive rule trips the rate rule', async () => {
      const consecutive = new CircuitBreaker({ name: 'consecutive', failureThreshold: 3, resetTimeout: WAIT });
      await outcomes(consecutive, ...alternating(100));
      expect(consecutive.state, 'every success resets the count').to.equal('CLOSED');
      const breaker = rated();
      const opens: OpenEvent[] = [];
      breaker.onOpen((event) => opens.push(event));
      await outcomes(breaker, ...alternating(9));
      expect(breaker.state, '9 outcomes: below minimumCalls').to.equal('CLOSED');
      await outcomes(breaker, 'ok');
      expect(breaker.state, '10 outcomes, 5 failures: 50%').to.equal('OPEN');
      expect(opens).to.have.length(1);
      expect(opens[0]).to.include({ reason: 'failure-rate', failures: 5 });
    });

    it('does not trip below minimumCalls, even when every outcome failed', async () => {
      const breaker = rated();
      await outcomes(breaker, ...Array<'fail'>(9).fill('fail'));
      expect(breaker.state).to.equal('CLOSED');
      expect(breaker.stats()).to.deep.include({ window: { calls: 9, failures: 9, slow: 0 }, failureRate: null });
      await outcomes(breaker, 'fail');
      expect(breaker.state).to.equal('OPEN');
    });

    it('holds the last `calls` outcomes: the oldest leaves as each new one enters', async () => {
      const breaker = new CircuitBreaker({ name: 'last-4', failureRate: { threshold: 0.75, minimumCalls: 4, window: { calls: 4 } } });
      await outcomes(breaker, 'fail', 'fail', 'ok', 'ok');
      expect(breaker.stats().window).to.deep.equal({ calls: 4, failures: 2, slow: 0 });
      await outcomes(breaker, 'fail'); // the first failure leaves: fail ok ok fail
      expect(breaker.stats()).to.deep.include({ window: { calls: 4, failures: 2, slow: 0 }, failureRate: 0.5 });
      await outcomes(breaker, 'fail', 'fail'); // ok fail fail fail: 75%
      expect(breaker.state).to.equal('OPEN');
    });

    it('the default minimumCalls is 10, and at most the window size', async () => {
      const ten = new CircuitBreaker({ failureRate: { threshold: 1, window: { calls: 100 } } });
      await outcomes(ten, ...Array<'fail'>(9).fill('fail'));
      expect(ten.state).to.equal('CLOSED');
      await outcomes(ten, 'fail');
      expect(ten.state).to.equal('OPEN');
      const small = new CircuitBreaker({ failureRate: { threshold: 1, window: { calls: 3 } } });
      await outcomes(small, 'fail', 'fail', 'fail');
      expect(small.state).to.equal('OPEN');
    });

    it('closing empties the window: a probe that succeeds starts the count afresh', async () => {
      const breaker = rated();
      await outcomes(breaker, ...Array<'fail'>(10).fill('fail'));
      clock.tick(WAIT);
      await outcomes(breaker, 'ok'); // the probe
      expect(breaker.state).to.equal('CLOSED');
      expect(breaker.stats().window).to.deep.equal({ calls: 0, failures: 0, slow: 0 });
      await outcomes(breaker, ...Array<'fail'>(9).fill('fail'));
      expect(breaker.state, 'nine new failures: below minimumCalls again').to.equal('CLOSED');
    });

    it('reset() and enable() empty the window too', async () => {
      const breaker = rated();
      await outcomes(breaker, ...Array<'fail'>(9).fill('fail'));
      breaker.reset();
      expect(breaker.stats().window).to.deep.equal({ calls: 0, failures: 0, slow: 0 });
      await outcomes(breaker, ...Array<'fail'>(9).fill('fail'));
      breaker.disable();
      breaker.enable();
      await outcomes(breaker, 'fail');
      expect(breaker.state).to.equal('CLOSED');
    });

    it('an error isFailure does not count enters no window', async () => {
      const ignored = new Error('not found');
      const breaker = new CircuitBreaker({ isFailure: (error) => error !== ignored, failureRate: { threshold: 0.5, minimumCalls: 2, window: { calls: 10 } } });
      for (let i = 0; i < 5; i++) await breaker.call(() => Promise.reject(ignored)).catch(() => undefined);
      expect(breaker.stats().window).to.deep.equal({ calls: 0, failures: 0, slow: 0 });
      await outcomes(breaker, 'ok', 'fail');
      expect(breaker.state).to.equal('OPEN');
    });

    it('a late outcome (of an earlier period) enters no window', async () => {
      const breaker = new CircuitBreaker({ resetTimeout: WAIT, failureRate: { threshold: 0.5, minimumCalls: 2, window: { calls: 10 } } });
      const slow = deferred<string>();
      const late = breaker.call(() => slow.promise);
      await outcomes(breaker, 'fail', 'fail'); // opens: a new period
      clock.tick(WAIT);
      await outcomes(breaker, 'ok'); // probes and closes: the window is empty
      slow.reject(new Error('late'));
      await rejectionOf(late);
      expect(breaker.stats()).to.deep.include({ window: { calls: 0, failures: 0, slow: 0 }, lateOutcomes: 1 });
    });

    it('refusals are no outcomes', async () => {
      const breaker = new CircuitBreaker({ resetTimeout: WAIT, failureRate: { threshold: 0.5, minimumCalls: 2, window: { calls: 10 } } });
      await outcomes(breaker, 'fail', 'fail');
      for (let i = 0; i < 5; i++) expect(isCircuitBreakerOpenException(await rejectionOf(breaker.call(ok)))).to.equal(true);
      expect(breaker.stats().window).to.deep.equal({ calls: 0, failures: 0, slow: 0 });
    });
  });

  describe('failureRate over a time window', () => {
    const timed = () => new CircuitBreaker({ name: 'timed', resetTimeout: WAIT, failureRate: { threshold: 0.5, minimumCalls: 4, window: { duration: 10_000, buckets: 10 } } });

    it('trips on the rate of the outcomes settled in the last `duration` ms', async () => {
      const breaker = timed();
      await outcomes(breaker, 'fail', 'ok', 'ok');
      clock.tick(1_000);
      await outcomes(breaker, 'ok', 'fail');
      expect(breaker.stats()).to.deep.include({ window: { calls: 5, failures: 2, slow: 0 }, failureRate: 0.4 });
      await outcomes(breaker, 'fail');
      expect(breaker.state).to.equal('OPEN');
    });

    it('outcomes leave bucket by bucket: between duration - duration/buckets and duration ms after they settled', async () => {
      const breaker = timed();
      clock.tick(500); // the middle of the first 1 s bucket
      await outcomes(breaker, 'fail', 'fail', 'fail');
      clock.tick(8_999); // 9,499 ms after they settled: still in the window
      expect(breaker.stats().window).to.deep.equal({ calls: 3, failures: 3, slow: 0 });
      clock.tick(1); // 9,500 ms: their bucket, [0, 1000), left at 10,000
      expect(breaker.stats().window).to.deep.equal({ calls: 3, failures: 3, slow: 0 });
      clock.tick(500);
      expect(breaker.stats().window, 'at 10,000 ms the first bucket is reused').to.deep.equal({ calls: 0, failures: 0, slow: 0 });
      await outcomes(breaker, 'fail');
      expect(breaker.state, 'one failure: below minimumCalls').to.equal('CLOSED');
    });

    it('a burst after a quiet spell of minutes starts from an empty window', async () => {
      const breaker = timed();
      await outcomes(breaker, 'fail', 'fail', 'fail');
      clock.tick(5 * 60_000);
      await outcomes(breaker, 'ok', 'ok', 'ok', 'fail');
      expect(breaker.stats()).to.deep.include({ window: { calls: 4, failures: 1, slow: 0 }, failureRate: 0.25 });
      expect(breaker.state).to.equal('CLOSED');
    });

    it('numbers buckets by floor(time / width) when the width is not whole (an outcome at a bucket start is in that bucket)', async () => {
      let now = 62;
      const breaker = new CircuitBreaker({ clock: () => now, resetTimeout: 0, failureRate: { threshold: 1, minimumCalls: 5, window: { duration: 7, buckets: 3 } } });
      await outcomes(breaker, 'ok'); // at 62: bucket 26 (width 7/3)
      now = 63; // floor(63 / (7/3)) = 27, though 27 * (7/3) computes as 63.00000000000001
      await outcomes(breaker, 'ok');
      now = 69; // bucket 29: bucket 26 left, 27 is kept until bucket 30
      expect(breaker.stats().window).to.deep.equal({ calls: 1, failures: 0, slow: 0 });
    });

    it('reads outcomes in order when the clock steps back (the newest bucket takes them)', async () => {
      let now = 50_000;
      const breaker = new CircuitBreaker({ clock: () => now, failureRate: { threshold: 0.5, minimumCalls: 4, window: { duration: 10_000 } } });
      await outcomes(breaker, 'ok', 'ok');
      now -= 30_000;
      await outcomes(breaker, 'fail', 'fail');
      expect(breaker.state).to.equal('OPEN');
    });
  });

  describe('slowCall', () => {
    const slowly = (ms: number, outcome: 'ok' | 'fail' = 'ok') => () =>
      new Promise<string>((resolve, reject) => setTimeout(() => (outcome === 'ok' ? resolve('slow') : reject(new Error('slow failure'))), ms));

    it('slow successes trip the circuit by their share of the window; the caller gets its result unchanged', async () => {
      const breaker = new CircuitBreaker({
        name: 'sluggish',
        failureRate: { threshold: 0.5, minimumCalls: 4, window: { calls: 10 } },
        slowCall: { duration: 2_000, threshold: 0.75 },
      });
      const opens: OpenEvent[] = [];
      breaker.onOpen((event) => opens.push(event));
      await outcomes(breaker, 'ok');
      for (let i = 0; i < 2; i++) {
        const pending = breaker.call(slowly(2_000));
        await clock.tickAsync(2_000);
        expect(await pending).to.equal('slow');
      }
      expect(breaker.stats()).to.deep.include({ window: { calls: 3, failures: 0, slow: 2 }, slowCallRate: null });
      const last = breaker.call(slowly(2_500));
      await clock.tickAsync(2_500);
      expect(await last).to.equal('slow');
      expect(breaker.state).to.equal('OPEN');
      expect(opens[0]).to.include({ reason: 'slow-calls' });
    });

    it('a call settling just under the duration is not slow; a slow failure counts as both', async () => {
      const breaker = new CircuitBreaker({ failureRate: { threshold: 1, minimumCalls: 2, window: { calls: 10 } }, slowCall: { duration: 100, threshold: 1 } });
      const quick = breaker.call(slowly(99));
      await clock.tickAsync(99);
      await quick;
      const slowFailure = rejectionOf(breaker.call(slowly(100, 'fail')));
      await clock.tickAsync(100);
      await slowFailure;
      expect(breaker.stats()).to.deep.include({ window: { calls: 2, failures: 1, slow: 1 }, failureRate: 0.5, slowCallRate: 0.5 });
    });

    it('counts slow calls on the timeout path too (timeout, fallbackOnFailure)', async () => {
      const breaker = new CircuitBreaker({
        timeout: 1_000,
        failureRate: { threshold: 1, minimumCalls: 2, window: { calls: 10 } },
        slowCall: { duration: 500, threshold: 1 },
      });
      for (let i = 0; i < 2; i++) {
        const pending = breaker.call(slowly(600));
        await clock.tickAsync(600);
        await pending;
      }
      expect(breaker.state).to.equal('OPEN');
      expect(breaker.stats().window).to.deep.equal({ calls: 0, failures: 0, slow: 0 });
    });

    it('works on a decorated method', async () => {
      class Reports {
        @CircuitBreaker({ failureRate: { threshold: 1, minimumCalls: 2, window: { calls: 4 } }, slowCall: { duration: 300, threshold: 1 } })
        async build(ms: number): Promise<string> {
          return new Promise((resolve) => setTimeout(() => resolve(`built in ${ms}`), ms));
        }
      }
      const reports = new Reports();
      for (let i = 0; i < 2; i++) {
        const pending = reports.build(300);
        await clock.tickAsync(300);
        expect(await pending).to.equal('built in 300');
      }
      expect(getCircuitBreaker(reports, 'build').state).to.equal('OPEN');
    });
  });

  describe('halfOpen.probes', () => {
    const probing = (probes: number) =>
      new CircuitBreaker({ name: 'probing', failureThreshold: 1, resetTimeout: WAIT, halfOpen: { probes } });

    it('lets the first `probes` calls through when the wait is over and refuses the rest with retryAfter 0', async () => {
      const breaker = probing(3);
      await outcomes(breaker, 'fail');
      clock.tick(WAIT);
      const probes = [deferred<string>(), deferred<string>(), deferred<string>()];
      const calls = probes.map((probe) => breaker.call(() => probe.promise));
      const refused = (await rejectionOf(breaker.call(ok))) as { retryAfter: number };
      expect(refused.retryAfter).to.equal(0);
      expect(breaker.state).to.equal('HALF_OPEN');
      probes.forEach((probe) => probe.resolve('ok'));
      expect(await Promise.all(calls)).to.deep.equal(['ok', 'ok', 'ok']);
      expect(breaker.state).to.equal('CLOSED');
    });

    it('closes only once `probes` probes succeeded', async () => {
      const breaker = probing(3);
      const changes = changesOf(breaker);
      await outcomes(breaker, 'fail');
      clock.tick(WAIT);
      await outcomes(breaker, 'ok', 'ok');
      expect(breaker.state).to.equal('HALF_OPEN');
      await outcomes(breaker, 'ok');
      expect(changes).to.deep.equal(['CLOSED>OPEN:threshold', 'OPEN>HALF_OPEN:reset-timeout', 'HALF_OPEN>CLOSED:probe-succeeded']);
    });

    it('re-opens at the first counted probe failure, with a fresh wait', async () => {
      const breaker = probing(3);
      await outcomes(breaker, 'fail');
      clock.tick(WAIT);
      const first = deferred<string>();
      const pendingFirst = breaker.call(() => first.promise);
      await outcomes(breaker, 'fail');
      expect(breaker.state).to.equal('OPEN');
      expect(breaker.stats().nextProbeAt).to.equal(Date.now() + WAIT);
      first.resolve('late');
      expect(await pendingFirst).to.equal('late');
      expect(breaker.state, 'a probe of the earlier period decides nothing').to.equal('OPEN');
    });

    it('a probe whose error isFailure ignores frees its place for another call', async () => {
      const ignored = new Error('not found');
      const breaker = new CircuitBreaker({ failureThreshold: 1, resetTimeout: WAIT, halfOpen: { probes: 2 }, isFailure: (error) => error !== ignored });
      await outcomes(breaker, 'fail');
      clock.tick(WAIT);
      const held = deferred<string>();
      const first = breaker.call(() => held.promise);
      expect(await breaker.call(() => Promise.reject(ignored)).catch((error: unknown) => error)).to.equal(ignored);
      const third = deferred<string>();
      const pendingThird = breaker.call(() => third.promise); // the freed place
      expect(isCircuitBreakerOpenException(await rejectionOf(breaker.call(ok))), 'both places taken').to.equal(true);
      held.resolve('a');
      third.resolve('b');
      expect(await Promise.all([first, pendingThird])).to.deep.equal(['a', 'b']);
      expect(breaker.state).to.equal('CLOSED');
    });
  });

  describe('on decorated methods and in the defaults', () => {
    afterEach(() => setCircuitBreakerDefaults({}));

    it('a method with failureRate replaces a default failureThreshold, and the other way round', async () => {
      setCircuitBreakerDefaults({ failureThreshold: 2 });
      class Api {
        @CircuitBreaker({ failureRate: { threshold: 0.5, minimumCalls: 4, window: { calls: 10 } } })
        async rated(fail: boolean): Promise<string> {
          return fail ? Promise.reject(new Error('down')) : 'ok';
        }
      }
      const api = new Api();
      for (const failing of [true, true, false]) await api.rated(failing).catch(() => undefined);
      expect(getCircuitBreaker(api, 'rated').state, 'two consecutive failures do not trip a rate rule').to.equal('CLOSED');
      await api.rated(true).catch(() => undefined);
      expect(getCircuitBreaker(api, 'rated').state).to.equal('OPEN');
      setCircuitBreakerDefaults({ failureRate: { threshold: 0.5, window: { calls: 10 } }, slowCall: { duration: 1_000, threshold: 0.5 } });
      class Other {
        @CircuitBreaker({ failureThreshold: 1 })
        async consecutive(): Promise<string> {
          return Promise.reject(new Error('down'));
        }
      }
      const other = new Other();
      await other.consecutive().catch(() => undefined);
      expect(getCircuitBreaker(other, 'consecutive').state).to.equal('OPEN');
    });
  });

  describe('bad input, named by its option path when the breaker is made', () => {
    const cases: readonly [string, object, RegExp, typeof TypeError | typeof RangeError][] = [
      ['failureThreshold beside failureRate', { failureThreshold: 3, failureRate: { threshold: 0.5, window: { calls: 10 } } }, /give failureThreshold .* or failureRate .*, not both/, TypeError],
      ['a threshold of 0', { failureRate: { threshold: 0, window: { calls: 10 } } }, /failureRate\.threshold must be a fraction/, RangeError],
      ['a threshold above 1', { failureRate: { threshold: 1.5, window: { calls: 10 } } }, /failureRate\.threshold must be a fraction/, RangeError],
      ['a threshold that is a string', { failureRate: { threshold: '0.5', window: { calls: 10 } } }, /failureRate\.threshold must be a number, got string "0\.5"/, TypeError],
      ['no window', { failureRate: { threshold: 0.5 } }, /failureRate\.window is required/, TypeError],
      ['a window with both calls and duration', { failureRate: { threshold: 0.5, window: { calls: 10, duration: 1_000 } } }, /failureRate\.window must give exactly one .*got both/, TypeError],
      ['a window with neither', { failureRate: { threshold: 0.5, window: {} } }, /failureRate\.window must give exactly one .*got neither/, TypeError],
      ['calls that is not an integer', { failureRate: { threshold: 0.5, window: { calls: 2.5 } } }, /failureRate\.window\.calls must be a positive integer, got 2\.5/, RangeError],
      ['calls of 0', { failureRate: { threshold: 0.5, window: { calls: 0 } } }, /failureRate\.window\.calls must be a positive integer/, RangeError],
      ['buckets with calls', { failureRate: { threshold: 0.5, window: { calls: 10, buckets: 2 } } }, /failureRate\.window\.buckets goes with duration/, TypeError],
      ['buckets of 0', { failureRate: { threshold: 0.5, window: { duration: 1_000, buckets: 0 } } }, /failureRate\.window\.buckets must be a positive integer/, RangeError],
      ['a duration of Infinity', { failureRate: { threshold: 0.5, window: { duration: Infinity } } }, /failureRate\.window\.duration must be a finite number of milliseconds > 0/, RangeError],
      ['a duration of 0', { failureRate: { threshold: 0.5, window: { duration: 0 } } }, /failureRate\.window\.duration must be a finite number/, RangeError],
      ['minimumCalls above the window', { failureRate: { threshold: 0.5, minimumCalls: 11, window: { calls: 10 } } }, /failureRate\.minimumCalls \(11\) must not exceed failureRate\.window\.calls \(10\)/, RangeError],
      ['minimumCalls of 0', { failureRate: { threshold: 0.5, minimumCalls: 0, window: { calls: 10 } } }, /failureRate\.minimumCalls must be a positive integer/, RangeError],
      ['slowCall without failureRate', { slowCall: { duration: 100, threshold: 0.5 } }, /slowCall needs failureRate/, TypeError],
      ['a slowCall threshold of 2', { failureRate: { threshold: 0.5, window: { calls: 10 } }, slowCall: { duration: 100, threshold: 2 } }, /slowCall\.threshold must be a fraction/, RangeError],
      ['a slowCall duration of -1', { failureRate: { threshold: 0.5, window: { calls: 10 } }, slowCall: { duration: -1, threshold: 0.5 } }, /slowCall\.duration must be a finite number/, RangeError],
      ['probes of 0', { halfOpen: { probes: 0 } }, /halfOpen\.probes must be a positive integer/, RangeError],
      ['probes of 1.5', { halfOpen: { probes: 1.5 } }, /halfOpen\.probes must be a positive integer/, RangeError],
      ['an unknown key in failureRate', { failureRate: { threshold: 0.5, window: { calls: 10 }, treshold: 1 } }, /unknown failureRate option "treshold"/, TypeError],
      ['an unknown key in the window', { failureRate: { threshold: 0.5, window: { calls: 10, size: 3 } } }, /unknown failureRate\.window option "size"/, TypeError],
      ['an unknown key in slowCall', { failureRate: { threshold: 0.5, window: { calls: 10 } }, slowCall: { duration: 1, threshold: 1, rate: 1 } }, /unknown slowCall option "rate"/, TypeError],
      ['an unknown key in halfOpen', { halfOpen: { probe: 2 } }, /unknown halfOpen option "probe"/, TypeError],
      ['failureRate that is not an object', { failureRate: 0.5 }, /failureRate must be an object, got number 0\.5/, TypeError],
    ];
    for (const [what, options, message, type] of cases) {
      it(`${what}: a ${type.name}`, () => {
        expect(() => new CircuitBreaker(options as never)).to.throw(type, message);
        expect(() => CircuitBreaker(options as never)).to.throw(type, message);
      });
    }

    it('never changes the options object it is given', () => {
      const options = Object.freeze({ failureRate: Object.freeze({ threshold: 0.5, window: Object.freeze({ duration: 1_000 }) }), halfOpen: Object.freeze({ probes: 2 }) });
      const breaker = new CircuitBreaker(options);
      expect(breaker.options.rule).to.deep.equal({ kind: 'rate', threshold: 0.5, minimumCalls: 10, window: { kind: 'time', duration: 1_000, buckets: 10 }, slowCall: undefined });
    });
  });
});
