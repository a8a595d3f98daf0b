import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, CircuitBreakerOpenException, getCircuitBreaker } from '../../src';

describe('smoke', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => { clock = sinon.useFakeTimers(); });
  afterEach(() => clock.restore());
  it('works', async () => {
    class Svc {
      n = 0;
      @CircuitBreaker(2, 1000)
      async get(fail: boolean): Promise<number> { this.n++; if (fail) throw new Error('x'); return this.n; }
      @CircuitBreaker()
      static async s(): Promise<number> { return 1 }
    }
    const s = new Svc();
    expect(await s.get(false)).to.equal(1);
    await s.get(true).catch(() => {});
    await s.get(true).catch(() => {});
    const b = getCircuitBreaker(s, 'get');
    expect(b.name).to.equal('Svc#get');
    expect(b.state).to.equal('OPEN');
    const e = await s.get(false).catch((x) => x);
    expect(e).to.be.instanceOf(CircuitBreakerOpenException);
    console.log(String(e), e.retryAfter, s.get.name, getCircuitBreaker(Svc, 's').name);
    clock.tick(1000);
    expect(await s.get(false)).to.equal(4);
    expect(b.state).to.equal('CLOSED');
    const nb = new CircuitBreaker(1, 10);
    expect(nb).to.be.instanceOf(CircuitBreaker);
    console.log(JSON.stringify(nb));
  });
});
