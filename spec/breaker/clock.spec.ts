/**
 * A `clock` that passed the check at creation and breaks later (a reading
 * that is not a finite number, or a throw): the breaker is read in promise
 * reactions, so a bad reading must never throw from there. It warns once and
 * reads Date.now() instead.
 */
import { expect } from 'chai';
import { CircuitBreaker } from '../../src';

describe('breaker: a clock that breaks after creation', () => {
  let warnings: Error[];
  const onWarning = (warning: Error) => warnings.push(warning);
  let unhandled: unknown[];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeEach(() => {
    warnings = [];
    unhandled = [];
    process.on('warning', onWarning);
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('warning', onWarning);
    process.off('unhandledRejection', onUnhandled);
  });

  /** process.emitWarning and unhandled rejections are reported on later ticks. */
  const ticks = () => new Promise((resolve) => setImmediate(resolve));

  for (const [what, reading] of [
    ['returns a bigint', () => 123n],
    ['returns a string', () => '1700000000000'],
    ['returns NaN', () => NaN],
    ['throws', () => { throw new Error('clock source gone'); }],
  ] as const) {
    it(`one that ${what} at a failure trips the circuit as Date.now() would, warns once, and throws nowhere`, async () => {
      let broken = false;
      const clock = () => (broken ? reading() : Date.now()) as number;
      const breaker = new CircuitBreaker({ name: 'clocked', clock, failureThreshold: 2, resetTimeout: 60_000 });
      broken = true;
      const down = new Error('down');
      for (let i = 0; i < 2; i++) expect(await breaker.call(() => Promise.reject(down)).catch((error: unknown) => error)).to.equal(down);
      await ticks();
      expect(unhandled).to.deep.equal([]);
      expect(breaker.state).to.equal('OPEN');
      const { nextProbeAt } = breaker.stats();
      expect(nextProbeAt).to.be.a('number').within(Date.now() + 59_000, Date.now() + 60_000);
      const refusal = await breaker.call(() => Promise.resolve('ok')).catch((error: unknown) => error);
      expect(refusal).to.have.property('retryAfter').that.is.within(59_000, 60_000);
      await ticks();
      const ours = warnings.filter((warning) => (warning as { code?: string }).code === 'CIRCUIT_BREAKER_CLOCK');
      expect(ours).to.have.length(1);
      expect(ours[0]!.message).to.contain('"clocked"').and.to.contain('clock');
    });
  }
});
