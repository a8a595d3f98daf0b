import { expect } from 'chai';
import diagnosticsChannel from 'node:diagnostics_channel';
import sinon from 'sinon';
import { CircuitBreaker, channelNames } from '../../src';
import { fail, ok, openTheCircuit, rejectionOf } from '../support/helpers';

type ChannelKey = keyof typeof channelNames;

describe('diagnostics_channel channels', () => {
  let clock: sinon.SinonFakeTimers;
  let breaker: CircuitBreaker<never>;
  let published: Map<ChannelKey, sinon.SinonSpy>;
  let unsubscribe: (() => void)[];

  beforeEach(() => {
    clock = sinon.useFakeTimers();
    breaker = new CircuitBreaker({ name: 'traced', failureThreshold: 1, resetTimeout: 1_000 });
    published = new Map();
    unsubscribe = [];
    for (const key of Object.keys(channelNames) as ChannelKey[]) {
      const spy = sinon.spy();
      // Only this breaker's messages: other specs' breakers may publish too.
      const onMessage = (message: unknown) => {
        if ((message as { breaker?: string }).breaker === 'traced') spy(message);
      };
      diagnosticsChannel.subscribe(channelNames[key], onMessage);
      unsubscribe.push(() => diagnosticsChannel.unsubscribe(channelNames[key], onMessage));
      published.set(key, spy);
    }
  });
  afterEach(() => {
    for (const off of unsubscribe) off();
    clock.restore();
  });

  it('has one well-known name per event', () => {
    expect(channelNames).to.deep.equal({
      stateChange: 'circuit-breaker-decorator:state-change',
      open: 'circuit-breaker-decorator:open',
      halfOpen: 'circuit-breaker-decorator:half-open',
      close: 'circuit-breaker-decorator:close',
      success: 'circuit-breaker-decorator:success',
      failure: 'circuit-breaker-decorator:failure',
      refusal: 'circuit-breaker-decorator:refusal',
    });
    expect(Object.isFrozen(channelNames)).to.equal(true);
  });

  it('publishes each event as the same object the matching listener receives', async () => {
    const listeners = {
      stateChange: sinon.spy(),
      open: sinon.spy(),
      halfOpen: sinon.spy(),
      close: sinon.spy(),
      success: sinon.spy(),
      failure: sinon.spy(),
      refusal: sinon.spy(),
    };
    breaker.onStateChange(listeners.stateChange);
    breaker.onOpen(listeners.open);
    breaker.onHalfOpen(listeners.halfOpen);
    breaker.onClose(listeners.close);
    breaker.onSuccess(listeners.success);
    breaker.onFailure(listeners.failure);
    breaker.onRefusal(listeners.refusal);

    await openTheCircuit(breaker); // failure, open, state change
    await rejectionOf(breaker.call(ok)); // refusal
    clock.tick(1_000);
    await breaker.call(ok); // half-open, success, close, state changes

    for (const key of Object.keys(listeners) as ChannelKey[]) {
      const spy = published.get(key)!;
      expect(spy.called, key).to.equal(true);
      expect(spy.args.map(([message]) => message), key).to.deep.equal(listeners[key].args.map(([event]) => event));
      spy.args.forEach(([message], i) => expect(message, key).to.equal(listeners[key].args[i]![0]));
    }
    expect(published.get('stateChange')!.callCount).to.equal(3);
  });

  it('publishes without any typed listener', async () => {
    await rejectionOf(breaker.call(fail));
    expect(published.get('open')!.calledOnce).to.equal(true);
    expect(published.get('failure')!.firstCall.args[0]).to.include({ breaker: 'traced', state: 'OPEN' });
  });
});
