import { expect } from 'chai';
import fc from 'fast-check';
import { circuitBase, hashTag, nameOfKey, nameOfTag } from '../../src/redis/keys';

/** The hash tag Redis Cluster hashes a key by: what lies between its first `{` and the next `}`, if not empty. */
function clusterTag(key: string): string | undefined {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

describe('the Redis key layout (src/redis/keys.ts)', () => {
  const runs = Number(process.env.FC_RUNS ?? 200);

  it('every key of a circuit hashes by the escaped name, whatever the name (so one slot), and the name comes back', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (name) => {
        const base = circuitBase('circuit-breaker:', name);
        for (const suffix of ['state', 'wait', 'lease', 'trips', 'window', 'window:meta', 'events']) {
          expect(clusterTag(`${base}:${suffix}`)).to.equal(hashTag(name));
          expect(nameOfKey('circuit-breaker:', `${base}:${suffix}`, [suffix])).to.equal(name);
        }
        expect(nameOfTag(hashTag(name))).to.equal(name);
      }),
      { numRuns: runs },
    );
  });

  it('escapes %, { and } only: other names keep the keys they had', () => {
    expect(circuitBase('p:', 'Payments#charge[eu-1]')).to.equal('p:{Payments#charge[eu-1]}');
    expect(hashTag('}a{b%7D')).to.equal('%7Da%7Bb%257D');
    expect(nameOfTag('%7Da%7Bb%257D')).to.equal('}a{b%7D');
  });

  it('two names never share a tag', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        if (a !== b) expect(hashTag(a)).to.not.equal(hashTag(b));
      }),
      { numRuns: runs },
    );
  });

  it("a key that is not the store's (another prefix, another suffix, a raw brace in the tag) names no circuit", () => {
    expect(nameOfKey('p:', 'q:{a}:state', ['state'])).to.equal(undefined);
    expect(nameOfKey('p:', 'p:{a}:other', ['state'])).to.equal(undefined);
    expect(nameOfKey('p:', 'p:{a}b}:state', ['state'])).to.equal(undefined);
    expect(nameOfKey('p:', 'p:{}:state', ['state'])).to.equal(undefined);
  });
});
