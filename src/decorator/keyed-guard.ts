import type { CircuitBreaker } from '../breaker/breaker';
import { KeyedCircuitBreaker } from '../breaker/keyed-breaker';
import { withName, type ResolvedOptions } from '../breaker/options';
import type { DecoratorPlan, KeyFunction } from './guard';
import { keyName, methodName, registerBreaker, type GuardedMethod } from './registry';
import { LiveRefs, detachedCall, provisionalName, type Method } from './scope-parts';

// Decorated methods with a `key` option: a keyed breaker (one ordinary breaker per key) in front of the
// calls, for the method (scope 'method') or for each instance (scope 'instance'), and the wrappers that
// find a call's key before taking the plain CLOSED path.

/**
 * A method with a `key` option: a keyed breaker (one breaker per key) in front of ordinary breakers. The
 * wrappers are the plain ones with the key first: the key function, one Map lookup, then the same CLOSED path.
 */
export function guardKeyed(
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
