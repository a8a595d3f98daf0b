import { CircuitBreaker } from '../breaker/breaker';
import { withName, type ResolvedOptions } from '../breaker/options';
import { guardKeyed } from './keyed-guard';
import { keyName, methodName, registerBreaker, rememberGuarded, type GuardedMethod } from './registry';
import { LiveRefs, detachedCall, provisionalName, type Method } from './scope-parts';

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
