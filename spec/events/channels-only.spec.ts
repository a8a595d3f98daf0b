import { expect } from 'chai';
import diagnosticsChannel from 'node:diagnostics_channel';
import sinon from 'sinon';
import { CircuitBreaker, channelNames } from '../../src';
import { fail, ok, openTheCircuit, rejectionOf } from '../support/helpers';

type ChannelKey = keyof typeof channelNames;

/** A tracing tool that subscribes by channel name, on breakers nobody listens to with onX(). */
describe('diagnostics_channel channels without typed listeners', () => {
  let clock: sinon.SinonFakeTimers;
  let unsubscribe: (() => void)[];
  let published: string[];

  beforeEach(() => {
    clock = sinon.useFakeTimers();
    unsubscribe = [];
    published = [];
    for (const key of Object.keys(channelNames) as ChannelKey[]) {
      const onMessage = (message: unknown) => {
        if ((message as { breaker?: string }).breaker === 'traced-alone') published.push(key);
      };
      diagnosticsChannel.subscribe(channelNames[key], onMessage);
      unsubscribe.push(() => diagnosticsChannel.unsubscribe(channelNames[key], onMessage));
    }
  });
  afterEach(() => {
    for (const off of unsubscribe) off();
    clock.restore();
  });

  it('receives every event of a whole outage, in order, and the calls behave as without a subscriber', async () => {
    const breaker = new CircuitBreaker({ name: 'traced-alone', failureThreshold: 1, resetTimeout: 1_000 });
    expect(await breaker.call(ok)).to.equal('ok');
    await openTheCircuit(breaker);
    await rejectionOf(breaker.call(ok));
    clock.tick(1_000);
    expect(await breaker.call(ok)).to.equal('ok');
    expect(published).to.deep.equal([
      'success',
      'stateChange', 'open', 'failure', // the trip
      'refusal',
      'stateChange', 'halfOpen', // the probe
      'stateChange', 'close', 'success',
    ]);
    expect(breaker.stats()).to.include({ state: 'CLOSED', successes: 2, failures: 1, refusals: 1 });
  });

  it('receives the close of a breaker reset by hand', () => {
    const breaker = new CircuitBreaker({ name: 'traced-alone' });
    breaker.isolate();
    breaker.reset();
    expect(published).to.deep.equal(['stateChange', 'open', 'stateChange', 'close']);
  });

  it('receives nothing once unsubscribed, and the breaker works on', async () => {
    for (const off of unsubscribe) off();
    unsubscribe = [];
    const breaker = new CircuitBreaker({ name: 'traced-alone', failureThreshold: 1 });
    await rejectionOf(breaker.call(fail));
    await rejectionOf(breaker.call(ok));
    expect(published).to.deep.equal([]);
    expect(breaker.stats()).to.include({ failures: 1, refusals: 1 });
  });
});
