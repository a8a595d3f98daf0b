import { guard, type DecoratorPlan } from './guard';
import { findOwner, keyName } from './registry';

type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * `@CircuitBreaker()` as a TC39 standard decorator (TypeScript 5+ without
 * `experimentalDecorators`). The class is not known while its methods are
 * decorated, so the breaker is named and registered by an initializer, when
 * the class (static) or its first instance is made, or by the first lookup.
 *
 * @throws TypeError for anything but a method: a getter, setter, field, auto-accessor or class
 */
export function decorateStandard(plan: DecoratorPlan, value: unknown, context: DecoratorContext): Method {
  if (context.kind !== 'method') {
    const name = typeof context.name === 'string' || typeof context.name === 'symbol' ? keyName(context.name) : context.name;
    const what = context.kind === 'accessor' ? 'an auto-accessor' : context.kind === 'class' ? 'a class' : `a ${context.kind}`;
    throw new TypeError(`@CircuitBreaker() decorates methods only; ${name ?? '(anonymous)'} is ${what}`);
  }
  const key = context.name;
  const { guarded, method } = guard(plan, value as Method, key, context.static);
  let bound = false;
  context.addInitializer(function (this: unknown) {
    if (bound) return; // runs for every instance: only the first does work
    const owner = context.static ? (this as object) : findOwner(this as object, key, guarded);
    if (owner === undefined) return;
    bound = true;
    method.bind(owner);
  });
  return guarded;
}
