import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { createClient as createClient5 } from 'redis5';
import { RedisCircuitStore, type RedisClientLike } from '../../src/redis';
import { RedisServer, requireRedisServer } from '../support/redis-server';

/** Runs `script` in a fresh Node (ts-node, this repo's root) and returns what it printed. */
function node(script: string): string {
  return execFileSync(process.execPath, ['-r', 'ts-node/register', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.json', TS_NODE_TRANSPILE_ONLY: '1' },
  }).trim();
}

/** The script's prelude: which client libraries `require` has loaded so far. */
const LOADED = `
const loaded = () => ['ioredis', '@redis/client'].filter((lib) => Object.keys(require.cache).some((path) => path.includes('/node_modules/' + lib + '/')));
`;

describe('RedisCircuitStore: the client libraries', function () {
  this.timeout(20_000);

  describe('loading', () => {
    it('the core and the redis subpath load no client library; a store loads only the one it is given', () => {
      const out = node(`${LOADED}
        require('./src'); require('./src/redis');
        const before = loaded().join('+') || 'none';
        const { RedisCircuitStore } = require('./src/redis');
        const { createClient } = require('redis');
        const client = createClient({ url: 'redis://127.0.0.1:1', disableOfflineQueue: true });
        const store = new RedisCircuitStore({ client });
        const withNodeRedis = loaded().join('+');
        void store.close();
        console.log(before, withNodeRedis);
      `);
      expect(out).to.equal('none @redis/client');
    });

    it('an ioredis client: node-redis is not loaded', () => {
      const out = node(`${LOADED}
        const { RedisCircuitStore } = require('./src/redis');
        const Redis = require('ioredis').default;
        const client = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false });
        const store = new RedisCircuitStore({ client });
        console.log(loaded().join('+'));
        void store.close().then(() => client.disconnect());
      `);
      expect(out).to.equal('ioredis');
    });
  });

  describe('options', () => {
    it('a client that is neither library: a TypeError naming the option, at construction', () => {
      for (const bad of [{}, { duplicate: () => undefined }, 'redis://127.0.0.1:6379', 42, null]) {
        expect(() => new RedisCircuitStore({ client: bad as unknown as RedisClientLike }), String(bad)).to.throw(
          TypeError,
          /client must be an ioredis client \(Redis or Cluster\) or a node-redis client \(createClient or createCluster\)/,
        );
      }
    });

    it('leaves the client it is given as it was: no option changed, no listener left after close()', async () => {
      const ioredis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, commandTimeout: 100 });
      const nodeRedis = createClient({ url: 'redis://127.0.0.1:1', disableOfflineQueue: true });
      for (const client of [ioredis, nodeRedis]) {
        const options = JSON.stringify(client.options);
        const listeners = ['ready', 'error', 'connect'].map((event) => client.listenerCount(event));
        const store = new RedisCircuitStore({ client, commandTimeout: 100 });
        await store.close();
        expect(JSON.stringify(client.options)).to.equal(options);
        expect(['ready', 'error', 'connect'].map((event) => client.listenerCount(event))).to.deep.equal(listeners);
      }
      ioredis.disconnect();
    });
  });

  describe('against a real redis-server', () => {
    let server: RedisServer | undefined;
    before(async function () {
      requireRedisServer(this);
      server = await RedisServer.start();
    });
    after(() => server?.close());

    it('{ url } without ioredis installed: the store makes a node-redis client, and shares a circuit through it', () => {
      // ioredis hidden from require, as in an app that has node-redis only.
      const out = node(`${LOADED}
        const Module = require('node:module');
        const resolve = Module._resolveFilename;
        Module._resolveFilename = function (request, ...rest) {
          if (request === 'ioredis') throw Object.assign(new Error("Cannot find module 'ioredis'"), { code: 'MODULE_NOT_FOUND' });
          return resolve.call(this, request, ...rest);
        };
        const { RedisCircuitStore } = require('./src/redis');
        const [a, b] = [0, 1].map(() => new RedisCircuitStore({ url: '${server!.url}', commandTimeout: 250 }));
        (async () => {
          const ready = [await a.ready(2000), await b.ready(2000)];
          const heard = [];
          const opener = a.join('url-api', () => undefined);
          b.join('url-api', (fleet, update) => update === 'event' && heard.push(fleet.state));
          await new Promise((r) => setTimeout(r, 100));
          await opener.open(1000, 'trip');
          await new Promise((r) => setTimeout(r, 100));
          await Promise.all([a.close(), b.close()]);
          console.log(JSON.stringify({ ready, heard, loaded: loaded() }));
        })();
      `);
      expect(JSON.parse(out)).to.deep.equal({ ready: [true, true], heard: ['OPEN'], loaded: ['@redis/client'] });
    });

    it('ioredis with lazyConnect: the store subscribes on a connection that connects by itself (ready, and hears a push)', async () => {
      const clients = [0, 1].map(() => new Redis(server!.url, { lazyConnect: true, enableOfflineQueue: false, commandTimeout: 250 }));
      await Promise.all(clients.map((client) => client.connect()));
      const [a, b] = clients.map((client) => new RedisCircuitStore({ client }));
      try {
        expect([await a!.ready(2_000), await b!.ready(2_000)], 'both stores ready').to.deep.equal([true, true]);
        const heard: string[] = [];
        const opener = a!.join('lazy-api', () => undefined);
        b!.join('lazy-api', (fleet, update) => update === 'event' && heard.push(fleet.state));
        await new Promise((resolve) => setTimeout(resolve, 100));
        await opener.open(1_000, 'trip');
        const deadline = performance.now() + 1_000;
        while (!heard.includes('OPEN') && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
        expect(heard).to.deep.equal(['OPEN']);
      } finally {
        await Promise.all([a!.close(), b!.close()]);
        for (const client of clients) client.disconnect();
      }
    });

    it('node-redis: ready() answers false within its timeout with Redis refusing or hung, true when up; close() then returns at once', async () => {
      const { findFreePort } = await import('../support/redis-server');
      const answers: string[] = [];
      for (const [what, url, hang] of [
        ['refusing', `redis://127.0.0.1:${await findFreePort()}`, false],
        ['hung', server!.url, true],
        ['up', server!.url, false],
      ] as const) {
        if (hang) server!.pause();
        const client = createClient({ url, disableOfflineQueue: true, socket: { connectTimeout: 200, reconnectStrategy: () => 50 } });
        client.on('error', () => undefined);
        client.connect().catch(() => undefined);
        const store = new RedisCircuitStore({ client, commandTimeout: 150 });
        const started = performance.now();
        const ready = await store.ready(300);
        const took = performance.now() - started;
        server!.resume();
        const closing = performance.now();
        await store.close();
        const closed = performance.now() - closing;
        client.destroy();
        answers.push(`${what}: ${ready}`);
        expect(took, `${what}: ready() took`).to.be.below(ready ? 300 : 400);
        if (!ready) expect(took, `${what}: ready() waited its timeout`).to.be.at.least(295);
        expect(closed, `${what}: close() took`).to.be.below(50);
      }
      expect(answers).to.deep.equal(['refusing: false', 'hung: false', 'up: true']);
    });

    // A client as both majors type it: what the spec uses of it.
    type Made = RedisClientLike & { on(event: 'error', listener: () => void): unknown; connect(): Promise<unknown>; destroy(): void };
    const majors: [number, (url: string) => Made][] = [
      [6, (url) => createClient({ url, disableOfflineQueue: true })],
      [5, (url) => createClient5({ url, disableOfflineQueue: true })],
    ];
    for (const [major, create] of majors) {
      it(`node-redis ${major}: a hung Redis (SIGSTOP) fails a store command after commandTimeout (the client has no timeout of its own)`, async () => {
        const client = create(server!.url);
        client.on('error', () => undefined);
        await client.connect();
        const store = new RedisCircuitStore({ client, commandTimeout: 150 });
        expect(await store.ready(2_000)).to.equal(true);
        const member = store.join('hung-api', () => undefined);
        server!.pause();
        try {
          const started = performance.now();
          const error = await member.open(1_000, 'trip').then(() => undefined, (e: unknown) => e);
          const took = performance.now() - started;
          expect(error, 'open() on a hung Redis').to.be.instanceOf(Error);
          expect(took).to.be.within(140, 400);
          expect(store.available, 'degraded after the timeout').to.equal(false);
        } finally {
          server!.resume();
          member.leave();
          await store.close();
          client.destroy();
        }
      });
    }
  });
});
