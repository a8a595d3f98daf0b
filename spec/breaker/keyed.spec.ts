/**
 * Keyed breakers (src/breaker/keyed-breaker.ts): one breaker per key, made on the key's first call, at most
 * `maxKeys` kept in least-recently-used order. No decorators here: the same file runs in both modes.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import {
  CircuitBreaker,
  CircuitBreakerOpenException,
  InMemoryCircuitStore,
  isCircuitBreakerOpenException,
  type KeyedCircuitBreaker,
} from '../../src';
import { fail, flush, ok, rejectionOf } from '../support/helpers';

describe('keyed breaker: new CircuitBreaker({ key: true })', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  const hostsOf = (maxKeys = 1_000, failureThreshold = 2) =>
    new CircuitBreaker({ key: true, maxKeys, name: 'upstream', failureThreshold, resetTimeout: 1_000 });

  /** Fails `key` until its circuit opens. */
  async function openKey(keyed: KeyedCircuitBreaker<unknown>, key: string): Promise<void> {
    for (let i = 0; i < keyed.options.failureThreshold; i++) await rejectionOf(keyed.call(key, fail));
    expect(keyed.breaker(key)!.state, key).to.equal('OPEN');
  }

  /** Calls each key once, in order (each is then more recently used than the one before). */
  async function use(keyed: KeyedCircuitBreaker<unknown>, ...keys: string[]): Promise<void> {
    for (const key of keys) await keyed.call(key, ok);
  }

  describe('one breaker per key', () => {
    it("makes a key's breaker on its first call, named name[key], with the keyed breaker's options", async () => {
      const hosts = hostsOf();
      expect(hosts.breaker('api.example.com')).to.equal(undefined);
      expect(await hosts.call('api.example.com', ok)).to.equal('ok');
      const breaker = hosts.breaker('api.example.com')!;
      expect(breaker).to.be.instanceOf(CircuitBreaker);
      expect(breaker.name).to.equal('upstream[api.example.com]');
      expect(breaker.options).to.include({ name: 'upstream[api.example.com]', failureThreshold: 2, resetTimeout: 1_000 });
      expect(hosts.name).to.equal('upstream');
      expect(hosts.maxKeys).to.equal(1_000);
      expect(new CircuitBreaker({ key: true }).maxKeys, 'the default').to.equal(1_000);
    });

    it('one dead key opens only its own circuit while the other keys keep flowing', async () => {
      const hosts = hostsOf();
      await use(hosts, 'a.example', 'b.example');
      await openKey(hosts, 'dead.example');
      const refused = await rejectionOf(hosts.call('dead.example', ok));
      expect(refused).to.be.instanceOf(CircuitBreakerOpenException);
      expect((refused as CircuitBreakerOpenException).breaker).to.equal('upstream[dead.example]');
      const healthy = sinon.stub().resolves('fine');
      for (let i = 0; i < 10; i++) {
        expect(await hosts.call('a.example', healthy)).to.equal('fine');
        expect(await hosts.call('b.example', healthy)).to.equal('fine');
      }
      expect(healthy.callCount).to.equal(20);
      expect(hosts.breaker('a.example')!.state).to.equal('CLOSED');
      expect(hosts.stats().states).to.deep.equal({ CLOSED: 2, OPEN: 1, HALF_OPEN: 0 });
    });

    it("counts each key apart: one failure on each of two keys opens neither (threshold 2)", async () => {
      const hosts = hostsOf();
      await rejectionOf(hosts.call('a', fail));
      await rejectionOf(hosts.call('b', fail));
      expect(hosts.breaker('a')!.stats().consecutiveFailures).to.equal(1);
      expect(hosts.breaker('b')!.state).to.equal('CLOSED');
    });

    it("each key waits, probes and closes on its own (the state table, per key)", async () => {
      const hosts = hostsOf();
      await openKey(hosts, 'a');
      clock.tick(500);
      await openKey(hosts, 'b');
      clock.tick(500); // a's wait is over, b's is not
      expect(await hosts.call('a', ok)).to.equal('ok');
      expect(hosts.breaker('a')!.state).to.equal('CLOSED');
      expect(isCircuitBreakerOpenException(await rejectionOf(hosts.call('b', ok)))).to.equal(true);
    });

    it("keeps call()'s arguments and result; a fallback answers a refusal of its key", async () => {
      const cached = new CircuitBreaker({ key: true, failureThreshold: 1, fallback: () => 'cached' as const });
      expect(await cached.call('k', async (a: number, b: number) => a + b, 2, 3)).to.equal(5);
      await rejectionOf(cached.call('k', fail));
      expect(await cached.call('k', ok)).to.equal('cached');
      expect(await cached.call('other', ok)).to.equal('ok');
    });

    it('breaker(key) looks without making or using: a key looked at is still the least recently used', async () => {
      const hosts = hostsOf(2);
      expect(hosts.breaker('never')).to.equal(undefined);
      expect(hosts.size).to.equal(0);
      await use(hosts, 'a', 'b');
      hosts.breaker('a');
      await use(hosts, 'c');
      expect(hosts.keys()).to.deep.equal(['c', 'b']);
    });
  });

  describe('maxKeys: the bound and the eviction order', () => {
    it('keeps at most maxKeys breakers however many distinct keys arrive', async () => {
      const hosts = hostsOf(100);
      for (let i = 0; i < 10_000; i++) await hosts.call(`host-${i}`, ok);
      expect(hosts.size).to.equal(100);
      expect(hosts.breakers()).to.have.length(100);
      expect(hosts.stats()).to.include({ evicted: 9_900, evictedOpen: 0 });
      expect(hosts.keys()[0]).to.equal('host-9999');
      expect(hosts.keys()[99]).to.equal('host-9900');
    });

    it('drops the least recently used key first, a call making a key the most recently used', async () => {
      const hosts = hostsOf(3);
      await use(hosts, 'a', 'b', 'c');
      await use(hosts, 'a'); // b is now the least recently used
      await use(hosts, 'd');
      expect(hosts.keys()).to.deep.equal(['d', 'a', 'c']);
      expect(hosts.breaker('b')).to.equal(undefined);
      await use(hosts, 'e');
      expect(hosts.keys()).to.deep.equal(['e', 'd', 'a']);
    });

    it('a refused call uses its key too', async () => {
      const hosts = hostsOf(3);
      await openKey(hosts, 'dead');
      await use(hosts, 'a', 'b');
      await rejectionOf(hosts.call('dead', ok));
      expect(hosts.keys()).to.deep.equal(['dead', 'b', 'a']);
    });

    it('drops a CLOSED key with nothing counted before one with failures counted, however recently used', async () => {
      const hosts = hostsOf(3, 3);
      await rejectionOf(hosts.call('flaky', fail)); // CLOSED, one failure counted
      await use(hosts, 'b', 'c');
      await use(hosts, 'd');
      expect(hosts.keys()).to.deep.equal(['d', 'c', 'flaky']);
      expect(hosts.breaker('flaky')!.stats().consecutiveFailures).to.equal(1);
    });

    it('drops a CLOSED key with failures counted before an OPEN one', async () => {
      const hosts = hostsOf(2, 3);
      for (let i = 0; i < 3; i++) await rejectionOf(hosts.call('dead', fail));
      await rejectionOf(hosts.call('flaky', fail));
      await use(hosts, 'new');
      expect(hosts.keys()).to.deep.equal(['new', 'dead']);
      expect(hosts.stats()).to.include({ evicted: 1, evictedOpen: 0 });
    });

    it('keeps OPEN and HALF_OPEN keys while CLOSED ones can go', async () => {
      const hosts = hostsOf(3);
      await openKey(hosts, 'open');
      await openKey(hosts, 'probing');
      clock.tick(1_000);
      let settleProbe!: (value: string) => void;
      void hosts.call('probing', () => new Promise<string>((resolve) => (settleProbe = resolve)));
      expect(hosts.breaker('probing')!.state).to.equal('HALF_OPEN');
      for (let i = 0; i < 5; i++) await use(hosts, `closed-${i}`);
      expect(hosts.keys()).to.deep.equal(['closed-4', 'probing', 'open']);
      settleProbe('ok');
      await flush();
      expect(hosts.breaker('probing')!.state).to.equal('CLOSED');
    });

    it('a key that closes is dropped in its turn again', async () => {
      const hosts = hostsOf(2);
      await openKey(hosts, 'a');
      await use(hosts, 'b', 'c'); // b goes: a is OPEN
      expect(hosts.keys()).to.deep.equal(['c', 'a']);
      clock.tick(1_000);
      await use(hosts, 'a'); // the probe closes it
      await use(hosts, 'c'); // a is the least recently used, and CLOSED
      await use(hosts, 'd');
      expect(hosts.keys()).to.deep.equal(['d', 'c']);
    });

    it('when every kept key is OPEN or HALF_OPEN, drops the least recently used, counted in evicted and evictedOpen', async () => {
      const hosts = hostsOf(2);
      await openKey(hosts, 'a');
      await openKey(hosts, 'b');
      await rejectionOf(hosts.call('a', ok)); // refused: a is now the most recently used
      await use(hosts, 'c');
      expect(hosts.keys()).to.deep.equal(['c', 'a']);
      expect(hosts.stats()).to.include({ evicted: 1, evictedOpen: 1 });
    });

    it('keeps isolated and disabled keys as it keeps OPEN ones (an operator set them)', async () => {
      const hosts = hostsOf(3);
      await use(hosts, 'isolated', 'disabled');
      hosts.breaker('isolated')!.isolate();
      hosts.breaker('disabled')!.disable();
      for (let i = 0; i < 3; i++) await use(hosts, `k${i}`);
      expect(hosts.keys()).to.deep.equal(['k2', 'disabled', 'isolated']);
    });

    it('a dropped key starts afresh on its next call: a new breaker, CLOSED, nothing counted', async () => {
      const hosts = hostsOf(1);
      await openKey(hosts, 'a');
      const first = hosts.breaker('a');
      await use(hosts, 'b'); // every kept key was OPEN: a goes
      expect(hosts.breaker('a')).to.equal(undefined);
      expect(await hosts.call('a', ok)).to.equal('ok');
      expect(hosts.breaker('a')).to.not.equal(first);
      expect(hosts.breaker('a')!.stats()).to.include({ state: 'CLOSED', calls: 1, failures: 0 });
    });

    it('under a failure-rate window: a key whose window holds failures is kept over one holding successes only', async () => {
      const rated = new CircuitBreaker({ key: true, maxKeys: 2, failureRate: { threshold: 0.5, minimumCalls: 10, window: { calls: 10 } } });
      await rejectionOf(rated.call('failing', fail));
      await rated.call('failing', ok); // a success after it: no consecutive failure, one in the window
      await rated.call('succeeding', ok);
      await rated.call('new', ok);
      expect(rated.keys()).to.deep.equal(['new', 'failing']);
      expect(rated.breaker('failing')!.stats().window).to.deep.equal({ calls: 2, failures: 1, slow: 0 });
    });
  });

  describe('bad input', () => {
    it('maxKeys must be a positive integer: a TypeError or RangeError naming it, when made', () => {
      expect(() => new CircuitBreaker({ key: true, maxKeys: 0 })).to.throw(RangeError, 'maxKeys must be a positive integer, got 0');
      expect(() => new CircuitBreaker({ key: true, maxKeys: 2.5 })).to.throw(RangeError, 'maxKeys must be a positive integer, got 2.5');
      expect(() => new CircuitBreaker({ key: true, maxKeys: Infinity })).to.throw(RangeError, 'maxKeys');
      expect(() => new CircuitBreaker({ key: true, maxKeys: NaN })).to.throw(RangeError, 'maxKeys');
      expect(() => new CircuitBreaker({ key: true, maxKeys: '100' as never })).to.throw(TypeError, 'maxKeys must be a number, got string "100"');
    });

    it('key must be true on a plain breaker (a key function is the decorator\'s)', () => {
      expect(() => new CircuitBreaker({ key: ((url: string) => url) as never })).to.throw(TypeError, 'key must be true on a breaker made with new');
      expect(() => new CircuitBreaker({ key: 'host' as never })).to.throw(TypeError, 'got string "host"');
      expect(() => new CircuitBreaker({ key: false as never })).to.throw(TypeError, 'key must be true');
    });

    it('maxKeys without key is a TypeError naming both', () => {
      expect(() => new CircuitBreaker({ maxKeys: 10 } as never)).to.throw(TypeError, 'maxKeys needs key: true');
    });

    it("the other options are checked as a breaker's: an unknown one is named, key and maxKeys are not unknown", () => {
      expect(() => new CircuitBreaker({ key: true, resetTimeout: -1 })).to.throw(RangeError, 'resetTimeout');
      expect(() => new CircuitBreaker({ key: true, scope: 'instance' } as never)).to.throw(TypeError, 'unknown circuit breaker option "scope"');
      expect(() => new CircuitBreaker({ key: true, maxKeys: 5, failureThreshold: 2 })).to.not.throw();
    });

    it('a keyed breaker with a store needs a name, as any breaker with a store', () => {
      expect(() => new CircuitBreaker({ key: true, store: new InMemoryCircuitStore() })).to.throw(TypeError, 'give it a name option');
    });

    it('a subclass of CircuitBreaker cannot be keyed', () => {
      const Base = CircuitBreaker as unknown as new (options: unknown) => object;
      class Mine extends Base {}
      expect(() => new Mine({ key: true })).to.throw(TypeError, 'a subclass of CircuitBreaker cannot be');
    });

    it('a call with a key that is not a string rejects with a TypeError naming the breaker: nothing made, invoked or counted', async () => {
      const hosts = hostsOf();
      const fn = sinon.stub().resolves('ok');
      const error = await rejectionOf(hosts.call(42 as never, fn));
      expect(error).to.be.instanceOf(TypeError);
      expect((error as Error).message).to.equal('circuit breaker "upstream": call(key, fn, ...args) needs a string key, got number 42');
      expect(await rejectionOf(hosts.call(undefined as never, fn))).to.be.instanceOf(TypeError);
      expect(fn.called).to.equal(false);
      expect(hosts.size).to.equal(0);
    });

    it('a call without a function rejects with a TypeError naming the breaker, and makes no breaker', async () => {
      const hosts = hostsOf();
      const error = await rejectionOf(hosts.call('a', 'fetch' as never));
      expect((error as Error).message).to.equal('circuit breaker "upstream": call(key, fn, ...args) needs a function to call, got string "fetch"');
      expect(hosts.size).to.equal(0);
    });

    it('breaker(key) with a key that is not a string throws a TypeError naming the breaker', () => {
      expect(() => hostsOf().breaker(7 as never)).to.throw(TypeError, 'circuit breaker "upstream": breaker(key) needs a string key, got number 7');
    });
  });

  describe('stats()', () => {
    it('gives the keys (most recently used first), maxKeys, the states and the evictions; toJSON() is the same', async () => {
      const hosts = hostsOf(3);
      expect(hosts.stats()).to.deep.equal({ name: 'upstream', keys: [], maxKeys: 3, states: { CLOSED: 0, OPEN: 0, HALF_OPEN: 0 }, evicted: 0, evictedOpen: 0 });
      await use(hosts, 'a', 'b', 'c', 'd');
      await openKey(hosts, 'c');
      expect(hosts.stats()).to.deep.equal({
        name: 'upstream',
        keys: ['c', 'd', 'b'],
        maxKeys: 3,
        states: { CLOSED: 2, OPEN: 1, HALF_OPEN: 0 },
        evicted: 1,
        evictedOpen: 0,
      });
      expect(JSON.parse(JSON.stringify(hosts))).to.deep.equal(hosts.stats());
    });
  });

  describe('with a store: each key is its own fleet circuit', () => {
    const settle = () => clock.tickAsync(0);

    it("a trip of one key opens that key's breaker in every member, and no other key", async () => {
      const store = new InMemoryCircuitStore();
      const here = new CircuitBreaker({ key: true, name: 'upstream', store, failureThreshold: 2, resetTimeout: 1_000 });
      const there = new CircuitBreaker({ key: true, name: 'upstream', store, failureThreshold: 2, resetTimeout: 1_000 });
      await use(there, 'dead', 'healthy');
      await settle();
      await openKey(here, 'dead');
      await settle();
      expect(store.state('upstream[dead]')).to.deep.include({ state: 'OPEN' });
      expect(there.breaker('dead')!.state).to.equal('OPEN');
      expect(there.breaker('healthy')!.state).to.equal('CLOSED');
      expect(store.state('upstream[healthy]')).to.deep.equal({ state: 'CLOSED' });
    });

    it('a key made after the fleet tripped it reads the fleet state and starts OPEN', async () => {
      const store = new InMemoryCircuitStore();
      const here = new CircuitBreaker({ key: true, name: 'upstream', store, failureThreshold: 1, resetTimeout: 1_000 });
      await openKey(here, 'dead');
      await settle();
      const late = new CircuitBreaker({ key: true, name: 'upstream', store, failureThreshold: 1, resetTimeout: 1_000 });
      await late.call('dead', ok); // made now: CLOSED until the store's answer arrives
      await settle();
      expect(late.breaker('dead')!.state).to.equal('OPEN');
    });

    it('a dropped key leaves its fleet circuit: what the fleet does to that key no longer reaches it', async () => {
      const store = new InMemoryCircuitStore();
      const here = new CircuitBreaker({ key: true, name: 'upstream', store, failureThreshold: 1, resetTimeout: 1_000 });
      const there = new CircuitBreaker({ key: true, name: 'upstream', store, failureThreshold: 1, resetTimeout: 1_000, maxKeys: 1 });
      await use(there, 'a');
      const dropped = there.breaker('a')!;
      await use(there, 'b'); // a is dropped
      await settle();
      await openKey(here, 'a');
      await settle();
      expect(dropped.state).to.equal('CLOSED');
      expect(dropped.fleet).to.equal(undefined);
    });
  });
});
