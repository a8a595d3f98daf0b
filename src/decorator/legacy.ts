import { guard, type DecoratorPlan } from './guard';
import { methodName } from './registry';

/**
 * `@CircuitBreaker()` under TypeScript's `experimentalDecorators` (NestJS,
 * TypeORM, Angular): replaces the method in its descriptor and registers the
 * breaker on (prototype or class, method name) at once.
 *
 * @throws TypeError for anything but a method: a getter, setter, property or class
 */
export function decorateLegacy(
  plan: DecoratorPlan,
  target: object,
  key: string | symbol,
  descriptor: PropertyDescriptor | undefined,
): PropertyDescriptor {
  const where = methodName(target, key);
  if (descriptor === undefined) {
    throw new TypeError(`@CircuitBreaker() decorates methods only; ${where} is a property`);
  }
  if (descriptor.get !== undefined || descriptor.set !== undefined) {
    const kind = descriptor.get !== undefined ? 'a getter' : 'a setter';
    throw new TypeError(`@CircuitBreaker() decorates methods only; ${where} is ${kind}`);
  }
  if (typeof descriptor.value !== 'function') {
    throw new TypeError(`@CircuitBreaker() decorates methods only; ${where} is not a function`);
  }
  // A static method is decorated on its class, an instance method on the prototype.
  const { guarded, method } = guard(plan, descriptor.value, key, typeof target === 'function');
  // The class is known now: name the breaker and register it at once.
  method.bind(target);
  return { ...descriptor, value: guarded };
}
