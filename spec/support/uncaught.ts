import { setImmediate as immediate } from 'node:timers';

/** Taken when this file loads, before any spec installs sinon's fake timers (which replace setImmediate too). */
const realSetImmediate = immediate;

/**
 * Runs `action` and returns every uncaught exception raised until the next
 * real macrotask after it (a re-raise on the next tick arrives before it).
 * Mocha's own uncaughtException handlers are set aside meanwhile, then put
 * back, so the errors reach the spec instead of failing the run.
 */
export async function uncaughtDuring(action: () => Promise<void> | void): Promise<unknown[]> {
  const errors: unknown[] = [];
  const saved = process.rawListeners('uncaughtException') as ((error: Error) => void)[];
  process.removeAllListeners('uncaughtException');
  const collect = (error: unknown): void => {
    errors.push(error);
    // After a handled uncaught exception Node resumes the tick and promise queues on the next immediate, which it
    // asks of the timers module: faked too, so without a real one the spec's own awaits would wait for some
    // unrelated real macrotask (mocha's timeout).
    realSetImmediate(() => undefined);
  };
  process.on('uncaughtException', collect);
  try {
    await action();
    await new Promise<void>((resolve) => realSetImmediate(resolve));
  } finally {
    process.removeListener('uncaughtException', collect);
    for (const listener of saved) process.on('uncaughtException', listener);
  }
  return errors;
}
