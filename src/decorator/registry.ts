import 'reflect-metadata';
import type { CircuitBreaker } from '../breaker/breaker';
import type { KeyedCircuitBreaker } from '../breaker/keyed-breaker';
import { describeValue } from '../common/describe-value';

/** The reflect-metadata key under which a decorated method's breaker is kept, on (prototype or class, method name). */
export const BREAKER_METADATA = Symbol.for('circuit-breaker-decorator:breaker');

/** How a guarded function finds its breaker: one per method, or one per instance. */
export interface GuardedMethod {
  readonly key: string | symbol;
  readonly isStatic: boolean;
  /** The method's breaker (scope 'method'), or a template's options per instance. */
  breakerFor(instance: object): CircuitBreaker<unknown>;
  /** Set once the owning class is known: names the breaker(s) and registers the metadata. */
  bind(owner: object): void;
  readonly scope: 'method' | 'instance';
  /** The breakers alive now: one, or one per live instance. */
  breakers(): Iterable<CircuitBreaker<unknown>>;
  /** Re-reads `setCircuitBreakerDefaults` for breakers not called yet. */
  applyDefaults(): void;
  /**
   * With a `key` option: the keyed breaker of the method (one per instance with scope 'instance',
   * made now when `make`). Absent on a method without a `key`.
   */
  keyedFor?(instance: object, make: boolean): KeyedCircuitBreaker<unknown> | undefined;
  /** With a `key` option: the keyed breakers alive now (as `breakers()`, one per live instance with scope 'instance'). */
  keyedBreakers?(): Iterable<KeyedCircuitBreaker<unknown>>;
}

/** Every guarded function, so a lookup works before any instance exists (standard decorators learn their class late). */
const guardedFunctions = new WeakMap<Function, GuardedMethod>();
/**
 * Every decorated method, for `listCircuitBreakers()`, held weakly: a class
 * made at run time (a factory, a mixin, a class in a test) and dropped takes
 * its breakers with it. A method lives as long as its guarded function does
 * (`guardedFunctions`).
 */
const decoratedMethods = new Set<WeakRef<GuardedMethod>>();
const forgetMethod = new FinalizationRegistry<WeakRef<GuardedMethod>>((ref) => decoratedMethods.delete(ref));

export function rememberGuarded(fn: Function, method: GuardedMethod): void {
  guardedFunctions.set(fn, method);
  const ref = new WeakRef(method);
  decoratedMethods.add(ref);
  forgetMethod.register(method, ref);
}

/** Calls `visit` for every decorated method still alive. */
export function forEachDecoratedMethod(visit: (method: GuardedMethod) => void): void {
  for (const ref of decoratedMethods) {
    const method = ref.deref();
    if (method !== undefined) visit(method);
  }
}

export function registerBreaker(owner: object, key: string | symbol, method: GuardedMethod): void {
  Reflect.defineMetadata(BREAKER_METADATA, method, owner, key);
}

/** The name of a method for messages and breaker names: `Class#method`, `Class.method` when static. */
export function methodName(owner: object, key: string | symbol): string {
  if (typeof owner === 'function') return `${owner.name || '<anonymous>'}.${keyName(key)}`;
  const ctor = (owner as { constructor?: { name?: string } }).constructor;
  return `${ctor?.name || '<anonymous>'}#${keyName(key)}`;
}

/** A property key as text: `[description]` for a symbol. */
export function keyName(key: string | symbol): string {
  return typeof key === 'symbol' ? `[${key.description ?? ''}]` : key;
}

/** The object in `instance`'s prototype chain (itself included) that owns `fn` as `key`. */
export function findOwner(instance: object, key: string | symbol, fn: Function): object | undefined {
  const owner = ownerOf(instance, key);
  return owner !== undefined && Object.getOwnPropertyDescriptor(owner, key)!.value === fn ? owner : undefined;
}

/** A method, as `getCircuitBreaker` asks for one by name. */
type AnyMethod = (...args: any[]) => unknown;
/** An object with a method `K`. */
type WithMethod<K extends string | symbol> = { readonly [P in K]: AnyMethod };
/**
 * What has a method `K` to look a breaker up on: an instance or prototype with
 * that method, or a class with a static method or instance method of that name.
 * Written as a constraint on the target (not as the keys of its type) so that a
 * generic target, `this` in a class, still type-checks with its known methods.
 */
export type CircuitBreakerTarget<K extends string | symbol> = WithMethod<K> | (abstract new (...args: any) => WithMethod<K>);

/**
 * The breaker guarding `key`, looked up on an instance, a prototype, or a
 * class: its static method of that name, else its instances' method. With
 * `scope: 'instance'`, pass an instance. A misspelt method does not compile;
 * a target typed only as `object` (or `any`) takes any name.
 *
 * For a method with a `key` option, pass the key too: `getCircuitBreaker(client, 'get', 'api.example.com')`
 * is that key's breaker, or undefined until the key is used (or after it was dropped past `maxKeys`).
 *
 * @throws TypeError when there is no such method, or it is not decorated with `@CircuitBreaker`,
 *   or a key is missing for a keyed method, or given for one without a `key` option
 * @example getCircuitBreaker(cache, 'get').state
 */
export function getCircuitBreaker<K extends string | symbol>(target: CircuitBreakerTarget<K>, method: K): CircuitBreaker<unknown>;
/** A target whose type says nothing of its methods (`object`): checked when called. */
export function getCircuitBreaker<T extends object>(target: object extends T ? T : never, method: string | symbol): CircuitBreaker<unknown>;
/** One key's breaker of a method with a `key` option: undefined until that key is used. */
export function getCircuitBreaker<K extends string | symbol>(target: CircuitBreakerTarget<K>, method: K, key: string): CircuitBreaker<unknown> | undefined;
/** One key's breaker, on a target whose type says nothing of its methods (`object`): checked when called. */
export function getCircuitBreaker<T extends object>(
  target: object extends T ? T : never,
  method: string | symbol,
  key: string,
): CircuitBreaker<unknown> | undefined;
export function getCircuitBreaker(target: object, method: string | symbol, key?: string): CircuitBreaker<unknown> | undefined {
  const { holder, found } = find('getCircuitBreaker', target, method);
  if (key === undefined) return found.breakerFor(holder);
  if (typeof key !== 'string') throw new TypeError(`getCircuitBreaker needs a string key, got ${describeValue(key)}`);
  return keyedOf(found, holder, method, false)?.breaker(key);
}

/**
 * The keyed breaker of a method with a `key` option (every key's breaker,
 * `stats()` with the keys and evictions), looked up as `getCircuitBreaker` does.
 *
 * @throws TypeError as `getCircuitBreaker`, and for a method without a `key` option
 * @example getKeyedCircuitBreaker(client, 'get').stats().keys
 */
export function getKeyedCircuitBreaker<K extends string | symbol>(target: CircuitBreakerTarget<K>, method: K): KeyedCircuitBreaker<unknown>;
/** A target whose type says nothing of its methods (`object`): checked when called. */
export function getKeyedCircuitBreaker<T extends object>(target: object extends T ? T : never, method: string | symbol): KeyedCircuitBreaker<unknown>;
export function getKeyedCircuitBreaker(target: object, method: string | symbol): KeyedCircuitBreaker<unknown> {
  const { holder, found } = find('getKeyedCircuitBreaker', target, method);
  return keyedOf(found, holder, method, true)!;
}

/** The decorated method `key` of `target`, and the object it is read on (the class's prototype for a class's instance method). */
function find(what: string, target: object, key: string | symbol): { readonly holder: object; readonly found: GuardedMethod } {
  if ((typeof target !== 'object' && typeof target !== 'function') || target === null) {
    throw new TypeError(`${what} needs an instance, prototype or class, got ${target === null ? 'null' : typeof target}`);
  }
  if (typeof key !== 'string' && typeof key !== 'symbol') {
    throw new TypeError(`${what} needs a method name, got ${typeof key}`);
  }
  const holder = typeof target === 'function' ? classHolder(target, key) : target;
  const found = lookup(holder, key);
  if (found.scope === 'instance' && (typeof holder === 'function' || findOwner(holder, key, (holder as Record<string | symbol, Function>)[key]!) === holder)) {
    throw new TypeError(`${methodName(holder, key)} has one breaker per instance (scope 'instance'): pass an instance to ${what}`);
  }
  return { holder, found };
}

function keyedOf(found: GuardedMethod, holder: object, key: string | symbol, make: boolean): KeyedCircuitBreaker<unknown> | undefined {
  if (found.keyedFor === undefined) throw new TypeError(`${methodName(holder, key)} has no key option: it has one breaker, getCircuitBreaker(target, method)`);
  return found.keyedFor(holder, make);
}

/**
 * Where a class's method `key` is: the class for a static method, else its
 * prototype when its instances have that method (`getCircuitBreaker(UserCache, 'get')`).
 * What every function inherits (`call`, `bind`, `toString`) is no static method.
 */
function classHolder(target: Function, key: string | symbol): object {
  const value = (target as unknown as Record<string | symbol, unknown>)[key];
  const owner = ownerOf(target, key);
  if (typeof value === 'function' && owner !== Function.prototype && owner !== Object.prototype) return target;
  const prototype: unknown = target.prototype;
  if (typeof prototype !== 'object' || prototype === null) return target;
  if (typeof (prototype as Record<string | symbol, unknown>)[key] === 'function') return prototype;
  // What every function has, found on the class: lookup() says it is not decorated.
  if (typeof value === 'function') return target;
  throw new TypeError(`${methodName(target, key)} is not a method, nor is ${methodName(prototype, key)}`);
}

function lookup(target: object, key: string | symbol): GuardedMethod {
  const value = (target as Record<string | symbol, unknown>)[key];
  if (typeof value !== 'function') {
    throw new TypeError(`${methodName(target, key)} is not a method`);
  }
  // The method as found, not an ancestor's: a subclass that overrides it undecorated has no breaker.
  const owner = ownerOf(target, key);
  const registered = owner === undefined ? undefined : (Reflect.getOwnMetadata(BREAKER_METADATA, owner, key) as GuardedMethod | undefined);
  if (registered !== undefined) return registered;
  const method = guardedFunctions.get(value);
  if (method === undefined) {
    throw new TypeError(`${methodName(target, key)} is not decorated with @CircuitBreaker`);
  }
  // Standard decorators: the class is known from here on.
  if (owner !== undefined) method.bind(owner);
  return method;
}

/** The first object in `target`'s prototype chain (itself included) with an own `key`. */
function ownerOf(target: object, key: string | symbol): object | undefined {
  for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o)) {
    if (Object.prototype.hasOwnProperty.call(o, key)) return o;
  }
  return undefined;
}

/**
 * Every breaker made by `@CircuitBreaker` (one per decorated method; with
 * `scope: 'instance'`, one per instance made so far; with a `key` option, one
 * per key kept, named `Class#method[key]`), for health endpoints.
 * With standard decorators, a method's breaker is listed once its class is
 * known: after the first instance is made, the first call of an instance made
 * without its constructor, or a `getCircuitBreaker` lookup.
 */
export function listCircuitBreakers(): CircuitBreaker<unknown>[] {
  const all = new Set<CircuitBreaker<unknown>>(); // a breaker shared by several methods is listed once
  forEachDecoratedMethod((method) => {
    for (const breaker of method.breakers()) all.add(breaker);
  });
  return [...all];
}

/** @internal Every keyed breaker of a decorated method with a `key` option (one per live instance with scope 'instance'). */
export function listKeyedCircuitBreakers(): KeyedCircuitBreaker<unknown>[] {
  const all: KeyedCircuitBreaker<unknown>[] = [];
  forEachDecoratedMethod((method) => {
    if (method.keyedBreakers !== undefined) for (const keyed of method.keyedBreakers()) all.push(keyed);
  });
  return all;
}
