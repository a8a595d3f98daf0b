import { expect } from 'chai';
import { RedisCircuitStore } from '../../src/redis';
import { describeCircuitStoreContract } from '../store/contract';
import { makeClient, REDIS_LIBRARIES, type MadeClient } from '../support/redis-clients';
import { RedisServer, requireRedisServer } from '../support/redis-server';

// Real time, real redis-server: the store contract spec/store/in-memory.spec.ts runs under a clock of its own,
// here with waits of a few hundred ms. SLACK bounds what a step may add on a loaded 2-core machine: a sleep's
// overshoot, a settle, the round trips; a remaining wait is read at most that much below the exact value.
const SLACK = 100;
/** A real wait for what Redis pushes: a SUBSCRIBE and a read for a new member, a PUBLISH for the others. */
const SETTLE = 50;
/** Added to each step, so that a key's PX has passed (Redis expires a key once its time is strictly past). */
const MARGIN = 5;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
let stores = 0;

describe('RedisCircuitStore against a real redis-server', function () {
  let server: RedisServer | undefined;

  before(async function () {
    requireRedisServer(this);
    server = await RedisServer.start();
  });
  after(() => server?.close());

  // With `url` the store makes an ioredis client; with `{ client }` it takes either library's.
  for (const source of ['url', ...REDIS_LIBRARIES, ...(REDIS_LIBRARIES.includes('node-redis') ? (['node-redis-5'] as const) : [])] as const) {
    describeCircuitStoreContract(source === 'url' ? 'RedisCircuitStore({ url })' : `RedisCircuitStore({ client: ${source} })`, () => {
      const made: RedisCircuitStore[] = [];
      const clients: MadeClient[] = [];
      return {
        async makeStore({ probeLease } = {}) {
          // A prefix of its own: a store shares its circuits with no other store of the suite.
          const prefix = `contract-${process.pid}-${++stores}:`;
          let store: RedisCircuitStore;
          if (source === 'url') store = new RedisCircuitStore({ url: server!.url, prefix, probeLease });
          else {
            const made = makeClient(source, server!.url, { commandTimeout: 250 });
            clients.push(made);
            store = new RedisCircuitStore({ client: made.client, prefix, probeLease });
          }
          made.push(store);
          expect(await store.ready(2_000), 'store ready').to.equal(true);
          return store;
        },
        advance: (ms) => sleep(ms + MARGIN),
        settle: () => sleep(SETTLE),
        slack: SLACK,
        async teardown() {
          await Promise.all(made.splice(0).map((store) => store.close()));
          await Promise.all(clients.splice(0).map((client) => client.close()));
        },
      };
    });
  }
});
