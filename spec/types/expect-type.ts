/**
 * Type-test helpers. Files in spec/types are compiled by `tsc` (both decorator
 * modes, `npm run typecheck`), never run: mocha ignores this folder.
 */

/** True when A and B are the same type (not merely assignable either way). */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/**
 * `expectType<Expected>()(value)` compiles only when `value`'s type is exactly `Expected`.
 * @example expectType<'CLOSED' | 'OPEN' | 'HALF_OPEN'>()(breaker.state);
 */
export function expectType<Expected>() {
  return <Actual>(_actual: Actual, ..._exact: Equal<Expected, Actual> extends true ? [] : ['types differ']): void => undefined;
}

/** `expectTypeOf<Expected, Actual>()` compiles only when both are exactly the same type. */
export function expectTypeOf<Expected, Actual>(..._exact: Equal<Expected, Actual> extends true ? [] : ['types differ']): void {}
