import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, CircuitBreakerOpenException, type StateChangeEvent } from '../../src';
import { Listeners } from '../../src/events/listeners';
import { fail, ok, openTheCircuit, rejectionOf } from '../support/helpers';
import { uncaughtDuring } from '../support/uncaught';

/** Typed listeners (src/events/listeners.ts): what each onX hears (announced by src/breaker/announce.ts). */
describe('typed events', () => {
  let clock: sinon.SinonFakeTimers;
  let breaker: CircuitBreaker<never>;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
    breaker = new CircuitBreaker({ name: 'events', failureThreshold: 2, resetTimeout: 1_000 });
  });
  afterEach(() => clock.restore());

  it('onOpen: once when failures trip it, with the failures, wait, probe time and tripping error', async () => {
    const onOpen = sinon.spy();
    breaker.onOpen(onOpen);
    await rejectionOf(breaker.call(fail));
    expect(onOpen.called).to.equal(false);
    clock.tick(5);
    const error = new Error('second');
    await rejectionOf(breaker.call(() => Promise.reject(error)));
    expect(onOpen.calledOnce).to.equal(true);
    expect(onOpen.firstCall.args[0]).to.deep.equal({ breaker: 'events', reason: 'threshold', failures: 2, resetTimeout: 1_000, probeAt: 1_005, error });
    expect(onOpen.firstCall.args[0].error).to.equal(error);
  });

  it('onOpen: on a failed probe, and on isolate() with Infinity', async () => {
    const onOpen = sinon.spy();
    await openTheCircuit(breaker);
    breaker.onOpen(onOpen);
    clock.tick(1_000);
    await rejectionOf(breaker.call(fail));
    expect(onOpen.firstCall.args[0]).to.include({ reason: 'probe-failed', failures: 0 });
    breaker.reset();
    breaker.isolate();
    expect(onOpen.secondCall.args[0]).to.deep.equal({ breaker: 'events', reason: 'isolated', failures: 0, resetTimeout: Infinity, probeAt: Infinity });
  });

  it('onHalfOpen and onClose: when a probe is let through, and when it succeeds', async () => {
    const onHalfOpen = sinon.spy();
    const onClose = sinon.spy();
    breaker.onHalfOpen(onHalfOpen);
    breaker.onClose(onClose);
    await openTheCircuit(breaker);
    clock.tick(1_000);
    const probe = breaker.call(ok);
    expect(onHalfOpen.calledOnceWithExactly({ breaker: 'events' })).to.equal(true);
    expect(onClose.called).to.equal(false);
    await probe;
    expect(onClose.calledOnceWithExactly({ breaker: 'events', reason: 'probe-succeeded' })).to.equal(true);
  });

  it('onStateChange: every transition, with from, to and reason', async () => {
    const onStateChange = sinon.spy();
    breaker.onStateChange(onStateChange);
    await openTheCircuit(breaker);
    clock.tick(1_000);
    await breaker.call(ok);
    breaker.isolate().dispose();
    expect(onStateChange.args.map(([event]) => event)).to.deep.equal([
      { breaker: 'events', from: 'CLOSED', to: 'OPEN', reason: 'threshold' },
      { breaker: 'events', from: 'OPEN', to: 'HALF_OPEN', reason: 'reset-timeout' },
      { breaker: 'events', from: 'HALF_OPEN', to: 'CLOSED', reason: 'probe-succeeded' },
      { breaker: 'events', from: 'CLOSED', to: 'OPEN', reason: 'isolated' },
      { breaker: 'events', from: 'OPEN', to: 'CLOSED', reason: 'released' },
    ]);
  });

  it('onSuccess and onFailure: each counted outcome, with the state and count', async () => {
    const onSuccess = sinon.spy();
    const onFailure = sinon.spy();
    breaker.onSuccess(onSuccess);
    breaker.onFailure(onFailure);
    await breaker.call(ok);
    const error = new Error('down');
    await rejectionOf(breaker.call(() => Promise.reject(error)));
    expect(onSuccess.calledOnceWithExactly({ breaker: 'events', state: 'CLOSED' })).to.equal(true);
    expect(onFailure.calledOnceWithExactly({ breaker: 'events', state: 'CLOSED', error, failures: 1 })).to.equal(true);
  });

  it('onRefusal: each refused call, with retryAfter', async () => {
    const onRefusal = sinon.spy();
    breaker.onRefusal(onRefusal);
    await openTheCircuit(breaker);
    clock.tick(250);
    await rejectionOf(breaker.call(ok));
    expect(onRefusal.calledOnceWithExactly({ breaker: 'events', state: 'OPEN', retryAfter: 750 })).to.equal(true);
  });

  it('dispose() stops a listener; disposing twice is harmless', async () => {
    const onFailure = sinon.spy();
    const other = sinon.spy();
    const subscription = breaker.onFailure(onFailure);
    breaker.onFailure(other);
    subscription.dispose();
    subscription.dispose();
    await rejectionOf(breaker.call(fail));
    expect(onFailure.called).to.equal(false);
    expect(other.calledOnce).to.equal(true);
  });

  it('a listener may dispose itself while being called', async () => {
    const calls: string[] = [];
    const subscription = breaker.onFailure(() => {
      calls.push('self-disposing');
      subscription.dispose();
    });
    breaker.onFailure(() => calls.push('next'));
    await rejectionOf(breaker.call(fail));
    await rejectionOf(breaker.call(fail));
    expect(calls).to.deep.equal(['self-disposing', 'next', 'next']);
  });

  it('rejects a listener that is not a function', () => {
    expect(() => breaker.onOpen('log' as never)).to.throw(TypeError, 'listener');
  });

  describe('every transition is observable', () => {
    it('reports the reason of every manual transition', async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 1, resetTimeout: 10 });
      const changes: StateChangeEvent[] = [];
      breaker.onStateChange((change) => changes.push(change));
      const handle = breaker.isolate();
      handle.dispose();
      await openTheCircuit(breaker);
      breaker.reset();
      breaker.disable();
      breaker.enable();
      expect(changes.map(({ from, to, reason }) => `${from}>${to}:${reason}`)).to.deep.equal([
        'CLOSED>OPEN:isolated',
        'OPEN>CLOSED:released',
        'CLOSED>OPEN:threshold',
        'OPEN>CLOSED:reset',
        'CLOSED>CLOSED:disabled',
        'CLOSED>CLOSED:enabled',
      ]);
      const closes: string[] = [];
      breaker.onClose((event) => closes.push(event.reason));
      breaker.isolate();
      breaker.disable();
      breaker.enable();
      expect(closes).to.deep.equal(['disabled', 'enabled']);
      expect(changes.at(-2)).to.deep.include({ from: 'OPEN', to: 'CLOSED', reason: 'disabled' });
      expect(changes.at(-1)).to.deep.include({ from: 'CLOSED', to: 'CLOSED', reason: 'enabled' });
    });

    it('disable(), enable(), and isolate() while OPEN each emit a state change', async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 1 });
      const changes: string[] = [];
      breaker.onStateChange(({ from, to, reason }: StateChangeEvent) => changes.push(`${from}>${to}:${reason}`));
      breaker.disable();
      breaker.enable();
      await openTheCircuit(breaker);
      breaker.isolate();
      expect(changes).to.deep.equal(['CLOSED>CLOSED:disabled', 'CLOSED>CLOSED:enabled', 'CLOSED>OPEN:threshold', 'OPEN>OPEN:isolated']);
    });

    it('reports the failures that tripped it in the failure event', async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 2 });
      const counts: number[] = [];
      breaker.onFailure(({ failures }) => counts.push(failures));
      await rejectionOf(breaker.call(fail));
      await rejectionOf(breaker.call(fail));
      expect(counts).to.deep.equal([1, 2]);
    });
  });

  describe('listeners', () => {
    it('refuses a listener that is not a function, naming what it got', () => {
      const breaker = new CircuitBreaker();
      expect(() => breaker.onOpen(5 as never)).to.throw(TypeError, 'listener must be a function, got number 5');
    });

    it('dispose removes that registration only, once, leaving the others in order', () => {
      const listeners = new Listeners<number>();
      const heard: string[] = [];
      const a = (n: number) => heard.push(`a${n}`);
      const b = (n: number) => heard.push(`b${n}`);
      const first = listeners.add(a);
      listeners.add(b);
      const again = listeners.add(a);
      first.dispose();
      first.dispose();
      listeners.emit(1);
      expect(heard).to.deep.equal(['b1', 'a1']);
      again.dispose();
      listeners.emit(2);
      expect(heard).to.deep.equal(['b1', 'a1', 'b2']);
      expect(listeners.size).to.equal(1);
    });
  });

  describe('a listener that throws', () => {
    it('corrupts nothing: the transition completes, other listeners run, the call\'s outcome is unchanged', async () => {
      const bug = new Error('listener bug');
      breaker.onOpen(() => {
        throw bug;
      });
      const after = sinon.spy();
      breaker.onOpen(after);
      breaker.onStateChange(() => {
        throw 'also a bug';
      });
      const error = new Error('down');
      const uncaught = await uncaughtDuring(async () => {
        await rejectionOf(breaker.call(fail));
        expect(await rejectionOf(breaker.call(() => Promise.reject(error)))).to.equal(error);
        expect(breaker.state).to.equal('OPEN');
        expect(after.calledOnce).to.equal(true);
        expect(await rejectionOf(breaker.call(ok))).to.be.instanceOf(CircuitBreakerOpenException);
        expect(breaker.stats()).to.include({ opened: 1, failures: 2 });
        clock.tick(1_000);
        expect(await breaker.call(ok)).to.equal('ok');
        expect(breaker.state).to.equal('CLOSED');
      });
      // onOpen once; onStateChange on opening, the probe and closing.
      expect(uncaught).to.have.members([bug, 'also a bug', 'also a bug', 'also a bug']);
    });

    it('is re-raised, unchanged and once, on a later tick, not out of the call', async () => {
      const bug = new Error('listener bug');
      breaker.onFailure(() => {
        throw bug;
      });
      const error = new Error('down');
      let outcome: unknown;
      const uncaught = await uncaughtDuring(async () => {
        outcome = await rejectionOf(breaker.call(() => Promise.reject(error)));
      });
      expect(outcome).to.equal(error);
      expect(uncaught).to.have.ordered.members([bug]);
    });

    it('still surfaces under sinon fake timers that fake process.nextTick (the README\'s testing recipe)', async () => {
      clock.restore();
      const before = process.nextTick;
      clock = sinon.useFakeTimers({ toFake: ['Date', 'setTimeout', 'setImmediate', 'nextTick', 'queueMicrotask'] });
      expect(process.nextTick).to.not.equal(before);
      const bug = new Error('listener bug');
      breaker.onOpen(() => {
        throw bug;
      });
      const uncaught = await uncaughtDuring(() => openTheCircuit(breaker));
      expect(uncaught).to.have.ordered.members([bug]);
    });
  });
});
