/**
 * Loads a module of src/errors afresh, as a second installed copy of the
 * package would be loaded: its classes are distinct, its brands the same.
 * The require cache is restored afterwards, so other specs keep the first copy.
 */
export function loadASecondCopy<T>(errorModule: 'circuit-breaker-open-exception' | 'circuit-breaker-timeout-exception'): T {
  const paths = ['brand', errorModule].map((file) => require.resolve(`../../src/errors/${file}`));
  const saved = paths.map((path) => require.cache[path]);
  try {
    for (const path of paths) delete require.cache[path];
    return require(`../../src/errors/${errorModule}`) as T;
  } finally {
    paths.forEach((path, i) => {
      require.cache[path] = saved[i];
    });
  }
}
