import { expect } from 'chai';
import type Redis from 'ioredis';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sinon from 'sinon';
import { getCircuitBreaker } from '../../src';
import { createIngress, defineRouteTable, routeOf, ROUTES_KEY, type RouteTable, type Upstream } from '../../examples/ingress/ingress';
import { createRedisClient, whenReady } from '../../examples/redis/redis-cache';
import { RedisServer, requireRedisServer } from '../support/redis-server';

// Real time, real redis-server, two loopback upstreams: legacy decorators only
// (tsconfig.json). Short timings: an outage and its recovery take about a second.
const policy = { failureThreshold: 3, resetTimeout: 300 };
const clientOptions = { commandTimeout: 150, connectTimeout: 150, retryStrategy: () => 25 };
const GuardedRouteTable = defineRouteTable(policy);
const TABLE = { '/users': 'new', '/orders': 'new', '/billing': 'legacy' };

/** An upstream on a loopback port that answers every request with its name and the path. */
async function startUpstream(name: Upstream): Promise<Server> {
  const server = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ upstream: name, path: request.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closeServer(server: Server | undefined): Promise<void> {
  if (server === undefined || !server.listening) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

describe('Ingress router against a real redis-server (legacy decorators)', function () {
  let redis: RedisServer | undefined;
  let upstreams: Record<Upstream, Server> | undefined;
  let client: Redis | undefined;
  let ingress: Server | undefined;
  let table: RouteTable;
  let base: string;
  const breaker = () => getCircuitBreaker(GuardedRouteTable.prototype, 'upstreamFor');

  before(async function () {
    requireRedisServer(this);
    redis = await RedisServer.start();
    upstreams = { new: await startUpstream('new'), legacy: await startUpstream('legacy') };
  });

  after(async () => {
    await closeServer(upstreams?.new);
    await closeServer(upstreams?.legacy);
    await redis?.close();
  });

  /** Writes the route table, with a client of its own (as an operator's tool would). */
  async function seedRouteTable(): Promise<void> {
    const admin = createRedisClient(redis!.url, clientOptions);
    try {
      expect(await whenReady(admin, 2_000), 'admin client ready').to.equal(true);
      await admin.hset(ROUTES_KEY, TABLE);
    } finally {
      admin.disconnect();
    }
  }

  beforeEach(async () => {
    redis!.resume();
    if (!(await redis!.ping())) await redis!.restart();
    await seedRouteTable();
    client = createRedisClient(redis!.url, clientOptions);
    expect(await whenReady(client, 2_000), 'client ready').to.equal(true);
    table = new GuardedRouteTable(client);
    ingress = createIngress({ routes: table, upstreams: { new: urlOf(upstreams!.new), legacy: urlOf(upstreams!.legacy) } });
    await new Promise<void>((resolve) => ingress!.listen(0, '127.0.0.1', resolve));
    base = urlOf(ingress);
  });

  afterEach(async () => {
    sinon.restore();
    redis?.resume();
    await closeServer(ingress);
    client?.disconnect();
    breaker().reset();
  });

  /** One request through the ingress: its status, upstream, and how long it took. */
  async function send(path: string): Promise<{ status: number; upstream: string | null; body: unknown; ms: number }> {
    const started = performance.now();
    const response = await fetch(base + path, { signal: AbortSignal.timeout(2_000) });
    const body: unknown = await response.json();
    return { status: response.status, upstream: response.headers.get('x-ingress-upstream'), body, ms: performance.now() - started };
  }

  it('keys routes by their first segment', () => {
    expect(routeOf('/users/42?x=1')).to.equal('/users');
    expect(routeOf('/users')).to.equal('/users');
    expect(routeOf('/?q=1')).to.equal('/');
  });

  it('routes each request by the table in Redis', async () => {
    expect(await send('/users/1')).to.include({ status: 200, upstream: 'new' });
    expect((await send('/orders/7?expand=1')).body).to.deep.equal({ upstream: 'new', path: '/orders/7?expand=1' });
    expect(await send('/billing/3')).to.include({ status: 200, upstream: 'legacy' });
    expect(await send('/not-in-the-table')).to.include({ status: 200, upstream: 'legacy' });
    expect(breaker().state).to.equal('CLOSED');
  });

  it('answers every request through a Redis outage (SIGKILL), from legacy at refusal speed, then new routes after the probe', async function () {
    this.timeout(10_000);
    const lookups = sinon.spy(client!, 'hget');
    await redis!.kill();

    const duringOutage: Awaited<ReturnType<typeof send>>[] = [];
    for (let i = 0; i < 20; i++) duringOutage.push(await send('/users/1'));
    for (const answer of duringOutage) expect(answer).to.include({ status: 200, upstream: 'legacy' });
    expect(breaker().state).to.equal('OPEN');
    expect(lookups.callCount, 'Redis asked only until the circuit opened').to.equal(policy.failureThreshold);
    const refused = duringOutage.slice(policy.failureThreshold).map((answer) => answer.ms);
    expect(median(refused), 'median ms of a request answered while the circuit is open').to.be.below(25);
    console.log(`      while open: median ${median(refused).toFixed(1)} ms, slowest ${Math.max(...refused).toFixed(1)} ms per request`);

    // Redis is back (empty: no persistence), the table is restored; until the probe succeeds, legacy answers.
    await redis!.restart();
    await seedRouteTable();
    const deadline = Date.now() + 5_000;
    let answer = await send('/users/1');
    for (let i = 0; i < 100 && answer.upstream !== 'new' && Date.now() < deadline; i++) {
      expect(answer).to.include({ status: 200, upstream: 'legacy' });
      await sleep(25);
      answer = await send('/users/1');
    }
    expect(answer, 'a new route again after the probe').to.include({ status: 200, upstream: 'new' });
    expect(breaker().state).to.equal('CLOSED');
    for (let i = 0; i < 5; i++) expect(await send('/orders/2')).to.include({ status: 200, upstream: 'new' });
  });

  it('answers through a hung Redis (SIGSTOP): slow until the circuit opens, then at refusal speed', async function () {
    this.timeout(10_000);
    redis!.pause();
    const answers: Awaited<ReturnType<typeof send>>[] = [];
    for (let i = 0; i < 10; i++) answers.push(await send('/users/1'));
    for (const each of answers) expect(each).to.include({ status: 200, upstream: 'legacy' });
    expect(breaker().state).to.equal('OPEN');
    const timedOut = answers.slice(0, policy.failureThreshold).map((each) => each.ms);
    const refused = answers.slice(policy.failureThreshold).map((each) => each.ms);
    // Each lookup before the trip waited for commandTimeout (150 ms); after it, none waits.
    for (const ms of timedOut) expect(ms).to.be.at.least(clientOptions.commandTimeout - 10);
    expect(Math.max(...refused)).to.be.below(clientOptions.commandTimeout / 3);
    console.log(
      `      hung Redis: ${median(timedOut).toFixed(0)} ms per request until open, then ${median(refused).toFixed(1)} ms`,
    );
  });
});
