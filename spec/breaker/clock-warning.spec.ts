/**
 * What the warning of a clock that broke after creation says (src/breaker/clock.ts): what the clock did
 * (threw what, returned what), so that the log line alone points at the cause; and that a reading that is
 * a finite number is used as it is. The breaker's behaviour with such a clock: spec/breaker/clock.spec.ts.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { readClock } from '../../src/breaker/clock';

describe('breaker: the warning of a clock that broke', () => {
  let emitWarning: sinon.SinonStub;
  beforeEach(() => {
    emitWarning = sinon.stub(process, 'emitWarning');
  });
  afterEach(() => emitWarning.restore());

  const warned = () => emitWarning.getCalls().map((call) => [call.args[0], (call.args[1] as { code?: string } | undefined)?.code]);

  for (const [what, clock, says] of [
    ['throws an Error', () => { throw new Error('clock source gone'); }, 'clock threw clock source gone'],
    ['throws a non-Error', () => { throw 42; }, 'clock threw number 42'],
    ['returns NaN', () => NaN, 'clock returned number NaN'],
    ['returns Infinity', () => Infinity, 'clock returned number Infinity'],
    ['returns a string', () => '1700000000000', 'clock returned string "1700000000000"'],
    ['returns a bigint', () => 5n, 'clock returned bigint 5'],
  ] as const) {
    it(`one that ${what}: Date.now(), and a warning that says so`, () => {
      const breaker = { name: 'clocked' };
      const before = Date.now();
      const time = readClock(clock as () => number, breaker);
      expect(time).to.be.within(before, Date.now());
      expect(warned()).to.deep.equal([[`circuit breaker "clocked": ${says}; using Date.now() instead`, 'CIRCUIT_BREAKER_CLOCK']]);
    });
  }

  it('a finite reading is the time, whatever its value, with no warning', () => {
    const breaker = { name: 'clocked' };
    expect(readClock(() => 42, breaker)).to.equal(42);
    expect(readClock(() => -1.5, breaker)).to.equal(-1.5);
    expect(warned()).to.deep.equal([]);
  });

  it('warns once a breaker, however often its clock breaks', () => {
    const breaker = { name: 'clocked' };
    readClock(() => NaN, breaker);
    readClock(() => { throw new Error('again'); }, breaker);
    expect(emitWarning.callCount).to.equal(1);
    readClock(() => NaN, { name: 'other' });
    expect(emitWarning.callCount).to.equal(2);
  });
});
