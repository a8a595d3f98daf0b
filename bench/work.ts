/** The guarded work: the same bodies for every contender, so only the wrapper differs. */

/** Made once: the failing calls measure the breaker, not `new Error()`'s stack capture. */
export const FAILURE = new Error('dependency failed');

export async function work(): Promise<number> {
  return 1;
}

export async function flaky(fail: boolean): Promise<number> {
  if (fail) throw FAILURE;
  return 1;
}

export async function fails(): Promise<number> {
  throw FAILURE;
}

/** How often the probe-burst scenario's function actually ran. */
export const invocations = { count: 0 };

export async function probe(fail: boolean): Promise<number> {
  if (fail) throw FAILURE;
  invocations.count++;
  return 1;
}

/** The floor: the same methods, undecorated. */
export class PlainService {
  async ok(): Promise<number> {
    return 1;
  }

  async flaky(fail: boolean): Promise<number> {
    if (fail) throw FAILURE;
    return 1;
  }

  async fails(): Promise<number> {
    throw FAILURE;
  }

  async probe(fail: boolean): Promise<number> {
    if (fail) throw FAILURE;
    invocations.count++;
    return 1;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
