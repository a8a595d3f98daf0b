/**
 * Rejects an option name that is not one of `known`: a misspelt option
 * (`resetTimout`) must fail when the object is made, not be silently ignored.
 * `what` names the options in the message (`circuit breaker`, `RedisCircuitStore`).
 *
 * @throws TypeError naming the unknown option and listing the known ones
 */
export function checkKnownOptions(given: object, known: readonly string[], what: string): void {
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) throw new TypeError(`unknown ${what} option "${key}" (known options: ${known.join(', ')})`);
  }
}
