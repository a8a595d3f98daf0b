import { expect } from 'chai';
import sinon from 'sinon';
import { runDemo } from './demo';

describe('example: npm run demo', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  it('shows the circuit opening, refusing, probing and closing', async () => {
    const lines: string[] = [];
    const done = runDemo((line) => lines.push(line), 400);
    await clock.tickAsync(500);
    expect(await done).to.deep.equal(['CLOSED->OPEN', 'OPEN->HALF_OPEN', 'HALF_OPEN->CLOSED']);
    expect(lines.filter((line) => line.includes('refused'))).to.have.length(2);
    expect(lines.filter((line) => line.includes('did not touch the API'))).to.have.length(2);
    expect(lines.some((line) => line.includes('call 7 (probe): ok'))).to.equal(true);
  });
});
