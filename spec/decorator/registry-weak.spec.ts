import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CircuitBreaker, listCircuitBreakers } from '../../src';

describe('the registry of decorated methods', () => {
  it('lets a class made at run time and dropped take its breakers with it', async function () {
    this.timeout(10_000);
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const made = () => listCircuitBreakers().filter((breaker) => breaker.name.startsWith('made-')).length;
    (() => {
      for (let i = 0; i < 200; i++) {
        class Made {
          @CircuitBreaker({ name: `made-${i}` })
          async call(): Promise<number> {
            return i;
          }
        }
        void Made;
      }
    })();
    expect(made()).to.equal(200);
    // A WeakRef read keeps its target for the rest of that job: collect in a job that read none.
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    let left = Infinity;
    for (let i = 0; i < 5 && left > 0; i++) {
      await turn();
      gc();
      await turn();
      left = made();
    }
    expect(left).to.equal(0);
  });
});
