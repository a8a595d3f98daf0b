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
});
