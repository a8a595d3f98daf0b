import { guard, type DecoratorPlan } from './guard';
import { findOwner, keyName } from './registry';

type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * `@CircuitBreaker()` as a TC39 standard decorator (TypeScript 5+ without
 * `experimentalDecorators`). The class is not known while its methods are
 * decorated, so the breaker is named and registered by an initializer, when
 * the class (static) or its first instance is made, by the first call of an
 * instance made without its constructor, or by the first lookup.
 *
 * @throws TypeError for anything but a method: a getter, setter, field, auto-accessor or class
 */
export function decorateStandard(plan: DecoratorPlan, value: unknown, context: DecoratorContext): Method {
  if (context.kind !== 'method') {
    // `name` is undefined only for an anonymous class; `a ${kind}` spells the getter, setter, field and class cases.
    const name = context.name === undefined ? '(anonymous)' : keyName(context.name);
    const what = context.kind === 'accessor' ? 'an auto-accessor' : `a ${context.kind}`;
    throw new TypeError(`@CircuitBreaker() decorates methods only; ${name} is ${what}`);
  }
  const key = context.name;
  // A static method is bound when its class is defined (static initializers run then); an instance method only
  // when an instance is constructed, which an instance made by Object.create (an ORM, a deserialiser) never is.
  const { guarded, method } = guard(plan, value as Method, key, context.static, context.static ? undefined : bindFrom);
  function bindFrom(instance: object): void {
    // A `this` whose prototype chain does not hold the method (a call with a foreign `this`) says nothing of the class.
    const owner = findOwner(instance, key, guarded);
    if (owner !== undefined) method.bind(owner);
  }
  let bound = false;
  context.addInitializer(function (this: unknown) {
    // Runs for every instance: only the first does work. (bind() is idempotent, so without the flag only
    // findOwner would run again.)
    if (bound) return;
    const owner = context.static ? (this as object) : findOwner(this as object, key, guarded);
    if (owner === undefined) return;
    bound = true;
    method.bind(owner);
  });
  return guarded;
}
