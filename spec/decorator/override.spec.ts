import { expect } from 'chai';
import { CircuitBreaker, getCircuitBreaker } from '../../src';

describe('getCircuitBreaker on an overridden method', () => {
  class Base {
    @CircuitBreaker()
    async load(): Promise<string> {
      return 'base';
    }
  }
  class Undecorated extends Base {
    override async load(): Promise<string> {
      return 'sub';
    }
  }
  class Inherits extends Base {}

  it('finds the base breaker through a subclass that does not override it', () => {
    expect(getCircuitBreaker(new Inherits(), 'load')).to.equal(getCircuitBreaker(Base.prototype, 'load'));
    expect(getCircuitBreaker(new Inherits(), 'load').name).to.equal('Base#load');
  });

  it('throws for a subclass that overrides it undecorated', () => {
    expect(() => getCircuitBreaker(new Undecorated(), 'load')).to.throw(TypeError, /Undecorated#load is not decorated/);
  });

  describe('a subclass that overrides a decorated method undecorated, made before any base instance', () => {
    it('has no breaker, and the base keeps its own', async () => {
      class Base {
        @CircuitBreaker()
        async load(): Promise<string> {
          return 'base';
        }
      }
      class Sub extends Base {
        override async load(): Promise<string> {
          return 'sub';
        }
      }
      const sub = new Sub();
      expect(await sub.load()).to.equal('sub');
      expect(() => getCircuitBreaker(sub, 'load')).to.throw(TypeError, 'Sub#load is not decorated');
      expect(getCircuitBreaker(new Base(), 'load').name).to.equal('Base#load');
    });
  });
});
