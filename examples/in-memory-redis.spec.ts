import { expect } from 'chai';
import sinon from 'sinon';
import { getCircuitBreaker } from '../src';
import { InMemoryRedisClient, SessionStore } from './in-memory-redis';

describe('example: a Redis wrapper guarded method by method', () => {
  let clock: sinon.SinonFakeTimers;
  let redis: InMemoryRedisClient;
  let store: SessionStore;

  beforeEach(() => {
    clock = sinon.useFakeTimers();
    redis = new InMemoryRedisClient();
    store = new SessionStore(redis);
    for (const method of ['get', 'set', 'delete'] as const) getCircuitBreaker(store, method).reset();
  });
  afterEach(() => clock.restore());

  it('reads what it wrote while Redis is up', async () => {
    await store.set('s1', { userId: 'u1', roles: ['admin'] });
    expect(await store.get('s1')).to.deep.equal({ userId: 'u1', roles: ['admin'] });
    expect(await store.delete('s1')).to.equal(true);
  });

  it('answers a cache miss without touching Redis once get has tripped', async () => {
    redis.up = false;
    for (let i = 0; i < 3; i++) expect(await store.get('s1')).to.equal(null); // failures answer null too, and count
    const commands = redis.commands;
    expect(getCircuitBreaker(store, 'get').state).to.equal('OPEN');
    expect(await store.get('s1')).to.equal(null);
    expect(redis.commands).to.equal(commands);
  });

  it('keeps a breaker per method: a tripped get leaves set closed', async () => {
    redis.up = false;
    for (let i = 0; i < 3; i++) await store.get('s1');
    expect(getCircuitBreaker(store, 'get').state).to.equal('OPEN');
    expect(getCircuitBreaker(store, 'set').state).to.equal('CLOSED');
  });

  it('recovers after resetTimeout with one probe', async () => {
    redis.up = false;
    for (let i = 0; i < 3; i++) await store.get('s1');
    redis.up = true;
    await store.set('s1', { userId: 'u2', roles: [] });
    clock.tick(10_000);
    expect(await store.get('s1')).to.deep.equal({ userId: 'u2', roles: [] });
    expect(getCircuitBreaker(store, 'get').state).to.equal('CLOSED');
  });
});
