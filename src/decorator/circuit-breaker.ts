import { CircuitBreaker as Breaker } from '../breaker/breaker';
import { KeyedCircuitBreaker, checkMaxKeys, type KeyedCircuitBreakerOptions } from '../breaker/keyed-breaker';
import { checkBackoffPair, checkOptionsObject, positionalOptions, resolveOptions, type CircuitBreakerOptions } from '../breaker/options';
import { describeValue } from '../common/describe-value';
import type { CircuitBreakerScope, DecoratorPlan, KeyFunction } from './guard';
import { circuitBreakerDefaults } from './defaults';
import { decorateLegacy } from './legacy';
import { decorateStandard } from './standard';

/**
 * Options of `@CircuitBreaker(...)`: a breaker's options, plus where its breaker lives.
 * @typeParam KA - the arguments the `key` function takes (checked against the method's parameters).
 */
export interface CircuitBreakerDecoratorOptions<F = never, FA extends unknown[] = any[], KA extends unknown[] = any[]> extends CircuitBreakerOptions<F, FA> {
  /**
   * `'method'`: one breaker per decorated method, shared by every instance.
   * `'instance'`: one breaker per instance (per tenant connection, say).
   * To share one breaker among several methods, pass it: `@CircuitBreaker(redisBreaker)`.
   * @default 'method'
   */
  readonly scope?: CircuitBreakerScope;
  /**
   * One breaker per key: a function of the method's arguments (called with
   * the call's `this`) returning the key, a string: `key: (url: string) => new URL(url).host`.
   * Each key's breaker, named `Class#method[key]`, has these options and its
   * own state; with a `store`, its own fleet circuit. A key function that
   * throws or returns no string rejects the call with a `TypeError` (the
   * method not invoked, nothing counted).
   * @default undefined (one breaker for every call)
   */
  readonly key?: (...args: KA) => string;
  /**
   * With `key`: at most this many keys' breakers per method (per instance
   * with `scope: 'instance'`); past it the least recently used CLOSED key with
   * nothing counted is dropped first. A positive integer.
   * @default 1_000
   */
  readonly maxKeys?: number;
}

/** Makes a fallback's result type a compile error when the method could not return it. */
type FallbackFits<F, V> = [F] extends [V] ? unknown : { readonly 'fallback result is not assignable to the method result': F };
/** Makes a fallback that could not be called with the method's arguments a compile error. */
type FallbackTakes<FA extends unknown[], A extends unknown[]> = [(error: unknown, ...args: FA) => unknown] extends [
  (error: unknown, ...args: A) => unknown,
]
  ? unknown
  : { readonly 'fallback parameters do not accept the method arguments': FA };

/**
 * What `@CircuitBreaker(...)` returns: a decorator of methods that return a
 * promise, in either decorator mode. The method's `this`, parameter and
 * result types are kept; a method that does not return a promise does not compile.
 */
// The last intersection of each signature makes a key function that could not be called with the method's
// arguments a compile error (written out, not as an alias: the API reference lists only exported names).
export interface CircuitBreakerDecorator<F = never, FA extends unknown[] = any[], KA extends unknown[] = any[]> {
  /** TC39 standard decorator (TypeScript 5+, no `experimentalDecorators`). */
  <This, A extends unknown[], V>(
    method: (this: This, ...args: A) => Promise<V>,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => Promise<V>> &
      FallbackFits<F, V> &
      FallbackTakes<FA, A> &
      ([(...args: KA) => unknown] extends [(...args: A) => unknown] ? unknown : { readonly 'key parameters do not accept the method arguments': KA }),
  ): (this: This, ...args: A) => Promise<V>;
  /** Legacy decorator (`experimentalDecorators`, as NestJS uses). */
  <A extends unknown[], V>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<(...args: A) => Promise<V>> &
      FallbackFits<F, V> &
      FallbackTakes<FA, A> &
      ([(...args: KA) => unknown] extends [(...args: A) => unknown] ? unknown : { readonly 'key parameters do not accept the method arguments': KA }),
  ): void;
}

/**
 * `CircuitBreaker` is both the decorator factory and the breaker class.
 *
 * @example
 * class UserCache {
 *   @CircuitBreaker({ failureThreshold: 5, resetTimeout: 30_000 })
 *   async get(id: string): Promise<User | null> { ... }
 * }
 * const breaker = new CircuitBreaker({ failureThreshold: 3, resetTimeout: 60_000 });
 * const user = await breaker.call(fetchUser, id);
 * const hosts = new CircuitBreaker({ key: true, maxKeys: 1_000 });   // one breaker per key
 * await hosts.call('api.example.com', fetchFrom, url);
 */
export interface CircuitBreakerConstructor {
  /**
   * A keyed breaker: one breaker per key, `call(key, fn, ...args)`, at most `maxKeys` kept.
   * @throws TypeError/RangeError naming a bad option
   */
  // Two type parameters without defaults, both inferred here: a class that extends CircuitBreaker (or
  // CircuitBreaker<F>) does not see this signature, whose instance type is not a breaker's.
  // Without a fallback `F` has nothing to be inferred from, and is `unknown`: the breaker then falls back to nothing (`never`).
  new <F, K extends true>(options: KeyedCircuitBreakerOptions<F> & { readonly key: K }): KeyedCircuitBreaker<[unknown] extends [F] ? never : F>;
  /** A breaker (defaults: 3 failures, 60_000 ms). @throws TypeError/RangeError naming a bad option */
  new <F = never>(options?: CircuitBreakerOptions<F>): Breaker<F>;
  /** A breaker, positional form: `new CircuitBreaker(5, 30_000)`. */
  new (failureThreshold?: number, resetTimeout?: number): Breaker<never>;
  /** A method decorator (defaults: 3 failures, 60_000 ms). @throws TypeError/RangeError naming a bad option */
  <F = never, FA extends unknown[] = any[], KA extends unknown[] = any[]>(options?: CircuitBreakerDecoratorOptions<F, FA, KA>): CircuitBreakerDecorator<F, FA, KA>;
  /** A method decorator, positional form: `@CircuitBreaker(5, 30_000)`. */
  (failureThreshold?: number, resetTimeout?: number): CircuitBreakerDecorator<never>;
  /** A method decorator sharing an existing breaker: methods decorated with the same breaker trip together. */
  <F>(breaker: Breaker<F>): CircuitBreakerDecorator<F>;
  readonly prototype: Breaker<any>;
}

/**
 * A circuit breaker (the instance type of `new CircuitBreaker(...)`).
 * @interface
 */
export type CircuitBreaker<F = never> = Breaker<F>;

const DECORATOR_ONLY_OPTIONS: readonly string[] = ['scope', 'key', 'maxKeys'];
/** What `new CircuitBreaker({ key: true })` handles itself. */
const KEYED_OPTIONS: readonly string[] = ['key', 'maxKeys'];

/** `form` is how the caller wrote it (`new CircuitBreaker`, `@CircuitBreaker`), for messages. */
function toOptions(form: string, first: unknown, second: unknown): unknown {
  // A second argument after anything but an object is the positional form too
  // (`new CircuitBreaker(process.env.THRESHOLD, process.env.RESET)`): each value is then checked as the option it stands for.
  if (typeof first === 'number' || (second !== undefined && (typeof first !== 'object' || first === null))) {
    return positionalOptions(first, second);
  }
  if (second !== undefined) {
    const after = Array.isArray(first) ? 'an array' : 'an options object';
    throw new TypeError(
      `${form} takes (options) or (failureThreshold, resetTimeout), got a second argument (${describeValue(second)}) after ${after}: put every option in the options object`,
    );
  }
  // Anything else is passed on: resolveOptions (new) and planFor (a decorator) reject a non-object with the same message.
  return first;
}

/** Arguments past the second: an option written there would be dropped without a word. */
function checkNoMoreArguments(form: string, shapes: string, rest: readonly unknown[]): void {
  // An undefined argument says nothing, as an undefined positional one means its default.
  const index = rest.findIndex((argument) => argument !== undefined);
  if (index === -1) return;
  throw new TypeError(
    `${form} takes ${shapes}, got an argument ${index + 3} (${describeValue(rest[index])}): give every option in one options object, e.g. ${form}({ failureThreshold: 5, resetTimeout: 30_000, name: 'payments-api' })`,
  );
}

/** Said where a method sets backoffMultiplier without maxResetTimeout, whatever the defaults hold now. */
const BACKOFF_NOT_FROM_DEFAULTS =
  " (a method's backoffMultiplier does not pair with a default maxResetTimeout: setCircuitBreakerDefaults may set it after the class is defined, or clear it)";

function planFor(first: unknown, second: unknown, rest: readonly unknown[]): DecoratorPlan {
  checkNoMoreArguments('@CircuitBreaker', '(options), (breaker) or (failureThreshold, resetTimeout)', rest);
  if (first instanceof Breaker) {
    if (second !== undefined) throw new TypeError('@CircuitBreaker(breaker) takes no second argument');
    return { kind: 'shared', breaker: first };
  }
  if (first instanceof KeyedCircuitBreaker) {
    throw new TypeError(
      `@CircuitBreaker(breaker) shares one breaker; a keyed breaker ("${first.name}") takes its key as call's first argument: give the method a key option instead, @CircuitBreaker({ key: (url: string) => new URL(url).host })`,
    );
  }
  // Only a missing argument means the defaults: `@CircuitBreaker(null)` is a mistake, reported as for `new CircuitBreaker(null)`.
  const argument = toOptions('@CircuitBreaker', first, second);
  const raw = argument === undefined ? {} : argument;
  // Checked here, before the options are spread over the defaults: a spread Map or Date would be an empty object.
  checkOptionsObject('circuit breaker options', raw);
  const given = raw as Readonly<Record<string, unknown>>;
  const givenScope = given.scope;
  const scope = givenScope === undefined ? 'method' : givenScope;
  if (scope !== 'method' && scope !== 'instance') {
    throw new TypeError(`scope must be 'method' or 'instance', got ${describeValue(scope)}`);
  }
  if (scope === 'instance' && given.store !== undefined) {
    throw new TypeError("scope 'instance' cannot be combined with store: a fleet shares one circuit per name");
  }
  const key = given.key;
  if (key !== undefined && typeof key !== 'function') {
    throw new TypeError(
      `key must be a function of the method's arguments returning a string, e.g. key: (url: string) => new URL(url).host, got ${describeValue(key)}`,
    );
  }
  if (key === undefined && given.maxKeys !== undefined) throw new TypeError('maxKeys needs a key option: it bounds the keys of a keyed method');
  const maxKeys = key === undefined ? 0 : checkMaxKeys(given.maxKeys);
  // Checked now, when the class is defined; `resolve` re-reads the defaults later.
  const options = resolveDecoratorOptions(given, scope);
  // The method's own options alone, so that the outcome does not depend on whether the defaults were set before or after the class.
  checkBackoffPair(given, BACKOFF_NOT_FROM_DEFAULTS);
  return {
    kind: 'options',
    options,
    resolve: () => resolveDecoratorOptions(given, scope),
    named: given.name !== undefined,
    scope,
    key: key as KeyFunction | undefined,
    maxKeys,
  };
}

/** A method's own options over `setCircuitBreakerDefaults` (a default store never reaches a per-instance breaker). */
function resolveDecoratorOptions(given: Readonly<Record<string, unknown>>, scope: CircuitBreakerScope) {
  const { store, ...rest } = circuitBreakerDefaults();
  const defaults: Record<string, unknown> = scope === 'instance' || store === undefined ? rest : { ...rest, store };
  // A method that names its own trip rule replaces the defaults' rule, whichever it is.
  if (given.failureRate !== undefined) delete defaults.failureThreshold;
  if (given.failureThreshold !== undefined) {
    delete defaults.failureRate;
    delete defaults.slowCall;
  }
  return resolveOptions({ ...defaults, ...given }, DECORATOR_ONLY_OPTIONS);
}

function isStandardContext(value: unknown): value is DecoratorContext {
  return typeof value === 'object' && value !== null && 'kind' in value && 'name' in value;
}

function createDecorator(first: unknown, second: unknown, rest: readonly unknown[]): unknown {
  // Without parentheses the decorator gets the method (standard), the prototype and a key, or the class (legacy):
  // no valid first argument is a function (a class, for a static method or a class decorator).
  if (isStandardContext(second) || typeof second === 'symbol' || (typeof second === 'string' && typeof first === 'object') || typeof first === 'function') {
    throw new TypeError('@CircuitBreaker must be called: write @CircuitBreaker() or @CircuitBreaker({ ... })');
  }
  // Options are checked now, when the class is defined, not on the first call.
  const plan = planFor(first, second, rest);
  return function circuitBreakerDecorator(target: unknown, context: unknown, descriptor?: PropertyDescriptor) {
    if (isStandardContext(context)) return decorateStandard(plan, target, context);
    if (context === undefined && typeof target === 'function') {
      throw new TypeError(`@CircuitBreaker() decorates methods only; ${target.name || 'an anonymous class'} is a class`);
    }
    return decorateLegacy(plan, target as object, context as string | symbol, descriptor);
  };
}

function decoratorOrBreaker(this: unknown, first?: unknown, second?: unknown, ...rest: unknown[]): unknown {
  if (new.target === undefined) return createDecorator(first, second, rest);
  checkNoMoreArguments('new CircuitBreaker', '(options) or (failureThreshold, resetTimeout)', rest);
  const options = toOptions('new CircuitBreaker', first, second) as { store?: unknown; name?: unknown; key?: unknown; maxKeys?: unknown } | undefined;
  if (options?.store !== undefined && options.name === undefined) {
    throw new TypeError('a breaker with a store shares its circuit by name: give it a name option');
  }
  if (typeof options === 'object' && options !== null && (options.key !== undefined || options.maxKeys !== undefined)) {
    return keyedBreaker(options, new.target === decoratorOrBreaker);
  }
  // `new CircuitBreaker()` builds the class itself, so every breaker shares one hidden class (small, fast);
  // Reflect.construct only for a subclass, whose prototype must be kept.
  const breaker: Breaker<unknown> =
    new.target === decoratorOrBreaker ? new Breaker(options as CircuitBreakerOptions<unknown>) : Reflect.construct(Breaker, [options], new.target);
  breaker.joinFleet(); // named by its options: a breaker with a store shares that circuit
  return breaker;
}
decoratorOrBreaker.prototype = Breaker.prototype;

/** `new CircuitBreaker({ key: true, maxKeys })`: a keyed breaker, each key's breaker made with the other options. */
function keyedBreaker(given: { key?: unknown; maxKeys?: unknown }, plain: boolean): KeyedCircuitBreaker<unknown> {
  checkOptionsObject('circuit breaker options', given);
  if (given.key === undefined) throw new TypeError('maxKeys needs key: true, new CircuitBreaker({ key: true, maxKeys }): it bounds the keys of a keyed breaker');
  if (given.key !== true) {
    throw new TypeError(
      `key must be true on a breaker made with new (the key is call's first argument: breaker.call(key, fn, ...args)); a key function is for @CircuitBreaker({ key }), got ${describeValue(given.key)}`,
    );
  }
  const maxKeys = checkMaxKeys(given.maxKeys);
  if (!plain) throw new TypeError('key: true makes a keyed breaker, which a subclass of CircuitBreaker cannot be: construct CircuitBreaker itself');
  return new KeyedCircuitBreaker<unknown>(resolveOptions(given, KEYED_OPTIONS), maxKeys);
}

export const CircuitBreaker = decoratorOrBreaker as unknown as CircuitBreakerConstructor;
