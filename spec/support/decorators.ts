import 'reflect-metadata';

/** The metadata key `Tag` writes, as a NestJS `SetMetadata` would. */
export const TAG = 'spec:tag';

/**
 * Another decorator, in either mode: it attaches metadata to the method
 * function itself (what NestJS route and guard decorators do).
 */
export function Tag(value: string) {
  return (...args: any[]): any => {
    const method: Function = args.length >= 3 ? (args[2] as PropertyDescriptor).value : args[0];
    Reflect.defineMetadata(TAG, value, method);
  };
}

/** Our decorator with its type check turned off, to apply it where its types forbid (getters, fields, classes). */
export const untyped = (decorator: unknown): any => decorator;
