import { expect } from 'chai';
import { CircuitBreaker } from '../../src';
import { isCircuitStore } from '../../src/store/circuit-store';

/** What serves as a `store` option (src/store/circuit-store.ts). */
describe('isCircuitStore', () => {
  it('recognises a circuit store by its join method only', () => {
    for (const notAStore of [null, undefined, 1, 'redis', {}, { join: 1 }, Object.assign(() => undefined, { join: () => undefined })]) {
      expect(isCircuitStore(notAStore), String(notAStore)).to.equal(false);
      expect(() => new CircuitBreaker({ name: 'x', store: notAStore as never })).to.satisfy((make: () => unknown) => {
        if (notAStore === undefined) return make() !== undefined;
        try {
          make();
          return false;
        } catch (error) {
          return error instanceof TypeError && /store must be a circuit store .*got/.test((error as Error).message);
        }
      });
    }
    expect(isCircuitStore({ join: () => undefined })).to.equal(true);
  });
});
