// Type tests: compiled in both decorator modes by `npm run typecheck`, never run.
import {
  CircuitBreaker,
  getCircuitBreaker,
  getKeyedCircuitBreaker,
  type CircuitBreakerStats,
  type KeyedCircuitBreaker,
  type KeyedCircuitBreakerStats,
  type CircuitState,
  type OpenEvent,
  type RefusalEvent,
  type StateChangeEvent,
} from '../../src';
import { expectType, expectTypeOf } from './expect-type';

interface User {
  readonly id: string;
}
declare function fetchUser(id: string, fresh?: boolean): Promise<User | null>;

declare const breaker: CircuitBreaker;

// ---- the breaker ------------------------------------------------------------

export async function callKeepsTypes(): Promise<void> {
  expectType<User | null>()(await breaker.call(fetchUser, 'id'));
  expectType<User | null>()(await breaker.call(fetchUser, 'id', true));
  expectType<Promise<number>>()(breaker.call(async (a: number, b: number) => a + b, 1, 2));

  // @ts-expect-error an argument of the wrong type
  void breaker.call(fetchUser, 42);
  // @ts-expect-error a required argument missing
  void breaker.call(fetchUser);
  // @ts-expect-error one argument too many
  void breaker.call(fetchUser, 'id', true, 'extra');
  // @ts-expect-error a function that returns no promise
  void breaker.call((id: string) => id, 'id');
}

export async function fallbackWidensTheResult(): Promise<void> {
  const cached = new CircuitBreaker({ fallback: () => 'cached' as const });
  expectType<User | null | 'cached'>()(await cached.call(fetchUser, 'id'));
}

export function constructedTypes(): void {
  expectType<CircuitBreaker<never>>()(new CircuitBreaker());
  expectType<CircuitBreaker<never>>()(new CircuitBreaker(5, 30_000));
  expectType<CircuitBreaker<never>>()(new CircuitBreaker({ failureThreshold: 5, resetTimeout: 30_000 }));
  expectType<CircuitBreaker<unknown>>()(getCircuitBreaker({}, 'get'));
}

export function stateAndStats(): void {
  expectType<'CLOSED' | 'OPEN' | 'HALF_OPEN'>()(breaker.state);
  expectTypeOf<CircuitState, 'CLOSED' | 'OPEN' | 'HALF_OPEN'>();
  expectType<string>()(breaker.name);
  const stats = breaker.stats();
  expectType<CircuitBreakerStats>()(stats);
  expectType<CircuitState>()(stats.state);
  expectType<number>()(stats.consecutiveFailures);
  expectType<number>()(stats.lateOutcomes);
  expectType<number | null>()(stats.lastFailureAt);
  expectType<number | null>()(stats.nextProbeAt);
  expectType<boolean>()(stats.isolated);
  expectType<CircuitBreakerStats>()(breaker.toJSON());
  // @ts-expect-error stats are read-only
  stats.calls = 0;
}

export function typedEvents(): void {
  breaker.onOpen((event) => expectType<OpenEvent>()(event));
  breaker.onRefusal((event) => expectType<number>()(event.retryAfter));
  const subscription = breaker.onStateChange((event) => expectType<StateChangeEvent>()(event));
  subscription.dispose();
  breaker.onRefusal((event: RefusalEvent) => void event);
  // @ts-expect-error there is no string-typed `on`
  breaker.on('open', () => undefined);
}

export function options(): void {
  // @ts-expect-error an unknown option name
  void new CircuitBreaker({ failureTreshold: 3 });
  // @ts-expect-error an option of the wrong type
  void new CircuitBreaker({ resetTimeout: '60s' });
  // @ts-expect-error the decorator-only option on a plain breaker
  void new CircuitBreaker({ scope: 'instance' });
  // @ts-expect-error an unknown option name in the decorator
  void CircuitBreaker({ bogus: 1 });
  // @ts-expect-error an unknown scope
  void CircuitBreaker({ scope: 'request' });
  void CircuitBreaker({ scope: 'instance', failureThreshold: 2 });
}

// ---- the decorator ----------------------------------------------------------

export class UserCache {
  @CircuitBreaker()
  async get(id: string): Promise<User | null> {
    return { id };
  }

  @CircuitBreaker({ failureThreshold: 5, resetTimeout: 30_000 })
  async set(_id: string, _user: User, _ttl?: number): Promise<void> {}

  @CircuitBreaker(5, 30_000)
  async del(_id: string): Promise<boolean> {
    return true;
  }

  @CircuitBreaker({ fallback: () => null })
  async cached(id: string): Promise<User | null> {
    return { id };
  }

  @CircuitBreaker({ fallback: (_error: unknown, id: string) => ({ id }) })
  async byId(id: string, _fresh?: boolean): Promise<User> {
    return { id };
  }

  @CircuitBreaker(breaker)
  async shared(): Promise<number> {
    return 1;
  }

  @CircuitBreaker()
  static async ping(): Promise<'pong'> {
    return 'pong';
  }
}

export function decoratedMethodsKeepTheirTypes(cache: UserCache): void {
  expectTypeOf<Parameters<UserCache['get']>, [id: string]>();
  expectTypeOf<ReturnType<UserCache['get']>, Promise<User | null>>();
  expectTypeOf<Parameters<UserCache['set']>, [_id: string, _user: User, _ttl?: number]>();
  expectTypeOf<ReturnType<UserCache['del']>, Promise<boolean>>();
  expectTypeOf<ReturnType<typeof UserCache.ping>, Promise<'pong'>>();
  expectType<Promise<User | null>>()(cache.get('id'));
  // @ts-expect-error the decorated method still checks its arguments
  void cache.get(42);
}

// ---- getCircuitBreaker: the method by the target's keys ----------------------

export class Report {
  readonly prefix: string = 'report:';
  @CircuitBreaker()
  async render(): Promise<string> {
    return this.prefix;
  }

  own(): CircuitBreaker<unknown> {
    // `this` is generic: its class's methods are known all the same.
    getCircuitBreaker(this, 'render');
    // @ts-expect-error a misspelt method on `this`
    getCircuitBreaker(this, 'rendr');
    return getCircuitBreaker(this, 'own');
  }
}

export function lookupIsTypedByTheTarget(cache: UserCache, held: object, loose: any, generic: <T extends UserCache>(t: T) => T): void {
  expectType<CircuitBreaker<unknown>>()(getCircuitBreaker(cache, 'get'));
  getCircuitBreaker(UserCache.prototype, 'set');
  getCircuitBreaker(UserCache, 'ping'); // a static method
  getCircuitBreaker(UserCache, 'get'); // a class, for its instances' method
  getCircuitBreaker(generic(cache), 'del');
  for (const method of ['get', 'set', 'del'] as const) getCircuitBreaker(cache, method);

  // @ts-expect-error a misspelt method on an instance
  getCircuitBreaker(cache, 'gte');
  // @ts-expect-error a misspelt method on a prototype
  getCircuitBreaker(UserCache.prototype, 'gte');
  // @ts-expect-error a misspelt method on a class
  getCircuitBreaker(UserCache, 'gte');
  // @ts-expect-error a static method is not an instance's
  getCircuitBreaker(cache, 'ping');
  // @ts-expect-error a field is not a method
  getCircuitBreaker(new Report(), 'prefix');
  // @ts-expect-error what a class has that is no method
  getCircuitBreaker(UserCache, 'prototype');
  // @ts-expect-error any string is not known to be a method
  getCircuitBreaker(cache, String('get'));

  // A target whose type says nothing of its methods takes any name, checked when called.
  getCircuitBreaker(held, 'whatever');
  getCircuitBreaker(held, Symbol('whatever'));
  getCircuitBreaker(loose, 'whatever');
  getCircuitBreaker({}, 'whatever');
}

export class Misuse {
  // @ts-expect-error a decorated method must return a promise: the decorator never makes a sync method async
  @CircuitBreaker()
  count(): number {
    return 1;
  }

  // @ts-expect-error the fallback's result does not fit the method's result
  @CircuitBreaker({ fallback: () => 42 })
  async name(): Promise<string> {
    return 'name';
  }

  // @ts-expect-error the fallback's parameters do not accept the method's arguments
  @CircuitBreaker({ fallback: (_error: unknown, id: number) => String(id) })
  async lookup(id: string): Promise<string> {
    return id;
  }

  // @ts-expect-error a getter is not a method
  @CircuitBreaker()
  get value(): Promise<number> {
    return Promise.resolve(1);
  }
}

// ---- keyed circuits -----------------------------------------------------------

declare function fetchFrom(url: string, init?: { readonly method?: string }): Promise<string>;

export function keyedBreakerTypes(): void {
  const hosts = new CircuitBreaker({ key: true, maxKeys: 1_000, failureThreshold: 5, resetTimeout: 10_000 });
  expectType<KeyedCircuitBreaker<never>>()(hosts);
  expectType<Promise<string>>()(hosts.call('api.example.com', fetchFrom, 'https://api.example.com/'));
  expectType<Promise<string>>()(hosts.call('api.example.com', fetchFrom, 'https://api.example.com/', { method: 'GET' }));
  expectType<CircuitBreaker<never> | undefined>()(hosts.breaker('api.example.com'));
  expectType<KeyedCircuitBreakerStats>()(hosts.stats());
  expectType<readonly string[]>()(hosts.stats().keys);
  expectType<number>()(hosts.stats().evicted);
  expectType<string[]>()(hosts.keys());
  expectType<string>()(hosts.name);

  const cached = new CircuitBreaker({ key: true, fallback: () => 'cached' as const });
  expectType<Promise<string | 'cached'>>()(cached.call('k', fetchFrom, 'url'));

  // @ts-expect-error the key comes first, and is a string
  void hosts.call(fetchFrom, 'https://api.example.com/');
  // @ts-expect-error a key that is not a string
  void hosts.call(42, fetchFrom, 'url');
  // @ts-expect-error the function's arguments are still checked
  void hosts.call('k', fetchFrom, 42);
  // @ts-expect-error a plain breaker's key is `true`: a key function is the decorator's
  void new CircuitBreaker({ key: (url: string) => url });
  // @ts-expect-error key: false is no keyed breaker
  void new CircuitBreaker({ key: false });
  // @ts-expect-error maxKeys without key
  void new CircuitBreaker({ maxKeys: 10 });
  // @ts-expect-error an unknown option next to key
  void new CircuitBreaker({ key: true, maxKeyz: 10 });
  // @ts-expect-error maxKeys is a number
  void new CircuitBreaker({ key: true, maxKeys: '10' });
  // @ts-expect-error a keyed breaker is not a breaker
  expectType<CircuitBreaker<never>>()(new CircuitBreaker({ key: true }));
}

/** A class may still extend the breaker class: the keyed signature is not among its base constructors. */
export class NamedBreaker extends CircuitBreaker {
  constructor() {
    super({ name: 'named' });
  }
}
export class FallbackBreaker extends CircuitBreaker<'cached'> {}
export function subclassTypes(): void {
  expectType<'CLOSED' | 'OPEN' | 'HALF_OPEN'>()(new NamedBreaker().state);
  expectType<Promise<User | null | 'cached'>>()(new FallbackBreaker({ fallback: () => 'cached' as const }).call(fetchUser, 'id'));
}

export class UpstreamClient {
  @CircuitBreaker({ key: (url: string) => new URL(url).host, maxKeys: 1_000, failureThreshold: 5, resetTimeout: 10_000 })
  async get(url: string, _init?: { readonly method?: string }): Promise<string> {
    return url;
  }

  @CircuitBreaker({ key: (tenant: string, shard: number) => `${tenant}/${shard}` })
  async read(tenant: string, shard: number): Promise<number> {
    return tenant.length + shard;
  }

  @CircuitBreaker({ key: (...args: unknown[]) => String(args[0]), scope: 'instance' })
  async any(_a: string, _b: boolean): Promise<void> {}

  @CircuitBreaker({ key: (region: string) => region })
  static async ping(region: string): Promise<string> {
    return region;
  }

  @CircuitBreaker({ key: (url: string) => url, fallback: () => 'fallback' })
  async withFallback(url: string): Promise<string> {
    return url;
  }
}

export function keyedDecoratorTypes(client: UpstreamClient): void {
  expectTypeOf<Parameters<UpstreamClient['get']>, [url: string, _init?: { readonly method?: string }]>();
  expectType<Promise<string>>()(client.get('https://api.example.com/'));
  expectType<CircuitBreaker<unknown> | undefined>()(getCircuitBreaker(client, 'get', 'api.example.com'));
  expectType<CircuitBreaker<unknown> | undefined>()(getCircuitBreaker(UpstreamClient, 'ping', 'eu'));
  expectType<KeyedCircuitBreaker<unknown>>()(getKeyedCircuitBreaker(client, 'get'));
  expectType<KeyedCircuitBreakerStats>()(getKeyedCircuitBreaker(UpstreamClient, 'get').stats());
  // @ts-expect-error a misspelt method, with a key
  getCircuitBreaker(client, 'gte', 'api.example.com');
  // @ts-expect-error a key that is not a string
  getCircuitBreaker(client, 'get', 42);
  // @ts-expect-error a misspelt method
  getKeyedCircuitBreaker(client, 'gte');
}

export class KeyMisuse {
  // @ts-expect-error the key function's parameters do not accept the method's arguments
  @CircuitBreaker({ key: (id: number) => String(id) })
  async byUrl(url: string): Promise<string> {
    return url;
  }

  // @ts-expect-error the key function needs an argument the method does not take
  @CircuitBreaker({ key: (tenant: string, shard: number) => `${tenant}/${shard}` })
  async one(tenant: string): Promise<string> {
    return tenant;
  }

  // @ts-expect-error the key function returns no string
  @CircuitBreaker({ key: (id: string) => id.length })
  async length(id: string): Promise<number> {
    return id.length;
  }

  // @ts-expect-error a decorator's key is a function, not `true`
  @CircuitBreaker({ key: true })
  async keyedByTrue(id: string): Promise<string> {
    return id;
  }

  // @ts-expect-error maxKeys is a number
  @CircuitBreaker({ key: (id: string) => id, maxKeys: 'many' })
  async bound(id: string): Promise<string> {
    return id;
  }
}
