import { expect } from 'chai';
import { describeValue } from '../../src/common/describe-value';

/** The words errors use for what they were given (src/common/describe-value.ts). */
describe('describeValue: how a wrong value is described', () => {
  const cases: readonly [unknown, string][] = [
    [null, 'null'],
    [undefined, 'undefined'],
    [[1], 'an array'],
    [5, 'number 5'],
    [NaN, 'number NaN'],
    [true, 'boolean true'],
    [10n, 'bigint 10'],
    ['x', 'string "x"'],
    [{}, 'object'],
    [() => 1, 'function'],
    [Symbol('s'), 'symbol'],
  ];
  for (const [value, words] of cases) {
    it(`describes ${words}`, () => {
      expect(describeValue(value)).to.equal(words);
    });
  }
});
