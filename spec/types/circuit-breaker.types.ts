// Type tests: compiled in both decorator modes by `npm run typecheck`, never run.
import {
  CircuitBreaker,
  getCircuitBreaker,
  type CircuitBreakerStats,
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
