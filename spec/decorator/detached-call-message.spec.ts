/**
 * The whole message of a call made without an instance (src/decorator/guard.ts detachedCall): what was
 * called, with what `this`, and how to call it instead, for a string key and for a symbol key. When such a
 * call is refused: spec/decorator/detached-call.spec.ts.
 */
import { expect } from 'chai';
import { CircuitBreaker } from '../../src';

const LOAD = Symbol('load');

class Catalog {
  @CircuitBreaker()
  async find(id: string): Promise<string> {
    return id;
  }

  @CircuitBreaker()
  async [LOAD](): Promise<string> {
    return 'loaded';
  }
}

const rejectionOf = (promise: Promise<unknown>) => promise.then(
  () => expect.fail('expected a rejection'),
  (error: unknown) => error as Error,
);

describe('decorator: the message of a call without an instance', () => {
  const catalog = new Catalog(); // the class is known in both decorator modes

  it('a string key: what was called, its `this`, and how to call it', async () => {
    const find = catalog.find;
    const error = await rejectionOf(find.call(undefined, 'a'));
    expect(error).to.be.instanceOf(TypeError);
    expect(error.message).to.equal(
      'Catalog#find was called without an instance (this is undefined): call it on one, as instance.find(...); ' +
        'a method passed on alone (ids.map(instance.find)) has no instance',
    );
  });

  it('a symbol key: spelled as an element access', async () => {
    const load = catalog[LOAD];
    const error = await rejectionOf(load.call(null));
    expect(error.message).to.equal(
      'Catalog#[load] was called without an instance (this is null): call it on one, as instance[load](...); ' +
        'a method passed on alone (ids.map(instance[load])) has no instance',
    );
  });
});
