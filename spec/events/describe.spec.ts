import { expect } from 'chai';
import { CircuitBreaker, CircuitBreakerTimeoutException, isCircuitBreakerTimeoutException } from '../../src';
import { describeValue } from '../../src/common/describe-value';
import { Listeners } from '../../src/events/listeners';
import { isCircuitStore } from '../../src/store/circuit-store';

/** The words errors use for what they were given, and small contracts the messages rest on. */
describe('messages: how a wrong value is described', () => {
  const cases: readonly [unknown, string][] = [
    [null, 'null'],
    [undefined, 'undefined'],
    [[1], 'an array'],
    [5, 'number 5'],
    [NaN, 'number NaN'],
    [true, 'boolean true'],
    [10n, 'bigint 10'],
    ['x', 'string "x"'],
    [{}, 'object'],
    [() => 1, 'function'],
    [Symbol('s'), 'symbol'],
  ];
  for (const [value, words] of cases) {
    it(`describes ${words}`, () => {
      expect(describeValue(value)).to.equal(words);
    });
  }

  it('names the value in option errors', () => {
    expect(() => new CircuitBreaker({ name: 5 as never })).to.throw(TypeError, 'name must be a string, got number 5');
    expect(() => new CircuitBreaker({ fallbackOnFailure: 'yes' as never, fallback: () => 1 })).to.throw(TypeError, 'fallbackOnFailure must be a boolean, got string "yes"');
    expect(() => new CircuitBreaker({ logger: 'console' as never })).to.throw(TypeError, 'logger must be an object with warn and info methods, got string "console"');
    expect(() => new CircuitBreaker({ logger: null as never })).to.throw(TypeError, 'got null');
    expect(() => new CircuitBreaker({ clock: 1 as never })).to.throw(TypeError, 'clock must be a function, got number 1');
    expect(() => new CircuitBreaker({ failureThreshold: '3' as never })).to.throw(TypeError, 'failureThreshold must be a number, got string "3"');
    expect(() => new CircuitBreaker({ failureThreshold: 2.5 })).to.throw(RangeError, 'failureThreshold must be a positive integer, got 2.5');
    expect(() => new CircuitBreaker({ resetTimeout: -1 })).to.throw(RangeError, 'resetTimeout must be a finite number of milliseconds >= 0, got -1');
    expect(() => new CircuitBreaker({ timeout: 0 })).to.throw(RangeError, 'timeout must be a finite number of milliseconds >= 1, got 0');
    expect(() => new CircuitBreaker({ timeout: 2 ** 31 })).to.throw(RangeError, `timeout must be at most ${2 ** 31 - 1} ms, got ${2 ** 31}`);
    expect(() => new CircuitBreaker({ resetTimeout: 10, maxResetTimeout: 5 })).to.throw(RangeError, 'maxResetTimeout (5) must not be less than resetTimeout (10)');
    expect(() => new CircuitBreaker({ backoffMultiplier: 0 })).to.throw(RangeError, 'backoffMultiplier must be a finite number >= 1, got 0');
    expect(() => new CircuitBreaker({ name: '' })).to.throw(RangeError, 'name must not be empty');
    expect(() => new CircuitBreaker({ failureThreshold: NaN })).to.throw(RangeError, 'failureThreshold must be a number, got NaN');
    expect(() => new CircuitBreaker({ fallbackOnFailure: true })).to.throw(TypeError, 'fallbackOnFailure needs a fallback option');
    expect(() => new CircuitBreaker({ logger: { warn() {} } as never })).to.throw(TypeError, 'logger.info must be a function (console, pino and winston loggers have one)');
  });

  it('recognises a circuit store by its join method only', () => {
    for (const notAStore of [null, undefined, 1, 'redis', {}, { join: 1 }, Object.assign(() => undefined, { join: () => undefined })]) {
      expect(isCircuitStore(notAStore), String(notAStore)).to.equal(false);
      expect(() => new CircuitBreaker({ name: 'x', store: notAStore as never })).to.satisfy((make: () => unknown) => {
        if (notAStore === undefined) return make() !== undefined;
        try {
          make();
          return false;
        } catch (error) {
          return error instanceof TypeError && /store must be a circuit store .*got/.test((error as Error).message);
        }
      });
    }
    expect(isCircuitStore({ join: () => undefined })).to.equal(true);
  });

  describe('listeners', () => {
    it('refuses a listener that is not a function, naming what it got', () => {
      const breaker = new CircuitBreaker();
      expect(() => breaker.onOpen(5 as never)).to.throw(TypeError, 'listener must be a function, got number 5');
    });

    it('dispose removes that registration only, once, leaving the others in order', () => {
      const listeners = new Listeners<number>();
      const heard: string[] = [];
      const a = (n: number) => heard.push(`a${n}`);
      const b = (n: number) => heard.push(`b${n}`);
      const first = listeners.add(a);
      listeners.add(b);
      const again = listeners.add(a);
      first.dispose();
      first.dispose();
      listeners.emit(1);
      expect(heard).to.deep.equal(['b1', 'a1']);
      again.dispose();
      listeners.emit(2);
      expect(heard).to.deep.equal(['b1', 'a1', 'b2']);
      expect(listeners.size).to.equal(1);
    });
  });

  describe('CircuitBreakerTimeoutException', () => {
    it('carries the breaker, the timeout, a message naming both, its name and a cause', () => {
      const cause = new Error('slow');
      const error = new CircuitBreakerTimeoutException('api', 250, { cause });
      expect(error.message).to.equal('Circuit breaker "api": call timed out after 250 ms');
      expect([error.breaker, error.timeout, error.name, error.cause]).to.deep.equal(['api', 250, 'CircuitBreakerTimeoutException', cause]);
      expect(Object.keys(error)).to.not.include('name');
      expect(isCircuitBreakerTimeoutException(error)).to.equal(true);
      expect(String(error)).to.equal('CircuitBreakerTimeoutException: Circuit breaker "api": call timed out after 250 ms');
    });
  });
});
