import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, InMemoryCircuitStore, getCircuitBreaker } from '../../src';
import { fail, rejectionOf } from '../support/helpers';

type Case = readonly [description: string, options: Record<string, unknown>, error: typeof TypeError | typeof RangeError, option: string];

/** Each wrong option, the error class it throws and the option its message must name. */
const invalid: readonly Case[] = [
  ['failureThreshold a string', { failureThreshold: '3' }, TypeError, 'failureThreshold'],
  ['failureThreshold 0', { failureThreshold: 0 }, RangeError, 'failureThreshold'],
  ['failureThreshold negative', { failureThreshold: -1 }, RangeError, 'failureThreshold'],
  ['failureThreshold not an integer', { failureThreshold: 1.5 }, RangeError, 'failureThreshold'],
  ['failureThreshold NaN', { failureThreshold: NaN }, RangeError, 'failureThreshold'],
  ['failureThreshold Infinity', { failureThreshold: Infinity }, RangeError, 'failureThreshold'],
  ['failureThreshold null', { failureThreshold: null }, TypeError, 'failureThreshold'],
  ['resetTimeout a string', { resetTimeout: '60s' }, TypeError, 'resetTimeout'],
  ['resetTimeout negative', { resetTimeout: -1 }, RangeError, 'resetTimeout'],
  ['resetTimeout NaN', { resetTimeout: NaN }, RangeError, 'resetTimeout'],
  ['resetTimeout Infinity', { resetTimeout: Infinity }, RangeError, 'resetTimeout'],
  ['name a number', { name: 5 }, TypeError, 'name'],
  ['name empty', { name: '' }, RangeError, 'name'],
  ['clock not a function', { clock: 5 }, TypeError, 'clock'],
  ['isFailure not a function', { isFailure: true }, TypeError, 'isFailure'],
  ['fallback not a function', { fallback: 'cached' }, TypeError, 'fallback'],
  ['logger not an object', { logger: 'console' }, TypeError, 'logger'],
  ['logger without warn', { logger: { info() {} } }, TypeError, 'logger.warn'],
  ['logger without info', { logger: { warn() {} } }, TypeError, 'logger.info'],
  ['timeout a string', { timeout: '1s' }, TypeError, 'timeout'],
  ['timeout 0', { timeout: 0 }, RangeError, 'timeout'],
  ['timeout negative', { timeout: -5 }, RangeError, 'timeout'],
  ['timeout past the largest timer delay', { timeout: 2 ** 31 }, RangeError, 'timeout'],
  ['maxResetTimeout a string', { maxResetTimeout: '1' }, TypeError, 'maxResetTimeout'],
  ['maxResetTimeout below resetTimeout', { resetTimeout: 1_000, maxResetTimeout: 999 }, RangeError, 'maxResetTimeout'],
  ['backoffMultiplier a string', { backoffMultiplier: '2' }, TypeError, 'backoffMultiplier'],
  ['backoffMultiplier below 1', { backoffMultiplier: 0.5 }, RangeError, 'backoffMultiplier'],
  ['fallbackOnFailure not a boolean', { fallback: () => 1, fallbackOnFailure: 'yes' }, TypeError, 'fallbackOnFailure'],
  ['fallbackOnFailure without a fallback', { fallbackOnFailure: true }, TypeError, 'fallbackOnFailure'],
  ['an unknown option name', { failureTreshold: 3 }, TypeError, 'failureTreshold'],
];

/** Every option error (src/breaker/options.ts), thrown when the breaker or the decorator is made, and the defaults. */
describe('CircuitBreaker options', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  describe('validation, when the breaker is created', () => {
    for (const [description, options, errorClass, option] of invalid) {
      it(`throws ${errorClass.name} naming ${option} for ${description}`, () => {
        expect(() => new CircuitBreaker(options as never)).to.throw(errorClass, option);
      });
    }

    it('throws TypeError for options that are not an object', () => {
      expect(() => new CircuitBreaker('fast' as never)).to.throw(TypeError, 'options');
      expect(() => new CircuitBreaker(null as never)).to.throw(TypeError, 'options');
      expect(() => new CircuitBreaker([] as never)).to.throw(TypeError, 'options');
    });

    it('does not accept the decorator-only option `scope` on a plain breaker', () => {
      expect(() => new CircuitBreaker({ scope: 'instance' } as never)).to.throw(TypeError, 'scope');
    });

    it('accepts resetTimeout 0 (probe on the next call)', async () => {
      const breaker = new CircuitBreaker({ failureThreshold: 1, resetTimeout: 0 });
      await rejectionOf(breaker.call(fail));
      const fn = sinon.stub().resolves('ok');
      await breaker.call(fn);
      expect(fn.calledOnce).to.equal(true);
    });

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

    describe('options out of range or of the wrong type, in both forms', () => {
      const cases: readonly [string, Record<string, unknown>, typeof TypeError | typeof RangeError, string][] = [
        ['maxResetTimeout negative', { resetTimeout: 0, maxResetTimeout: -1 }, RangeError, 'maxResetTimeout'],
        ['maxResetTimeout NaN', { maxResetTimeout: NaN }, RangeError, 'maxResetTimeout'],
        ['maxResetTimeout Infinity', { maxResetTimeout: Infinity }, RangeError, 'maxResetTimeout'],
        ['backoffMultiplier NaN', { backoffMultiplier: NaN }, RangeError, 'backoffMultiplier'],
        ['backoffMultiplier Infinity', { backoffMultiplier: Infinity }, RangeError, 'backoffMultiplier'],
        ['timeout NaN', { timeout: NaN }, RangeError, 'timeout'],
        ['timeout Infinity', { timeout: Infinity }, RangeError, 'timeout'],
        ['timeout below 1 ms', { timeout: 0.5 }, RangeError, 'timeout'],
        ['logger null', { logger: null }, TypeError, 'logger'],
        ['store not a circuit store', { name: 'shared', store: {} }, TypeError, 'store'],
        ['clock an object', { clock: {} }, TypeError, 'clock'],
        ['name an object', { name: { toString: () => 'x' } }, TypeError, 'name'],
      ];
      for (const [description, options, errorClass, option] of cases) {
        it(`new CircuitBreaker and @CircuitBreaker throw ${errorClass.name} naming ${option} for ${description}`, () => {
          expect(() => new CircuitBreaker(options as never)).to.throw(errorClass, option);
          expect(() => CircuitBreaker(options as never)).to.throw(errorClass, option);
        });
      }

      it('accepts the edges of each range', () => {
        expect(() => new CircuitBreaker({ failureThreshold: 1, resetTimeout: 0, maxResetTimeout: 0, backoffMultiplier: 1, timeout: 1 })).to.not.throw();
        expect(() => new CircuitBreaker({ timeout: 2 ** 31 - 1 })).to.not.throw();
      });

      it('names every known option when one is unknown', () => {
        expect(() => new CircuitBreaker({ treshold: 1 } as never)).to.throw(TypeError, /unknown circuit breaker option "treshold" \(known options: failureThreshold, failureRate, slowCall, halfOpen, resetTimeout, name/);
      });
    });
  });

  describe('validation, when the decorator is created (before any class)', () => {
    for (const [description, options, errorClass, option] of invalid) {
      it(`CircuitBreaker(options) throws ${errorClass.name} naming ${option} for ${description}`, () => {
        expect(() => CircuitBreaker(options as never)).to.throw(errorClass, option);
      });
    }

    it('throws TypeError naming scope for an unknown scope', () => {
      expect(() => CircuitBreaker({ scope: 'request' } as never)).to.throw(TypeError, 'scope');
    });

    it('throws for a bad positional argument', () => {
      expect(() => CircuitBreaker(0)).to.throw(RangeError, 'failureThreshold');
      expect(() => CircuitBreaker(3, -1)).to.throw(RangeError, 'resetTimeout');
      expect(() => (CircuitBreaker as (...args: unknown[]) => unknown)({}, 5)).to.throw(TypeError, 'second argument');
    });

    for (const [label, value] of [['a string', 'fast'], ['null', null], ['an array', []], ['true', true]] as const) {
      it(`throws TypeError naming the options for ${label}`, () => {
        expect(() => CircuitBreaker(value as never)).to.throw(TypeError, /options must be an object/);
      });
    }

    it("throws TypeError for scope 'instance' with a store (a fleet shares one circuit per name)", () => {
      expect(() => CircuitBreaker({ scope: 'instance', store: new InMemoryCircuitStore() })).to.throw(TypeError, /scope 'instance'.*store/);
    });
  });

  describe('defaults', () => {
    it('are 3 failures and 60_000 ms, named circuit-breaker', () => {
      const { options, name } = new CircuitBreaker();
      expect(options.failureThreshold).to.equal(3);
      expect(options.resetTimeout).to.equal(60_000);
      expect(name).to.equal('circuit-breaker');
    });

    it('open after 3 failures and probe after 60_000 ms', async () => {
      const breaker = new CircuitBreaker();
      for (let i = 0; i < 2; i++) await rejectionOf(breaker.call(fail));
      expect(breaker.state).to.equal('CLOSED');
      await rejectionOf(breaker.call(fail));
      expect(breaker.state).to.equal('OPEN');
      expect(breaker.stats().nextProbeAt).to.equal(60_000);
    });
  });

  describe('the positional form', () => {
    it('new CircuitBreaker(failureThreshold, resetTimeout) means the same as the options', () => {
      const breaker = new CircuitBreaker(5, 30_000);
      expect(breaker.options.failureThreshold).to.equal(5);
      expect(breaker.options.resetTimeout).to.equal(30_000);
    });

    it('takes failureThreshold alone, and resetTimeout alone after undefined', () => {
      expect(new CircuitBreaker(7).options).to.include({ failureThreshold: 7, resetTimeout: 60_000 });
      expect(new CircuitBreaker(undefined, 10).options).to.include({ failureThreshold: 3, resetTimeout: 10 });
    });

    it('trips after failureThreshold failures and probes after resetTimeout', async () => {
      const breaker = new CircuitBreaker(2, 500);
      await rejectionOf(breaker.call(fail));
      await rejectionOf(breaker.call(fail));
      expect(breaker.state).to.equal('OPEN');
      expect(breaker.stats().nextProbeAt).to.equal(500);
    });
  });

  describe('new CircuitBreaker', () => {
    it('is an instance of the exported CircuitBreaker', () => {
      expect(new CircuitBreaker()).to.be.instanceOf(CircuitBreaker);
      expect(new CircuitBreaker(1, 1)).to.be.instanceOf(CircuitBreaker);
    });

    it('uses the name option', () => {
      expect(new CircuitBreaker({ name: 'payments-api' }).name).to.equal('payments-api');
    });

    it('new on a subclass of the exported CircuitBreaker keeps the subclass prototype and works', async () => {
      class Named extends CircuitBreaker<never> {
        describe(): string {
          return `${this.name}: ${this.state}`;
        }
      }
      const breaker = new Named({ name: 'sub', failureThreshold: 1 });
      expect(breaker).to.be.instanceOf(Named).and.to.be.instanceOf(CircuitBreaker);
      expect(breaker.describe()).to.equal('sub: CLOSED');
      expect(await breaker.call(() => Promise.resolve(1))).to.equal(1);
    });
  });

  describe('the caller\'s options object', () => {
    it('is never mutated (a frozen object is accepted and left as it was)', () => {
      const options = Object.freeze({ failureThreshold: 2, resetTimeout: 10, name: 'frozen' });
      const breaker = new CircuitBreaker(options);
      expect(options).to.deep.equal({ failureThreshold: 2, resetTimeout: 10, name: 'frozen' });
      expect(breaker.options).to.not.equal(options);
    });

    it('is copied: changing it later does not change the breaker', () => {
      const options = { failureThreshold: 2, resetTimeout: 10 };
      const breaker = new CircuitBreaker(options);
      options.failureThreshold = 100;
      expect(breaker.options.failureThreshold).to.equal(2);
    });

    it('is never mutated by the decorator, in either scope', () => {
      const options = Object.freeze({ failureThreshold: 2, resetTimeout: 10 });
      const perInstance = Object.freeze({ failureThreshold: 2, resetTimeout: 10, scope: 'instance' as const });
      class Service {
        @CircuitBreaker(options)
        async a(): Promise<number> {
          return 1;
        }
        @CircuitBreaker(perInstance)
        async b(): Promise<number> {
          return 2;
        }
      }
      const service = new Service();
      return Promise.all([service.a(), service.b()]).then((values) => {
        expect(values).to.deep.equal([1, 2]);
        expect(options).to.deep.equal({ failureThreshold: 2, resetTimeout: 10 });
        expect(perInstance).to.deep.equal({ failureThreshold: 2, resetTimeout: 10, scope: 'instance' });
      });
    });
  });
});

const construct = (...args: unknown[]): unknown => new (CircuitBreaker as new (...args: unknown[]) => unknown)(...args);
const decoratorFactory = CircuitBreaker as unknown as (...args: unknown[]) => unknown;
/** Each misuse is refused the same by `new CircuitBreaker(...)` and by `@CircuitBreaker(...)` before any class. */
const bothForms: readonly (readonly [string, (...args: unknown[]) => unknown])[] = [
  ['new CircuitBreaker', construct],
  ['@CircuitBreaker', decoratorFactory],
];

/**
 * Mistakes a user makes that used to get a silent default or a crash later (issue 13, items 6 to 8).
 * Without the fake clock above: one spec installs its own.
 */
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
