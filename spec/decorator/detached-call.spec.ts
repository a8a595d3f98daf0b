/**
 * A decorated instance method called without its instance (`ids.map(cache.get)`,
 * `breaker.call(cache.get, id)`): the caller's mistake, reported as one. It must not
 * reach the method, where it would fail as a dependency would and open the circuit
 * that every caller of the method shares.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, CircuitBreakerOpenException, getCircuitBreaker, type CircuitBreakerDecoratorOptions } from '../../src';
import { rejectionOf } from '../support/helpers';

type Detached = (this: unknown, ...args: unknown[]) => Promise<unknown>;

describe('decorator: an instance method called without an instance', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  /** A fresh class per spec: its method's breaker is shared by every instance, so specs must not share it. */
  function defineCache(options: CircuitBreakerDecoratorOptions<unknown> = { failureThreshold: 1 }) {
    const invoked = sinon.spy();
    class UserCache {
      readonly prefix = 'user:';
      @CircuitBreaker(options as never)
      async get(id: string): Promise<string> {
        invoked();
        return this.prefix + id;
      }
    }
    const cache = new UserCache(); // made first, so that both decorator modes know the class
    return { UserCache, cache, invoked, get: cache.get as unknown as Detached };
  }

  it('rejects with a TypeError naming Class#method and what `this` was, without invoking the method', async () => {
    const { cache, invoked, get } = defineCache();
    let pending: Promise<unknown> | undefined;
    expect(() => (pending = get('u1')), 'a rejection, not a synchronous throw').to.not.throw();
    const error = (await rejectionOf(pending!)) as Error;
    expect(error).to.be.instanceOf(TypeError);
    expect(error.message).to.match(/^UserCache#get was called without an instance \(this is undefined\)/);
    expect(invoked.called).to.equal(false);
    expect(await cache.get('u1'), 'called on its instance, it works').to.equal('user:u1');
  });

  it('as ids.map(cache.get) and breaker.call(cache.get, id) make it', async () => {
    const { cache, invoked } = defineCache();
    const [first] = await Promise.allSettled(['a', 'b'].map(cache.get as (id: string) => Promise<string>));
    expect(first).to.include({ status: 'rejected' });
    expect((first as PromiseRejectedResult).reason).to.be.instanceOf(TypeError).with.property('message').that.contains('UserCache#get');
    const other = new CircuitBreaker({ name: 'outer' });
    const error = await rejectionOf(other.call(cache.get as (id: string) => Promise<string>, 'a'));
    expect(error).to.be.instanceOf(TypeError).with.property('message').that.contains('UserCache#get');
    expect(invoked.called).to.equal(false);
  });

  it('takes null and primitives for no instance either, and names them', async () => {
    const { invoked, get } = defineCache();
    expect(((await rejectionOf(get.call(null, 'a'))) as Error).message).to.contain('(this is null)');
    expect(((await rejectionOf(get.call(5, 'a'))) as Error).message).to.contain('(this is number 5)');
    expect(((await rejectionOf(get.call('text', 'a'))) as Error).message).to.contain('(this is string "text")');
    expect(invoked.called).to.equal(false);
  });

  it('is not counted: the breaker sees no call and no failure, and the circuit stays CLOSED', async () => {
    const { cache, get } = defineCache({ failureThreshold: 1 });
    for (let i = 0; i < 5; i++) await rejectionOf(get('a'));
    const breaker = getCircuitBreaker(cache, 'get');
    expect(breaker.state).to.equal('CLOSED');
    expect(breaker.stats()).to.include({ calls: 0, failures: 0, refusals: 0, consecutiveFailures: 0 });
    expect(await cache.get('a')).to.equal('user:a');
  });

  it('does not use the fallback, neither for a failure nor while the circuit is OPEN', async () => {
    const fallback = sinon.spy(() => 'cached');
    const { cache, get } = defineCache({ failureThreshold: 1, fallback, fallbackOnFailure: true });
    expect(await rejectionOf(get('a'))).to.be.instanceOf(TypeError);
    getCircuitBreaker(cache, 'get').isolate();
    expect(await cache.get('a'), 'an instance call while OPEN gets the fallback').to.equal('cached');
    fallback.resetHistory();
    const error = await rejectionOf(get('a'));
    expect(error, 'the misuse, not a refusal').to.be.instanceOf(TypeError).and.not.instanceOf(CircuitBreakerOpenException);
    expect(fallback.called).to.equal(false);
  });

  it('names the method, not the breaker, when the method shares a named breaker', async () => {
    const shared = new CircuitBreaker({ name: 'redis', failureThreshold: 1 });
    class Sessions {
      @CircuitBreaker(shared)
      async load(): Promise<string> {
        return 'loaded';
      }
    }
    const sessions = new Sessions();
    const load = sessions.load as unknown as Detached;
    const error = (await rejectionOf(load())) as Error;
    expect(error.message).to.match(/^Sessions#load was called without an instance/);
    expect(shared.stats()).to.include({ calls: 0, failures: 0, state: 'CLOSED' });
  });

  it('rejects before the class is known too (standard decorators: no instance made yet), naming the method', async () => {
    class Lazy {
      @CircuitBreaker()
      async get(): Promise<string> {
        return 'got';
      }
    }
    const get = Lazy.prototype.get as unknown as Detached;
    const error = (await rejectionOf(get())) as Error;
    expect(error).to.be.instanceOf(TypeError);
    expect(error.message).to.match(/#get was called without an instance/);
  });

  it('leaves a static method alone: called detached, it runs and counts, `this` being whatever it was called with', async () => {
    class Health {
      @CircuitBreaker()
      static async ping(): Promise<string> {
        return 'pong';
      }
    }
    const ping = Health.ping as unknown as Detached;
    expect(await ping()).to.equal('pong');
    expect(getCircuitBreaker(Health, 'ping').stats().calls).to.equal(1);
  });

  describe("scope 'instance'", () => {
    it('rejects a call detached from its instance with a TypeError naming the method, never a synchronous throw', async () => {
      class Tenant {
        @CircuitBreaker({ scope: 'instance' })
        async load(): Promise<string> {
          return 'ok';
        }
      }
      const detached = new Tenant().load;
      let result: Promise<string> | undefined;
      expect(() => (result = detached.call(undefined))).not.to.throw();
      const error = await rejectionOf(result!);
      expect(error).to.be.instanceOf(TypeError);
      expect((error as Error).message).to.match(/load has one breaker per instance/);
    });
  });
});
