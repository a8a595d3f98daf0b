import { describeValue } from '../common/describe-value';

/** What `onX(listener)` returns: call `dispose()` to stop listening. */
export interface Disposable {
  dispose(): void;
}

/**
 * A typed list of listeners. Copy-on-write: emitting iterates a snapshot, so
 * a listener may dispose itself (or add another) while being called.
 * A listener that throws never corrupts the breaker: the error is re-raised
 * on a later tick, where it surfaces as an uncaught exception like any other
 * bug in a callback.
 */
export class Listeners<E> {
  private list: ReadonlyArray<(event: E) => void> = [];

  get size(): number {
    return this.list.length;
  }

  add(listener: (event: E) => void): Disposable {
    if (typeof listener !== 'function') {
      throw new TypeError(`listener must be a function, got ${describeValue(listener)}`);
    }
    this.list = [...this.list, listener];
    let disposed = false;
    return {
      dispose: () => {
        if (disposed) return;
        disposed = true;
        const index = this.list.indexOf(listener);
        // Stryker disable next-line ConditionalExpression: every add() puts one copy in the list and each handle removes one copy once, so a live handle always finds its listener
        if (index !== -1) this.list = [...this.list.slice(0, index), ...this.list.slice(index + 1)];
      },
    };
  }

  emit(event: E): void {
    for (const listener of this.list) {
      try {
        listener(event);
      } catch (error) {
        rethrowLater(error);
      }
    }
  }
}

/**
 * process.nextTick as it was when this module loaded: sinon's fake timers
 * (`sinon.useFakeTimers()`, the README's testing recipe) replace the global
 * one, and an error queued there is lost, or thrown out of the test's own
 * `clock.tick()` far from its cause.
 */
const realNextTick = process.nextTick;

/** Re-raises `error` on the next real tick, as an uncaught exception. */
export function rethrowLater(error: unknown): void {
  realNextTick(() => {
    throw error;
  });
}
