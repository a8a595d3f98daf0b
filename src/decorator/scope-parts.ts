import { describeValue } from '../common/describe-value';
import { keyName } from './registry';

/** A decorated method, as the wrappers call it. */
export type Method = (this: unknown, ...args: unknown[]) => unknown;

/** The name the breaker has until its class is known (standard decorators learn it late). */
export function provisionalName(key: string | symbol, isStatic: boolean): string {
  return `${isStatic ? '.' : '#'}${keyName(key)}`;
}

/** Objects held weakly (a scope's per-instance breakers), listed while alive. */
export class LiveRefs<T extends object> implements Iterable<T> {
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

/** The rejection of a call whose `this` is no instance; the method is not invoked and nothing is counted. */
export function detachedCall(label: string, key: string | symbol, self: unknown): Promise<never> {
  const member = typeof key === 'string' ? `instance.${key}` : `instance${keyName(key)}`;
  return Promise.reject(
    new TypeError(
      `${label} was called without an instance (this is ${describeValue(self)}): ` +
        `call it on one, as ${member}(...); a method passed on alone (ids.map(${member})) has no instance`,
    ),
  );
}
