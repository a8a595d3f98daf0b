import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, getCircuitBreaker } from '../../src';
import { fail, rejectionOf } from '../support/helpers';

const construct = (...args: unknown[]): unknown => new (CircuitBreaker as new (...args: unknown[]) => unknown)(...args);
const decoratorFactory = CircuitBreaker as unknown as (...args: unknown[]) => unknown;
/** Each misuse is refused the same by `new CircuitBreaker(...)` and by `@CircuitBreaker(...)` before any class. */
const bothForms: readonly (readonly [string, (...args: unknown[]) => unknown])[] = [
  ['new CircuitBreaker', construct],
  ['@CircuitBreaker', decoratorFactory],
];

/** Mistakes a user makes that used to get a silent default or a crash later (issue 13, items 6 to 8). */
describe('options misuse, refused when the breaker or decorator is made', () => {
  describe('a clock that does not give a finite number of milliseconds', () => {
    const readings: readonly (readonly [string, () => unknown, string])[] = [
      ['a string', () => '1700000000000', 'got string "1700000000000"'],
      ['a bigint (process.hrtime.bigint)', () => 123n, 'got bigint 123n'],
      ['NaN', () => NaN, 'got number NaN'],
      ['Infinity', () => Infinity, 'got number Infinity'],
      ['-Infinity', () => -Infinity, 'got number -Infinity'],
      ['nothing', () => undefined, 'got undefined'],
      ['a Date', () => new Date(0), 'got a Date'],
    ];
    for (const [label, clock, got] of readings) {
      for (const [form, make] of bothForms) {
        it(`${form}: a clock returning ${label} is a TypeError naming clock and what it returned`, () => {
          expect(() => make({ clock })).to.throw(TypeError, `clock must return a finite number of milliseconds, ${got}`);
        });
      }
    }

    it('names process.hrtime.bigint itself, and how to turn it into milliseconds', () => {
      expect(() => new CircuitBreaker({ clock: process.hrtime.bigint as never })).to.throw(
        TypeError,
        /^clock must return a finite number of milliseconds, got bigint \d+n \(for process\.hrtime\.bigint, pass \(\) => Number\(process\.hrtime\.bigint\(\)\) \/ 1e6\)$/,
      );
    });

    for (const [form, make] of bothForms) {
      it(`${form}: a clock that throws is a TypeError naming clock, with the clock's error as its cause`, () => {
        const bug = new Error('no time');
        let error: unknown;
        try {
          make({ clock: () => { throw bug; } });
        } catch (caught) {
          error = caught;
        }
        expect(error).to.be.instanceOf(TypeError);
        expect((error as Error).message).to.match(/^clock threw when read .*: no time$/);
        expect((error as Error).cause).to.equal(bug);
      });
    }

    it('names an unbound method (performance.now), which throws when called as clock()', () => {
      expect(() => new CircuitBreaker({ clock: performance.now })).to.throw(TypeError, /^clock threw when read \(it is called as clock\(\), without a receiver/);
      expect(() => new CircuitBreaker({ clock: () => performance.now() })).to.not.throw();
    });

    it('is read once, without a receiver, when the breaker is made, and accepts any finite number', () => {
      const clock = sinon.spy(function (this: unknown) {
        return this === undefined ? -5.5 : NaN;
      });
      new CircuitBreaker({ clock });
      expect(clock.callCount).to.equal(1);
      expect(() => new CircuitBreaker({ clock: () => 0 })).to.not.throw();
    });

    it('is refused when the class is defined, in either decorator mode', () => {
      expect(() => {
        class Svc {
          @CircuitBreaker({ clock: () => 'now' as never })
          async get(): Promise<string> {
            return 'ok';
          }
        }
        return Svc;
      }).to.throw(TypeError, 'clock must return a finite number of milliseconds, got string "now"');
    });

    it('is not read again for the breaker of each instance (made on its first call), so a later reading cannot fail that call', async () => {
      let reading: unknown = 0;
      const clock = sinon.spy(() => reading as number);
      class Tenant {
        @CircuitBreaker({ scope: 'instance', clock })
        async query(): Promise<string> {
          return 'rows';
        }
      }
      const reads = clock.callCount;
      reading = 'not a number';
      expect(await new Tenant().query()).to.equal('rows');
      expect(await new Tenant().query()).to.equal('rows');
      expect(clock.callCount).to.equal(reads);
    });
  });

  describe('backoffMultiplier without maxResetTimeout (it would do nothing)', () => {
    for (const [form, make] of bothForms) {
      it(`${form}: is a TypeError naming both`, () => {
        expect(() => make({ backoffMultiplier: 3 })).to.throw(TypeError, /^backoffMultiplier needs maxResetTimeout in the same options/);
        expect(() => make({ resetTimeout: 1_000, backoffMultiplier: 3, maxResetTimeout: undefined })).to.throw(TypeError, 'backoffMultiplier needs maxResetTimeout');
      });
    }

    it('is accepted with maxResetTimeout, and maxResetTimeout alone backs off by the default 2', async () => {
      const clock = sinon.useFakeTimers();
      try {
        const both = new CircuitBreaker({ failureThreshold: 1, resetTimeout: 1_000, maxResetTimeout: 10_000, backoffMultiplier: 3 });
        const alone = new CircuitBreaker({ failureThreshold: 1, resetTimeout: 1_000, maxResetTimeout: 10_000 });
        for (const breaker of [both, alone]) {
          await rejectionOf(breaker.call(fail));
          clock.tick(1_000);
          await rejectionOf(breaker.call(fail));
        }
        expect(both.stats().resetTimeout).to.equal(3_000);
        expect(alone.stats().resetTimeout).to.equal(2_000);
      } finally {
        clock.restore();
      }
    });

    it('an undefined backoffMultiplier means the default, as any undefined option does', () => {
      expect(() => new CircuitBreaker({ backoffMultiplier: undefined })).to.not.throw();
    });
  });

  describe('positional arguments', () => {
    for (const [form, make] of bothForms) {
      it(`${form}('5', '30000') (process.env values) says what the options form says for the same value`, () => {
        expect(() => make('5', '30000')).to.throw(TypeError, /^failureThreshold must be a number, got string "5"$/);
        expect(() => make({ failureThreshold: '5' })).to.throw(TypeError, /^failureThreshold must be a number, got string "5"$/);
        expect(() => make(5, '30000')).to.throw(TypeError, /^resetTimeout must be a number, got string "30000"$/);
        expect(() => make(undefined, '30000')).to.throw(TypeError, /^resetTimeout must be a number, got string "30000"$/);
        expect(() => make(null, 30_000)).to.throw(TypeError, /^failureThreshold must be a number, got null$/);
      });

      it(`${form}(5, 30_000, { name }) is a TypeError naming the extra argument, not a dropped name`, () => {
        expect(() => make(5, 30_000, { name: 'payments-api' })).to.throw(TypeError, /takes \(options\).*or \(failureThreshold, resetTimeout\), got an argument 3 \(object\): give every option in one options object/);
        expect(() => make({ name: 'payments-api' }, undefined, 'x')).to.throw(TypeError, 'got an argument 3 (string "x")');
        expect(() => make(5, 30_000, undefined, 7)).to.throw(TypeError, 'got an argument 4 (number 7)');
      });

      it(`${form}(options, second) names the second argument`, () => {
        expect(() => make({ name: 'payments-api' }, 5)).to.throw(TypeError, 'got a second argument (number 5) after an options object');
      });

      it(`${form}: a trailing undefined says nothing, and is accepted`, () => {
        expect(() => make(5, 30_000, undefined)).to.not.throw();
      });

      it(`${form}(null) and ${form}('fast') are still "options must be an object"`, () => {
        expect(() => make(null)).to.throw(TypeError, /^circuit breaker options must be an object, got null$/);
        expect(() => make('fast')).to.throw(TypeError, /^circuit breaker options must be an object, got string "fast"$/);
      });
    }

    it('new CircuitBreaker(5, 30_000) and new CircuitBreaker(undefined, 10) still work', () => {
      expect(new CircuitBreaker(5, 30_000).options).to.include({ failureThreshold: 5, resetTimeout: 30_000 });
      expect(new CircuitBreaker(undefined, 10).options).to.include({ failureThreshold: 3, resetTimeout: 10 });
    });
  });

  describe('options that are objects but not objects of options', () => {
    const notPlain: readonly (readonly [string, () => object])[] = [
      ['a Date', () => new Date(0)],
      ['a Map', () => new Map([['failureThreshold', 5]])],
      ['a Set', () => new Set()],
      ['a RegExp', () => /5/],
      ['a Promise', () => Promise.resolve({ failureThreshold: 5 })],
      ['an Error', () => new Error('options')],
      ['a String', () => new String('{}')],
    ];
    for (const [label, value] of notPlain) {
      for (const [form, make] of bothForms) {
        it(`${form}(${label}) is a TypeError naming what it got`, () => {
          expect(() => make(value())).to.throw(TypeError, `circuit breaker options must be a plain object of options, got ${label}`);
        });
      }
    }

    it('a class instance holding option fields, or an object without a prototype, is an object of options', () => {
      class Settings {
        readonly failureThreshold = 2;
        readonly resetTimeout = 10;
      }
      expect(new CircuitBreaker(new Settings()).options).to.include({ failureThreshold: 2, resetTimeout: 10 });
      const bare = Object.assign(Object.create(null) as object, { failureThreshold: 4 });
      expect(new CircuitBreaker(bare).options.failureThreshold).to.equal(4);
      class Svc {
        @CircuitBreaker(new Settings())
        async get(): Promise<string> {
          return 'ok';
        }
      }
      expect(getCircuitBreaker(Svc.prototype, 'get').options).to.include({ failureThreshold: 2, resetTimeout: 10 });
    });
  });

  describe('a blank name', () => {
    for (const name of ['', ' ', '\t\n ']) {
      for (const [form, make] of bothForms) {
        it(`${form}: name ${JSON.stringify(name)} is a RangeError naming name`, () => {
          expect(() => make({ name })).to.throw(RangeError, /^name must not be (empty|blank, got string ".*")$/s);
        });
      }
    }

    it('a name with spaces around text is a name', () => {
      expect(new CircuitBreaker({ name: ' payments api ' }).name).to.equal(' payments api ');
    });
  });
});
