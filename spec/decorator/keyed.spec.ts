/**
 * `@CircuitBreaker({ key })`: a decorated method with one breaker per key (a keyed breaker in front of
 * ordinary breakers), in both decorator modes. Every class is defined inside its spec.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import {
  CircuitBreaker,
  CircuitBreakerOpenException,
  InMemoryCircuitStore,
  getCircuitBreaker,
  getKeyedCircuitBreaker,
  listCircuitBreakers,
  setCircuitBreakerDefaults,
} from '../../src';
import { flush, rejectionOf } from '../support/helpers';
import { isStandard } from '../support/mode';

const host = (url: string): string => new URL(url).host;

describe('decorator: keyed circuits, @CircuitBreaker({ key })', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => {
    setCircuitBreakerDefaults({});
    clock.restore();
  });

  /** The HTTP client of the README: one circuit per upstream host; `down` hosts fail. */
  function upstreamClient(options: { maxKeys?: number } = {}) {
    const down = new Set<string>();
    const invoked: string[] = [];
    class UpstreamClient {
      @CircuitBreaker({ key: (url: string) => host(url), failureThreshold: 3, resetTimeout: 10_000, ...options })
      async get(url: string): Promise<string> {
        invoked.push(url);
        if (down.has(host(url))) throw new Error(`${host(url)} is down`);
        return `body of ${url}`;
      }
    }
    return { client: new UpstreamClient(), down, invoked, UpstreamClient };
  }

  async function openHost(client: { get(url: string): Promise<string> }, url: string): Promise<void> {
    for (let i = 0; i < 3; i++) await rejectionOf(client.get(url));
    expect(getCircuitBreaker(client, 'get', host(url))!.state).to.equal('OPEN');
  }

  it('one dead host opens only its own circuit while the other hosts keep flowing', async () => {
    const { client, down, invoked } = upstreamClient();
    down.add('dead.example');
    await openHost(client, 'https://dead.example/a');
    invoked.length = 0;
    const refusal = await rejectionOf(client.get('https://dead.example/b'));
    expect(refusal).to.be.instanceOf(CircuitBreakerOpenException);
    expect((refusal as CircuitBreakerOpenException).breaker).to.equal('UpstreamClient#get[dead.example]');
    for (let i = 0; i < 5; i++) {
      expect(await client.get(`https://api.example/${i}`)).to.equal(`body of https://api.example/${i}`);
      expect(await client.get(`https://cdn.example/${i}`)).to.equal(`body of https://cdn.example/${i}`);
    }
    expect(invoked).to.have.length(10);
    expect(invoked.some((url) => url.includes('dead.example'))).to.equal(false);
    // The dead host's wait ends on its own; the others were never touched.
    clock.tick(10_000);
    down.delete('dead.example');
    expect(await client.get('https://dead.example/c')).to.equal('body of https://dead.example/c');
    expect(getCircuitBreaker(client, 'get', 'dead.example')!.state).to.equal('CLOSED');
  });

  it("names each key's breaker Class#method[key] (Class.method[key] when static, name[key] with a name)", async () => {
    class Shards {
      @CircuitBreaker({ key: (shard: number) => `shard-${shard}` })
      async read(shard: number): Promise<number> {
        return shard;
      }
      @CircuitBreaker({ key: (tenant: string) => tenant, name: 'tenants-api' })
      async tenant(tenant: string): Promise<string> {
        return tenant;
      }
      @CircuitBreaker({ key: (region: string) => region })
      static async ping(region: string): Promise<string> {
        return region;
      }
    }
    const shards = new Shards();
    await shards.read(3);
    await shards.tenant('acme');
    await Shards.ping('eu');
    expect(getCircuitBreaker(shards, 'read', 'shard-3')!.name).to.equal('Shards#read[shard-3]');
    expect(getCircuitBreaker(shards, 'tenant', 'acme')!.name).to.equal('tenants-api[acme]');
    expect(getCircuitBreaker(Shards, 'ping', 'eu')!.name).to.equal('Shards.ping[eu]');
    expect(getKeyedCircuitBreaker(shards, 'read').name).to.equal('Shards#read');
  });

  it("gives each key's breaker the method's options, and its own state and counts", async () => {
    const { client, down } = upstreamClient();
    down.add('a.example');
    await rejectionOf(client.get('https://a.example/'));
    await client.get('https://b.example/');
    const a = getCircuitBreaker(client, 'get', 'a.example')!;
    const b = getCircuitBreaker(client, 'get', 'b.example')!;
    expect(a).to.not.equal(b);
    expect(a.options).to.include({ failureThreshold: 3, resetTimeout: 10_000 });
    expect(a.stats()).to.include({ calls: 1, failures: 1, consecutiveFailures: 1 });
    expect(b.stats()).to.include({ calls: 1, successes: 1, failures: 0 });
  });

  it("calls the key function with the call's this and arguments, and keeps the method's this, arguments and result", async () => {
    const seen: unknown[] = [];
    class Tenants {
      constructor(readonly region: string) {}
      @CircuitBreaker({
        key(this: Tenants, tenant: string, page: number) {
          seen.push([this, tenant, page]);
          return `${this.region}/${tenant}`;
        },
      })
      async list(tenant: string, page: number): Promise<string> {
        return `${this.region}:${tenant}:${page}`;
      }
    }
    const eu = new Tenants('eu');
    expect(await eu.list('acme', 2)).to.equal('eu:acme:2');
    expect(seen).to.deep.equal([[eu, 'acme', 2]]);
    expect(getCircuitBreaker(eu, 'list', 'eu/acme')!.stats().calls).to.equal(1);
  });

  describe('the registry', () => {
    it('getCircuitBreaker(target, method, key): undefined until the key is used, then its breaker, from an instance, the prototype or the class', async () => {
      const { client, UpstreamClient } = upstreamClient();
      expect(getCircuitBreaker(client, 'get', 'api.example')).to.equal(undefined);
      await client.get('https://api.example/x');
      const breaker = getCircuitBreaker(client, 'get', 'api.example')!;
      expect(breaker.name).to.equal('UpstreamClient#get[api.example]');
      expect(getCircuitBreaker(UpstreamClient.prototype, 'get', 'api.example')).to.equal(breaker);
      expect(getCircuitBreaker(UpstreamClient, 'get', 'api.example')).to.equal(breaker);
      expect(getCircuitBreaker(new UpstreamClient(), 'get', 'api.example'), 'every instance shares it').to.equal(breaker);
    });

    it('getCircuitBreaker(target, method) on a keyed method throws, naming the forms that work', () => {
      const { client } = upstreamClient();
      expect(() => getCircuitBreaker(client, 'get')).to.throw(
        TypeError,
        'UpstreamClient#get has one breaker per key (its key option): pass the key, getCircuitBreaker(target, method, key), or use getKeyedCircuitBreaker(target, method)',
      );
    });

    it('a key for a method without a key option is a TypeError, as is a key that is not a string', () => {
      class Plain {
        @CircuitBreaker()
        async get(): Promise<void> {}
      }
      expect(() => getCircuitBreaker(new Plain(), 'get', 'x')).to.throw(TypeError, 'Plain#get has no key option');
      expect(() => getKeyedCircuitBreaker(new Plain(), 'get')).to.throw(TypeError, 'Plain#get has no key option');
      const { client } = upstreamClient();
      expect(() => getCircuitBreaker(client, 'get', 42 as never)).to.throw(TypeError, 'getCircuitBreaker needs a string key, got number 42');
    });

    it('getKeyedCircuitBreaker(target, method): every key, and stats() with the keys and evictions', async () => {
      const { client } = upstreamClient({ maxKeys: 2 });
      await client.get('https://a.example/');
      await client.get('https://b.example/');
      await client.get('https://c.example/');
      const keyed = getKeyedCircuitBreaker(client, 'get');
      expect(keyed.stats()).to.deep.equal({
        name: 'UpstreamClient#get',
        keys: ['c.example', 'b.example'],
        maxKeys: 2,
        states: { CLOSED: 2, OPEN: 0, HALF_OPEN: 0 },
        evicted: 1,
        evictedOpen: 0,
      });
      expect(keyed.breakers().map((b) => b.name)).to.deep.equal(['UpstreamClient#get[c.example]', 'UpstreamClient#get[b.example]']);
    });

    it("listCircuitBreakers() lists each key's breaker, and no longer one that was dropped", async () => {
      const { client } = upstreamClient({ maxKeys: 2 });
      await client.get('https://a.example/');
      await client.get('https://b.example/');
      const a = getCircuitBreaker(client, 'get', 'a.example')!;
      const b = getCircuitBreaker(client, 'get', 'b.example')!;
      expect(listCircuitBreakers()).to.include.members([a, b]);
      await client.get('https://c.example/');
      const c = getCircuitBreaker(client, 'get', 'c.example')!;
      expect(c.name).to.equal('UpstreamClient#get[c.example]');
      expect(listCircuitBreakers()).to.include.members([b, c]);
      expect(listCircuitBreakers()).to.not.include(a);
    });
  });

  describe('maxKeys', () => {
    it('bounds the breakers of a method: 10,000 distinct hosts through maxKeys 100 keep 100', async () => {
      const { client } = upstreamClient({ maxKeys: 100 });
      for (let i = 0; i < 10_000; i++) await client.get(`https://host-${i}.example/`);
      const keyed = getKeyedCircuitBreaker(client, 'get');
      expect(keyed.size).to.equal(100);
      expect(keyed.stats().evicted).to.equal(9_900);
    });

    it('drops the least recently used CLOSED host with nothing counted; keeps an OPEN one until it closes', async () => {
      const { client, down } = upstreamClient({ maxKeys: 3 });
      down.add('dead.example');
      await openHost(client, 'https://dead.example/');
      await client.get('https://a.example/');
      await client.get('https://b.example/');
      await client.get('https://c.example/'); // drops a: dead is older, but OPEN
      expect(getKeyedCircuitBreaker(client, 'get').keys()).to.deep.equal(['c.example', 'b.example', 'dead.example']);
      expect(getCircuitBreaker(client, 'get', 'a.example')).to.equal(undefined);
    });
  });

  describe('bad keys, when called', () => {
    it('a key function that throws rejects the call with a TypeError naming the breaker (its cause kept): not invoked, not counted', async () => {
      const { client, invoked } = upstreamClient();
      const error = await rejectionOf(client.get('not a url'));
      expect(error).to.be.instanceOf(TypeError);
      expect((error as Error).message).to.match(/^circuit breaker "UpstreamClient#get": its key function threw: /);
      expect((error as Error).cause).to.be.instanceOf(TypeError); // what new URL() threw
      expect(invoked).to.deep.equal([]);
      expect(getKeyedCircuitBreaker(client, 'get').size).to.equal(0);
    });

    it('a key function that throws a non-Error value is described', async () => {
      class Thrower {
        @CircuitBreaker({
          key: (): string => {
            throw 'no key';
          },
        })
        async get(): Promise<void> {}
      }
      const error = await rejectionOf(new Thrower().get());
      expect((error as Error).message).to.equal('circuit breaker "Thrower#get": its key function threw: string "no key"');
      expect((error as Error).cause).to.equal('no key');
    });

    it('a key function that returns no string rejects the call with a TypeError naming the breaker: not invoked, not counted', async () => {
      const invoked = sinon.spy();
      class Loose {
        @CircuitBreaker({ key: ((id: unknown) => id) as (id: unknown) => string, failureThreshold: 1 })
        async get(_id: unknown): Promise<void> {
          invoked();
        }
      }
      const loose = new Loose();
      for (const bad of [42, undefined, null, { host: 'a' }]) {
        const error = await rejectionOf(loose.get(bad));
        expect(error).to.be.instanceOf(TypeError);
        expect((error as Error).message).to.match(/^circuit breaker "Loose#get": its key function must return a string, got /);
      }
      expect((await rejectionOf(loose.get(42)) as Error).message).to.equal('circuit breaker "Loose#get": its key function must return a string, got number 42');
      expect(invoked.called).to.equal(false);
      expect(getKeyedCircuitBreaker(loose, 'get').size).to.equal(0);
      await loose.get('fine');
      expect(invoked.calledOnce).to.equal(true);
    });
  });

  describe('bad options, when the class is defined', () => {
    it('a key that is not a function is a TypeError naming the option', () => {
      expect(() => CircuitBreaker({ key: true as never })).to.throw(TypeError, /^key must be a function of the method's arguments returning a string.*got boolean true$/);
      expect(() => CircuitBreaker({ key: 'host' as never })).to.throw(TypeError, 'got string "host"');
    });

    it('maxKeys must be a positive integer, and needs a key', () => {
      const key = (id: string) => id;
      expect(() => CircuitBreaker({ key, maxKeys: 0 })).to.throw(RangeError, 'maxKeys must be a positive integer, got 0');
      expect(() => CircuitBreaker({ key, maxKeys: -5 })).to.throw(RangeError, 'maxKeys must be a positive integer, got -5');
      expect(() => CircuitBreaker({ key, maxKeys: 1.5 })).to.throw(RangeError, 'maxKeys');
      expect(() => CircuitBreaker({ key, maxKeys: '10' as never })).to.throw(TypeError, 'maxKeys must be a number, got string "10"');
      expect(() => CircuitBreaker({ maxKeys: 10 })).to.throw(TypeError, 'maxKeys needs a key option');
    });

    it('a keyed breaker cannot be shared by methods: @CircuitBreaker(keyed) is a TypeError pointing at the key option', () => {
      const hosts = new CircuitBreaker({ key: true, name: 'hosts' });
      expect(() => CircuitBreaker(hosts as never)).to.throw(TypeError, 'a keyed breaker ("hosts") takes its key as call\'s first argument');
    });

    it('key and maxKeys are not defaults: setCircuitBreakerDefaults names them as unknown', () => {
      expect(() => setCircuitBreakerDefaults({ maxKeys: 10 } as never)).to.throw(TypeError, 'unknown circuit breaker option "maxKeys"');
    });
  });

  it('a call without an instance rejects as for an unkeyed method, before the key function runs', async () => {
    const key = sinon.spy((url: string) => url);
    class Client {
      @CircuitBreaker({ key })
      async get(url: string): Promise<string> {
        return url;
      }
    }
    const { get } = new Client();
    const error = await rejectionOf(get('x'));
    expect((error as Error).message).to.match(/^Client#get was called without an instance/);
    expect(key.called).to.equal(false);
  });

  describe("scope: 'instance'", () => {
    it('gives each instance its own keyed breaker: a host dead for one tenant stays open for that one only', async () => {
      class TenantClient {
        constructor(readonly down: boolean) {}
        @CircuitBreaker({ scope: 'instance', key: (url: string) => host(url), failureThreshold: 1 })
        async get(url: string): Promise<string> {
          if (this.down) throw new Error('down');
          return url;
        }
      }
      const acme = new TenantClient(true);
      const globex = new TenantClient(false);
      await rejectionOf(acme.get('https://api.example/'));
      expect(getCircuitBreaker(acme, 'get', 'api.example')!.state).to.equal('OPEN');
      expect(await globex.get('https://api.example/')).to.equal('https://api.example/');
      expect(getCircuitBreaker(globex, 'get', 'api.example')!.state).to.equal('CLOSED');
      expect(getKeyedCircuitBreaker(acme, 'get')).to.not.equal(getKeyedCircuitBreaker(globex, 'get'));
      expect(getCircuitBreaker(acme, 'get', 'api.example')!.name).to.equal('TenantClient#get[api.example]');
      expect(getCircuitBreaker(new TenantClient(false), 'get', 'api.example'), 'an instance not called yet').to.equal(undefined);
      expect(listCircuitBreakers()).to.include.members([getCircuitBreaker(acme, 'get', 'api.example')!, getCircuitBreaker(globex, 'get', 'api.example')!]);
    });

    it('a per-instance keyed method looked up without an instance, or without its key, is a TypeError', () => {
      class TenantClient {
        @CircuitBreaker({ scope: 'instance', key: (id: string) => id })
        async get(_id: string): Promise<void> {}
      }
      expect(() => getCircuitBreaker(TenantClient.prototype, 'get', 'a')).to.throw(TypeError, "scope 'instance'");
      expect(() => getCircuitBreaker(new TenantClient(), 'get')).to.throw(TypeError, 'has one breaker per key');
    });

    it('a call without an instance rejects, naming the method', async () => {
      class TenantClient {
        @CircuitBreaker({ scope: 'instance', key: (id: string) => id })
        async get(id: string): Promise<string> {
          return id;
        }
      }
      const { get } = new TenantClient();
      expect((await rejectionOf(get('a')) as Error).message).to.equal("get has one keyed breaker per instance (scope 'instance'): call it on an instance");
    });
  });

  it('setCircuitBreakerDefaults: keys made afterwards use the defaults, keys already made keep their options', async () => {
    class Feed {
      @CircuitBreaker({ key: (topic: string) => topic })
      async read(topic: string): Promise<string> {
        return topic;
      }
    }
    const feed = new Feed();
    await feed.read('early');
    setCircuitBreakerDefaults({ failureThreshold: 7 });
    await feed.read('late');
    expect(getCircuitBreaker(feed, 'read', 'early')!.options.failureThreshold).to.equal(3);
    expect(getCircuitBreaker(feed, 'read', 'late')!.options).to.include({ failureThreshold: 7, name: 'Feed#read[late]' });
  });

  it('with a store, each key is its own fleet circuit Class#method[key]; a dropped key leaves it', async () => {
    const store = new InMemoryCircuitStore();
    class Shards {
      @CircuitBreaker({ key: (shard: string) => shard, store, failureThreshold: 1, maxKeys: 2 })
      async read(_shard: string): Promise<string> {
        throw new Error('shard down');
      }
    }
    const replica = new CircuitBreaker({ name: 'Shards#read[s1]', store, failureThreshold: 1 });
    const shards = new Shards();
    await clock.tickAsync(0);
    await rejectionOf(shards.read('s1'));
    await clock.tickAsync(0);
    expect(store.state('Shards#read[s1]')).to.deep.include({ state: 'OPEN' });
    expect(replica.state).to.equal('OPEN');
    expect(store.state('Shards#read[s2]')).to.deep.equal({ state: 'CLOSED' });
    const s1 = getCircuitBreaker(shards, 'read', 's1')!;
    expect(s1.fleet).to.not.equal(undefined);
    await rejectionOf(shards.read('s2'));
    await rejectionOf(shards.read('s3')); // both kept keys are OPEN: the least recently used, s1, goes
    expect(getCircuitBreaker(shards, 'read', 's1')).to.equal(undefined);
    expect(s1.fleet).to.equal(undefined);
    await flush();
  });

  if (isStandard) {
    it('standard mode: the first call from an instance made without its constructor names the keys Class#method[key]', async () => {
      class Orm {
        @CircuitBreaker({ key: (id: string) => id })
        async load(id: string): Promise<string> {
          return id;
        }
      }
      const loaded = Object.create(Orm.prototype) as Orm;
      await loaded.load('row-1');
      expect(getCircuitBreaker(loaded, 'load', 'row-1')!.name).to.equal('Orm#load[row-1]');
    });

    it('standard mode: a keyed method is listed once its class is known, its keys named then', async () => {
      class Late {
        @CircuitBreaker({ key: (id: string) => id })
        async get(id: string): Promise<string> {
          return id;
        }
      }
      // A call with a foreign `this` says nothing of the class: the key's breaker has a provisional name, unlisted.
      await Late.prototype.get.call({}, 'k');
      expect(listCircuitBreakers().some((b) => b.name.endsWith('#get[k]'))).to.equal(false);
      new Late();
      expect(getCircuitBreaker(Late.prototype, 'get', 'k')!.name).to.equal('Late#get[k]');
      expect(listCircuitBreakers().map((b) => b.name)).to.include('Late#get[k]');
    });
  }
});
