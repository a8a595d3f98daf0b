import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker } from '../../src';
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
