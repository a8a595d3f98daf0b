import { CircuitBreaker } from '../breaker/breaker';
import { KeyedCircuitBreaker } from '../breaker/keyed-breaker';
import { withName, type ResolvedOptions } from '../breaker/options';
import { describeValue } from '../common/describe-value';
import { keyName, methodName, registerBreaker, rememberGuarded, type GuardedMethod } from './registry';

/** Breaker scopes of a decorated method. */
export type CircuitBreakerScope = 'method' | 'instance';

/** A decorated method's `key` option: its key from its arguments, called with the call's `this`. */
export type KeyFunction = (this: unknown, ...args: unknown[]) => unknown;

/** What a decorator application needs to know, decided when `@CircuitBreaker(...)` is evaluated. */
export type DecoratorPlan =
  | {
      readonly kind: 'options';
      readonly options: ResolvedOptions;
      /** The options again, with the current `setCircuitBreakerDefaults`. */
      readonly resolve: () => ResolvedOptions;
      readonly named: boolean;
      readonly scope: CircuitBreakerScope;
      /** The `key` option: one breaker per key (a keyed breaker in front of them), at most `maxKeys`. */
      readonly key: KeyFunction | undefined;
      readonly maxKeys: number;
    }
  | { readonly kind: 'shared'; readonly breaker: CircuitBreaker<unknown> };

type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Replaces `original` with a guarded function that keeps its name, length,
 * own properties and reflect-metadata (decorators applied before this one,
 * such as a NestJS route, still find what they attached).
 *
 * `bindOnCall`, for a decorator mode that learns the class late (standard), is
 * called with `this` by a call made before the method is bound: an instance made
 * without its constructor (`Object.create(Class.prototype)`) never ran the
 * initializer that binds it.
 */
export function guard(
  plan: DecoratorPlan,
  original: Method,
  key: string | symbol,
  isStatic: boolean,
  bindOnCall?: (instance: object) => void,
): { readonly guarded: Method; readonly method: GuardedMethod } {
  let method: GuardedMethod;
  let guarded: Method;
  if (plan.kind === 'options' && plan.key !== undefined) {
    ({ guarded, method } = guardKeyed(plan, plan.key, original, key, isStatic, bindOnCall));
  } else if (plan.kind === 'shared' || plan.scope === 'method') {
    const shared = plan.kind === 'shared';
    const breaker: CircuitBreaker<unknown> = shared ? plan.breaker : new CircuitBreaker(plan.options);
    const scope = new MethodScope(key, isStatic, breaker, shared || plan.named, shared ? undefined : plan.resolve);
    method = scope;
    // A static method's `this` is its class, or whatever it was called with: nothing to check.
    if (isStatic) guarded = unchecked(breaker, original);
    else if (bindOnCall === undefined) guarded = checked(scope, breaker, original);
    else guarded = checkedBindingOnCall(scope, breaker, original, bindOnCall);
  } else {
    const perInstance = new InstanceScope(key, isStatic, plan.options, plan.named, plan.resolve, bindOnCall);
    method = perInstance;
    guarded = function (this: unknown) {
      if ((typeof this !== 'object' && typeof this !== 'function') || this === null) {
        // Called detached from its instance: there is no instance to find a breaker for.
        return Promise.reject(new TypeError(`${keyName(key)} has one breaker per instance (scope 'instance'): call it on an instance`));
      }
      return perInstance.breakerFor(this).execute(original, this, arguments);
    };
  }
  copyIdentity(original, guarded);
  rememberGuarded(guarded, method);
  return { guarded, method };
}

// The hot path, one wrapper per kind of method so that each does only what its kind needs: one closure over
// the breaker, no lookup; while CLOSED, the method is applied from the wrapper's frame, where
// `original.apply(this, arguments)` makes no arguments object.

function unchecked(breaker: CircuitBreaker<unknown>, original: Method): Method {
  return function (this: unknown) {
    if (!breaker.enterClosed()) return breaker.execute(original, this, arguments);
    let result: unknown;
    try {
      result = original.apply(this, arguments as unknown as unknown[]);
    } catch (error) {
      return breaker.thrown(error);
    }
    return breaker.observe(result);
  };
}

/**
 * An instance method: a call without an instance (`ids.map(cache.get)`) is the caller's mistake, not the
 * dependency's, so it is refused before the breaker sees it: it must not open the circuit every caller shares.
 */
function checked(scope: MethodScope, breaker: CircuitBreaker<unknown>, original: Method): Method {
  return function (this: unknown) {
    if (typeof this !== 'object' ? typeof this !== 'function' : this === null) return scope.detached(this);
    if (!breaker.enterClosed()) return breaker.execute(original, this, arguments);
    let result: unknown;
    try {
      result = original.apply(this, arguments as unknown as unknown[]);
    } catch (error) {
      return breaker.thrown(error);
    }
    return breaker.observe(result);
  };
}

/** As `checked`, and binds the method on a call that comes before its class is known (one field test once bound). */
function checkedBindingOnCall(
  scope: MethodScope,
  breaker: CircuitBreaker<unknown>,
  original: Method,
  bindOnCall: (instance: object) => void,
): Method {
  return function (this: unknown) {
    if (typeof this !== 'object' ? typeof this !== 'function' : this === null) return scope.detached(this);
    if (!scope.bound) bindOnCall(this as object);
    if (!breaker.enterClosed()) return breaker.execute(original, this, arguments);
    let result: unknown;
    try {
      result = original.apply(this, arguments as unknown as unknown[]);
    } catch (error) {
      return breaker.thrown(error);
    }
    return breaker.observe(result);
  };
}

/**
 * A method with a `key` option: a keyed breaker (one breaker per key) in front of ordinary breakers. The
 * wrappers are the plain ones with the key first: the key function, one Map lookup, then the same CLOSED path.
 */
function guardKeyed(
  plan: DecoratorPlan & { readonly kind: 'options' },
  keyOf: KeyFunction,
  original: Method,
  key: string | symbol,
  isStatic: boolean,
  bindOnCall: ((instance: object) => void) | undefined,
): { readonly guarded: Method; readonly method: GuardedMethod } {
  if (plan.scope === 'instance') {
    const perInstance = new KeyedInstanceScope(key, isStatic, plan.options, plan.maxKeys, plan.named, plan.resolve, bindOnCall);
    const guarded = function (this: unknown) {
      if ((typeof this !== 'object' && typeof this !== 'function') || this === null) {
        return Promise.reject(new TypeError(`${keyName(key)} has one keyed breaker per instance (scope 'instance'): call it on an instance`));
      }
      return callKeyed(perInstance.keyedOf(this), keyOf, original, this, arguments);
    };
    return { guarded, method: perInstance };
  }
  const scope = new KeyedMethodScope(key, isStatic, plan.options, plan.maxKeys, plan.named, plan.resolve);
  const keyed = scope.keyed;
  if (isStatic) return { guarded: keyedUnchecked(keyed, keyOf, original), method: scope };
  if (bindOnCall === undefined) return { guarded: keyedChecked(scope, keyed, keyOf, original), method: scope };
  return { guarded: keyedCheckedBindingOnCall(scope, keyed, keyOf, original, bindOnCall), method: scope };
}

function keyedUnchecked(keyed: KeyedCircuitBreaker<unknown>, keyOf: KeyFunction, original: Method): Method {
  return function (this: unknown) {
    let key: unknown;
    try {
      key = keyOf.apply(this, arguments as unknown as unknown[]);
    } catch (error) {
      return keyed.keyThrew(error);
    }
    if (typeof key !== 'string') return keyed.notAKey(key);
    const breaker = keyed.breakerFor(key);
    if (!breaker.enterClosed()) return breaker.execute(original, this, arguments);
    let result: unknown;
    try {
      result = original.apply(this, arguments as unknown as unknown[]);
    } catch (error) {
      return breaker.thrown(error);
    }
    return breaker.observe(result);
  };
}

function keyedChecked(scope: KeyedMethodScope, keyed: KeyedCircuitBreaker<unknown>, keyOf: KeyFunction, original: Method): Method {
  return function (this: unknown) {
    if (typeof this !== 'object' ? typeof this !== 'function' : this === null) return scope.detached(this);
    let key: unknown;
    try {
      key = keyOf.apply(this, arguments as unknown as unknown[]);
    } catch (error) {
      return keyed.keyThrew(error);
    }
    if (typeof key !== 'string') return keyed.notAKey(key);
    const breaker = keyed.breakerFor(key);
    if (!breaker.enterClosed()) return breaker.execute(original, this, arguments);
    let result: unknown;
    try {
      result = original.apply(this, arguments as unknown as unknown[]);
    } catch (error) {
      return breaker.thrown(error);
    }
    return breaker.observe(result);
  };
}

function keyedCheckedBindingOnCall(
  scope: KeyedMethodScope,
  keyed: KeyedCircuitBreaker<unknown>,
  keyOf: KeyFunction,
  original: Method,
  bindOnCall: (instance: object) => void,
): Method {
  return function (this: unknown) {
    if (typeof this !== 'object' ? typeof this !== 'function' : this === null) return scope.detached(this);
    if (!scope.bound) bindOnCall(this as object);
    let key: unknown;
    try {
      key = keyOf.apply(this, arguments as unknown as unknown[]);
    } catch (error) {
      return keyed.keyThrew(error);
    }
    if (typeof key !== 'string') return keyed.notAKey(key);
    const breaker = keyed.breakerFor(key);
    if (!breaker.enterClosed()) return breaker.execute(original, this, arguments);
    let result: unknown;
    try {
      result = original.apply(this, arguments as unknown as unknown[]);
    } catch (error) {
      return breaker.thrown(error);
    }
    return breaker.observe(result);
  };
}

/** A call of a keyed method with one keyed breaker per instance (not the hot path's shape: a lookup per instance comes first). */
function callKeyed(keyed: KeyedCircuitBreaker<unknown>, keyOf: KeyFunction, original: Method, self: unknown, args: IArguments): Promise<unknown> {
  let key: unknown;
  try {
    key = keyOf.apply(self, args as unknown as unknown[]);
  } catch (error) {
    return keyed.keyThrew(error);
  }
  if (typeof key !== 'string') return keyed.notAKey(key);
  return keyed.breakerFor(key).execute(original, self, args);
}

/** The name the breaker has until its class is known (standard decorators learn it late). */
function provisionalName(key: string | symbol, isStatic: boolean): string {
  return `${isStatic ? '.' : '#'}${keyName(key)}`;
}

class MethodScope implements GuardedMethod {
  readonly scope = 'method';
  /** Read by the wrapper that binds on a call (standard decorators): false until the class is known. */
  bound = false;
  /** `Class#method` once bound, for the error of a call made without an instance. */
  private label: string;

  constructor(
    readonly key: string | symbol,
    readonly isStatic: boolean,
    private readonly breaker: CircuitBreaker<unknown>,
    private readonly named: boolean,
    /** Undefined for a shared breaker: its owner configured it. */
    private readonly resolve: (() => ResolvedOptions) | undefined,
  ) {
    this.label = provisionalName(key, isStatic);
    if (!named) breaker.rename(provisionalName(key, isStatic));
    // Named by its options (or shared, named by its owner): a breaker with a store joins its fleet at once.
    else breaker.joinFleet();
  }

  applyDefaults(): void {
    if (this.resolve === undefined) return;
    const stats = this.breaker.stats();
    if (stats.calls !== 0 || stats.refusals !== 0 || stats.state !== 'CLOSED') return; // in use: keeps its options
    this.breaker.configure(this.resolve());
    if (this.bound || this.named) this.breaker.joinFleet();
  }

  breakerFor(): CircuitBreaker<unknown> {
    return this.breaker;
  }

  bind(owner: object): void {
    if (this.bound) return;
    this.bound = true;
    this.label = methodName(owner, this.key);
    if (!this.named) this.breaker.rename(this.label);
    registerBreaker(owner, this.key, this);
    // Named now: a breaker with a store joins its fleet circuit under `Class#method`.
    this.breaker.joinFleet();
  }

  /** The rejection of a call whose `this` is no instance; the method is not invoked and nothing is counted. */
  detached(self: unknown): Promise<never> {
    return detachedCall(this.label, this.key, self);
  }

  breakers(): Iterable<CircuitBreaker<unknown>> {
    // Standard decorators learn the class late: an unnamed breaker is listed once it has its `Class#method` name.
    return this.bound || this.named ? [this.breaker] : [];
  }
}

class InstanceScope implements GuardedMethod {
  readonly scope = 'instance';
  private bound = false;
  private name: string;
  private readonly byInstance = new WeakMap<object, CircuitBreaker<unknown>>();
  /** Weak, so a health endpoint lists live instances' breakers without keeping instances alive. */
  private readonly live = new LiveRefs<CircuitBreaker<unknown>>();

  constructor(
    readonly key: string | symbol,
    readonly isStatic: boolean,
    private options: ResolvedOptions,
    private readonly named: boolean,
    private readonly resolve: () => ResolvedOptions,
    /** See guard(): binds the method when an instance made without its constructor gets its breaker. */
    private readonly bindOnCall: ((instance: object) => void) | undefined,
  ) {
    this.name = named ? options.name : provisionalName(key, isStatic);
  }

  /** Instances made from now on use the defaults; breakers already made keep theirs. */
  applyDefaults(): void {
    this.options = this.resolve();
  }

  breakerFor(instance: object): CircuitBreaker<unknown> {
    let breaker = this.byInstance.get(instance);
    if (breaker === undefined) {
      // Once per instance, not per call: only a new instance's first call can find the method unbound.
      if (!this.bound && this.bindOnCall !== undefined) this.bindOnCall(instance);
      breaker = new CircuitBreaker(withName(this.options, this.name));
      this.byInstance.set(instance, breaker);
      this.live.add(breaker);
    }
    return breaker;
  }

  bind(owner: object): void {
    if (this.bound) return;
    this.bound = true;
    if (!this.named) this.name = methodName(owner, this.key);
    registerBreaker(owner, this.key, this);
  }

  breakers(): Iterable<CircuitBreaker<unknown>> {
    return this.live;
  }
}

/** Objects held weakly (a scope's per-instance breakers), listed while alive. */
class LiveRefs<T extends object> implements Iterable<T> {
  private refs: WeakRef<T>[] = [];
  /** Dead refs are dropped when the list has doubled since the last time: amortized O(1) per object. */
  private compactAt = 64;

  add(value: T): void {
    // Compaction bounds the memory of dead refs only: listing skips them anyway, so when it runs never shows.
    if (this.refs.length >= this.compactAt) {
      this.refs = this.refs.filter((ref) => ref.deref() !== undefined);
      this.compactAt = Math.max(64, this.refs.length * 2);
    }
    this.refs.push(new WeakRef(value));
  }

  *[Symbol.iterator](): Iterator<T> {
    for (const ref of this.refs) {
      const value = ref.deref();
      if (value !== undefined) yield value;
    }
  }
}

/** Scope 'method' with a `key` option: one keyed breaker for the method, shared by every instance. */
class KeyedMethodScope implements GuardedMethod {
  readonly scope = 'method';
  /** Read by the wrapper that binds on a call (standard decorators): false until the class is known. */
  bound = false;
  private label: string;
  readonly keyed: KeyedCircuitBreaker<unknown>;

  constructor(
    readonly key: string | symbol,
    readonly isStatic: boolean,
    options: ResolvedOptions,
    maxKeys: number,
    private readonly named: boolean,
    private readonly resolve: () => ResolvedOptions,
  ) {
    this.label = provisionalName(key, isStatic);
    // Named by its options, its keys' breakers join their fleet circuits as they are made; else once the class is known.
    this.keyed = new KeyedCircuitBreaker<unknown>(named ? options : withName(options, this.label), maxKeys, named);
  }

  /** Keys made from now on use the defaults; the keys' breakers made so far were called, and keep theirs. */
  applyDefaults(): void {
    this.keyed.configure(this.resolve());
  }

  breakerFor(): CircuitBreaker<unknown> {
    throw new TypeError(
      `${this.label} has one breaker per key (its key option): pass the key, getCircuitBreaker(target, method, key), or use getKeyedCircuitBreaker(target, method)`,
    );
  }

  keyedFor(): KeyedCircuitBreaker<unknown> {
    return this.keyed;
  }

  keyedBreakers(): Iterable<KeyedCircuitBreaker<unknown>> {
    return this.bound || this.named ? [this.keyed] : [];
  }

  bind(owner: object): void {
    if (this.bound) return;
    this.bound = true;
    this.label = methodName(owner, this.key);
    if (!this.named) this.keyed.rename(this.label);
    registerBreaker(owner, this.key, this);
  }

  detached(self: unknown): Promise<never> {
    return detachedCall(this.label, this.key, self);
  }

  breakers(): Iterable<CircuitBreaker<unknown>> {
    return this.bound || this.named ? this.keyed.breakers() : [];
  }
}

/** Scope 'instance' with a `key` option: one keyed breaker per instance, made on its first call. */
class KeyedInstanceScope implements GuardedMethod {
  readonly scope = 'instance';
  private bound = false;
  private name: string;
  private readonly byInstance = new WeakMap<object, KeyedCircuitBreaker<unknown>>();
  private readonly live = new LiveRefs<KeyedCircuitBreaker<unknown>>();

  constructor(
    readonly key: string | symbol,
    readonly isStatic: boolean,
    private options: ResolvedOptions,
    private readonly maxKeys: number,
    private readonly named: boolean,
    private readonly resolve: () => ResolvedOptions,
    private readonly bindOnCall: ((instance: object) => void) | undefined,
  ) {
    this.name = named ? options.name : provisionalName(key, isStatic);
  }

  /** Instances made from now on use the defaults; keyed breakers already made keep theirs. */
  applyDefaults(): void {
    this.options = this.resolve();
  }

  breakerFor(): CircuitBreaker<unknown> {
    throw new TypeError(
      `${this.name} has one breaker per key (its key option): pass the key, getCircuitBreaker(instance, method, key), or use getKeyedCircuitBreaker(instance, method)`,
    );
  }

  /** The keyed breaker of `instance` (`make`: made now when it has none yet). */
  keyedFor(instance: object, make: boolean): KeyedCircuitBreaker<unknown> | undefined {
    return make ? this.keyedOf(instance) : this.byInstance.get(instance);
  }

  /** The keyed breaker of `instance`, made on its first call. */
  keyedOf(instance: object): KeyedCircuitBreaker<unknown> {
    let keyed = this.byInstance.get(instance);
    if (keyed === undefined) {
      // Once per instance, not per call: only a new instance's first call can find the method unbound.
      if (!this.bound && this.bindOnCall !== undefined) this.bindOnCall(instance);
      keyed = new KeyedCircuitBreaker<unknown>(withName(this.options, this.name), this.maxKeys);
      this.byInstance.set(instance, keyed);
      this.live.add(keyed);
    }
    return keyed;
  }

  keyedBreakers(): Iterable<KeyedCircuitBreaker<unknown>> {
    return this.live;
  }

  bind(owner: object): void {
    if (this.bound) return;
    this.bound = true;
    if (!this.named) this.name = methodName(owner, this.key);
    registerBreaker(owner, this.key, this);
  }

  *breakers(): Iterable<CircuitBreaker<unknown>> {
    for (const keyed of this.live) yield* keyed.breakers();
  }
}

/** The rejection of a call whose `this` is no instance; the method is not invoked and nothing is counted. */
function detachedCall(label: string, key: string | symbol, self: unknown): Promise<never> {
  const member = typeof key === 'string' ? `instance.${key}` : `instance${keyName(key)}`;
  return Promise.reject(
    new TypeError(
      `${label} was called without an instance (this is ${describeValue(self)}): ` +
        `call it on one, as ${member}(...); a method passed on alone (ids.map(${member})) has no instance`,
    ),
  );
}

function copyIdentity(original: Method, guarded: Method): void {
  for (const key of Reflect.ownKeys(original)) {
    if (key === 'prototype' || key === 'arguments' || key === 'caller') continue;
    const descriptor = Object.getOwnPropertyDescriptor(original, key)!;
    Object.defineProperty(guarded, key, descriptor);
  }
  for (const key of Reflect.getOwnMetadataKeys(original)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, original), guarded);
  }
}
