/**
 * How to test your own decorated service: sinon's fake clock drives the
 * breaker's time (it reads Date.now() when a call arrives and keeps no timers),
 * so a 30-second resetTimeout takes no real time at all.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { getCircuitBreaker, isCircuitBreakerOpenException } from '../src';
import { UserService, type UserApi } from './user-service';

describe('example: testing a decorated UserService with a fake clock', () => {
  let clock: sinon.SinonFakeTimers;
  let api: { fetchUser: sinon.SinonStub; updateUser: sinon.SinonStub };
  let service: UserService;

  beforeEach(() => {
    clock = sinon.useFakeTimers();
    api = { fetchUser: sinon.stub(), updateUser: sinon.stub().resolves() };
    service = new UserService(api as unknown as UserApi);
    // One breaker per decorated method, shared by every instance: start each test closed.
    getCircuitBreaker(service, 'getUser').reset();
    getCircuitBreaker(service, 'rename').reset();
  });
  afterEach(() => clock.restore());

  async function failGetUser(times: number): Promise<void> {
    api.fetchUser.rejects(new Error('503 from user API'));
    for (let i = 0; i < times; i++) await service.getUser('u1').catch(() => undefined);
  }

  it('opens after five failures and stops calling the API', async () => {
    await failGetUser(5);
    const calls = api.fetchUser.callCount;

    const error = await service.getUser('u1').catch((e: unknown) => e);

    expect(isCircuitBreakerOpenException(error)).to.equal(true);
    expect(api.fetchUser.callCount).to.equal(calls);
    expect(getCircuitBreaker(service, 'getUser').state).to.equal('OPEN');
  });

  it('degrades displayName while open', async () => {
    await failGetUser(5);
    expect(await service.displayName('u1')).to.equal('user u1');
  });

  it('lets one probe through after 30 s and closes when it succeeds', async () => {
    await failGetUser(5);
    api.fetchUser.resolves({ id: 'u1', name: 'Ada' });

    clock.tick(29_999);
    expect(await service.getUser('u1').catch((e: unknown) => e)).to.satisfy(isCircuitBreakerOpenException);
    clock.tick(1);
    expect(await service.getUser('u1')).to.deep.equal({ id: 'u1', name: 'Ada' });
    expect(getCircuitBreaker(service, 'getUser').state).to.equal('CLOSED');
  });

  it('does not count validation errors as failures', async () => {
    for (let i = 0; i < 10; i++) await service.rename('u1', ' ').catch(() => undefined);
    expect(getCircuitBreaker(service, 'rename').stats()).to.include({ state: 'CLOSED', failures: 0, ignored: 10 });
  });
});
