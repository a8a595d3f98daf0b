/**
 * The store's key layout, shared by the store and the admin: `${prefix}{${tag}}:${suffix}` for the keys
 * (`state`, `wait`, `lease`, `trips`, `window`) and the channel (`events`) of one circuit.
 *
 * The tag is the name with `%`, `{` and `}` percent-escaped. Redis Cluster hashes a key by what lies
 * between its first `{` and the next `}`: a `}` in the name would cut the tag short (a name starting
 * with one would leave it empty, so that Redis hashed whole keys, and one circuit's keys would fall in
 * different slots: CROSSSLOT for its scripts). Escaped, the tag is the whole name, every key of a circuit
 * is in the slot of its tag, and the escape can be undone to list the name.
 * @internal
 * @packageDocumentation
 */

/** The escaped name: `%` -> `%25`, `{` -> `%7B`, `}` -> `%7D`. @internal */
export function hashTag(name: string): string {
  return name.replace(/[%{}]/g, (c) => (c === '%' ? '%25' : c === '{' ? '%7B' : '%7D'));
}

/** The name a tag was made from. @internal */
export function nameOfTag(tag: string): string {
  return tag.replace(/%(25|7B|7D)/g, (_, code: string) => (code === '25' ? '%' : code === '7B' ? '{' : '}'));
}

/** `${prefix}{${tag}}`: what every key and the channel of the circuit `name` start with. @internal */
export function circuitBase(prefix: string, name: string): string {
  return `${prefix}{${hashTag(name)}}`;
}

/** The circuit name in `${prefix}{${tag}}:${suffix}`, for one of `suffixes`; undefined for any other key. @internal */
export function nameOfKey(prefix: string, key: string, suffixes: readonly string[]): string | undefined {
  const start = `${prefix}{`;
  if (!key.startsWith(start)) return undefined;
  for (const suffix of suffixes) {
    const end = `}:${suffix}`;
    if (!key.endsWith(end) || key.length <= start.length + end.length) continue;
    const tag = key.slice(start.length, key.length - end.length);
    // A tag the store never writes (a raw brace in it) is someone else's key.
    if (!/[{}]/.test(tag)) return nameOfTag(tag);
  }
  return undefined;
}
