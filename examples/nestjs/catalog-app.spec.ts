import { RequestMethod, type INestApplication } from '@nestjs/common';
import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getCircuitBreaker } from '../../src';
import { defineCatalogApp, startCatalogApp } from './catalog-app';

// Real Nest app (Express platform) on a free loopback port, real HTTP, real
// time: legacy decorators only (NestJS needs experimentalDecorators), so
// tsconfig.standard.json and `npm run test:standard` leave this folder out.
const policy = { failureThreshold: 2, resetTimeout: 300 };
const classes = defineCatalogApp(policy);
const { CatalogService, CatalogController } = classes;

/** The catalog API on a loopback port: counts requests, and can fail them or answer late. */
class CatalogApi {
  hits = 0;
  down = false;
  /** Milliseconds the next answer waits. */
  delayNext = 0;
  readonly server: Server = createServer((request, response) => {
    this.hits += 1;
    if (this.down) {
      request.socket.destroy(); // as a crashed API: the connection drops, fetch rejects
      return;
    }
    const delay = this.delayNext;
    this.delayNext = 0;
    const url = new URL(request.url ?? '/', 'http://catalog');
    const reviews = /^\/products\/([^/]+)\/reviews$/.exec(url.pathname);
    const product = /^\/products\/([^/]+)$/.exec(url.pathname);
    let status = 200;
    let body: unknown;
    if (reviews) body = [{ rating: 5, text: `good ${reviews[1]}` }];
    else if (product && product[1] === 'missing') status = 404;
    else if (product) body = { id: product[1], name: `product ${product[1]}` };
    else if (url.pathname === '/products') body = [{ id: '1', name: `match for ${url.searchParams.get('q')}` }];
    else status = 404;
    setTimeout(() => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(body === undefined ? '' : JSON.stringify(body));
    }, delay);
  });

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('NestJS example: catalog app over HTTP (legacy decorators)', function () {
  const api = new CatalogApi();
  let app: INestApplication | undefined;
  let base: string;
  const breakers = () => [
    getCircuitBreaker(CatalogService.prototype, 'product'),
    getCircuitBreaker(CatalogService.prototype, 'search'),
    getCircuitBreaker(CatalogController.prototype, 'reviews'),
    getCircuitBreaker(CatalogController.prototype, 'summary'),
  ];

  before(async function () {
    this.timeout(10_000); // loading Nest the first time takes a moment
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
    app = await startCatalogApp({ catalogApiUrl: api.url, classes });
    base = await app.getUrl();
  });

  after(async () => {
    await app?.close();
    api.server.closeAllConnections();
    await new Promise((resolve) => api.server.close(resolve));
  });

  afterEach(() => {
    api.down = false;
    api.delayNext = 0;
    for (const breaker of breakers()) breaker.reset();
  });

  const get = (path: string) => fetch(base + path, { signal: AbortSignal.timeout(3_000) });

  /** Fails `policy.failureThreshold` requests to `path` with the API down: the circuit is OPEN after. */
  async function tripThrough(path: string): Promise<void> {
    api.down = true;
    for (let i = 0; i < policy.failureThreshold; i++) {
      const response = await get(path);
      expect(response.status, `failure ${i + 1} of ${path}`).to.equal(500);
      await response.arrayBuffer();
    }
  }

  describe('wiring', () => {
    it('injects the guarded provider into the controller through Nest DI', async () => {
      const service = app!.get(CatalogService);
      expect(await service.product('7')).to.deep.equal({ id: '7', name: 'product 7' });
      expect(getCircuitBreaker(service, 'product').name).to.equal('CatalogService#product');
    });

    it('registers a route guarded below @Get, with its design:* types', async () => {
      const method = CatalogController.prototype.reviews;
      expect(method.name).to.equal('reviews');
      expect(Reflect.getMetadata('path', method)).to.equal('products/:id/reviews');
      expect(Reflect.getMetadata('method', method)).to.equal(RequestMethod.GET);
      expect(Reflect.getMetadata('design:paramtypes', CatalogController.prototype, 'reviews')).to.deep.equal([String]);
      expect(Reflect.getMetadata('design:returntype', CatalogController.prototype, 'reviews')).to.equal(Promise);
      const response = await get('/catalog/products/3/reviews');
      expect(response.status).to.equal(200);
      expect(await response.json()).to.deep.equal([{ rating: 5, text: 'good 3' }]);
      expect(getCircuitBreaker(CatalogController.prototype, 'reviews').name).to.equal('CatalogController#reviews');
    });

    it('registers a route guarded above @Get and @Header, keeping their metadata', async () => {
      const method = CatalogController.prototype.summary;
      expect(method.name).to.equal('summary');
      expect(Reflect.getMetadata('path', method)).to.equal('products/:id/summary');
      expect(Reflect.getMetadata('design:paramtypes', CatalogController.prototype, 'summary')).to.deep.equal([String]);
      const response = await get('/catalog/products/4/summary');
      expect(response.status).to.equal(200);
      expect(response.headers.get('cache-control')).to.equal('max-age=60');
      expect(await response.json()).to.deep.equal({ product: { id: '4', name: 'product 4' }, reviews: 1 });
    });

    it('lets a 404 through without counting it as a failure', async () => {
      for (let i = 0; i < policy.failureThreshold + 1; i++) {
        const response = await get('/catalog/products/missing');
        expect(response.status).to.equal(404);
        await response.arrayBuffer();
      }
      expect(getCircuitBreaker(CatalogService.prototype, 'product').state).to.equal('CLOSED');
    });
  });

  describe('through an outage of the catalog API', () => {
    it('200s, failures, 503s with Retry-After that never reach the API, the probe, 200s again', async function () {
      this.timeout(5_000);
      const path = '/catalog/products/1';
      for (let i = 0; i < 3; i++) {
        const response = await get(path);
        expect(response.status).to.equal(200);
        expect(await response.json()).to.deep.equal({ id: '1', name: 'product 1' });
      }
      expect(api.hits).to.be.greaterThan(0);

      const beforeOutage = api.hits;
      await tripThrough(path);
      expect(api.hits - beforeOutage, 'each failure reached the API').to.equal(policy.failureThreshold);
      expect(getCircuitBreaker(CatalogService.prototype, 'product').state).to.equal('OPEN');

      const whileOpen = api.hits;
      for (let i = 0; i < 5; i++) {
        const response = await get(path);
        expect(response.status).to.equal(503);
        // resetTimeout 300 ms: at most 1 s, rounded up to whole seconds.
        expect(response.headers.get('retry-after')).to.equal('1');
        expect(await response.json()).to.deep.equal({
          statusCode: 503,
          error: 'Service Unavailable',
          message: 'Service temporarily unavailable',
        });
      }
      expect(api.hits, 'refused requests never reach the API').to.equal(whileOpen);

      // Only the product circuit is open: the other routes still reach the API (and fail: it is down).
      const other = await get('/catalog/search/lamp');
      expect(other.status).to.equal(500);
      await other.arrayBuffer();

      const circuits = (await (await get('/health/circuits')).json()) as { name: string; state: string }[];
      expect(circuits).to.deep.include({ name: 'CatalogService#product', state: 'OPEN' });
      expect(circuits).to.deep.include({ name: 'CatalogController#reviews', state: 'CLOSED' });
      const health = await get('/health');
      expect(health.status).to.equal(200);
      const report = (await health.json()) as { status: string; details: { circuits: { status: string; open: string[] } } };
      expect(report.status).to.equal('degraded');
      expect(report.details.circuits.status).to.equal('degraded');
      expect(report.details.circuits.open).to.include('CatalogService#product');

      // The API recovers. The first request after resetTimeout is the probe; while it is
      // in flight (the API answers it late), other requests are refused with Retry-After: 1.
      api.down = false;
      const stats = getCircuitBreaker(CatalogService.prototype, 'product').stats();
      await sleep(Math.max(0, stats.nextProbeAt! - Date.now()) + 10);
      api.delayNext = 200;
      const beforeProbe = api.hits;
      const probe = get(path);
      let refusedDuringProbe: Response | undefined;
      for (let i = 0; i < 20 && refusedDuringProbe === undefined; i++) {
        await sleep(10);
        if (getCircuitBreaker(CatalogService.prototype, 'product').state !== 'HALF_OPEN') continue;
        refusedDuringProbe = await get(path);
      }
      expect(refusedDuringProbe, 'a request while the probe was in flight').to.not.equal(undefined);
      expect(refusedDuringProbe!.status).to.equal(503);
      expect(refusedDuringProbe!.headers.get('retry-after'), 'retryAfter 0 (probe in flight) -> 1 s').to.equal('1');
      const probed = await probe;
      expect(probed.status).to.equal(200);
      expect(api.hits - beforeProbe, 'only the probe reached the API').to.equal(1);
      expect(getCircuitBreaker(CatalogService.prototype, 'product').state).to.equal('CLOSED');

      for (let i = 0; i < 3; i++) {
        const response = await get(path);
        expect(response.status).to.equal(200);
        await response.arrayBuffer();
      }
      const healthAfter = (await (await get('/health')).json()) as { status: string };
      expect(healthAfter.status).to.equal('ok');
    });

    it('refuses a directly guarded route with 503 once its own circuit opens', async () => {
      await tripThrough('/catalog/products/2/reviews');
      const hits = api.hits;
      const response = await get('/catalog/products/2/reviews');
      expect(response.status).to.equal(503);
      expect(response.headers.get('retry-after')).to.equal('1');
      await response.arrayBuffer();
      expect(api.hits).to.equal(hits);
      expect(getCircuitBreaker(CatalogService.prototype, 'product').state).to.equal('CLOSED');
    });

    it('sends no Retry-After while a circuit is isolated by hand', async () => {
      const isolation = getCircuitBreaker(CatalogService.prototype, 'search').isolate();
      try {
        const response = await get('/catalog/search/lamp');
        expect(response.status).to.equal(503);
        expect(response.headers.has('retry-after')).to.equal(false);
        await response.arrayBuffer();
      } finally {
        isolation.dispose();
      }
    });
  });
});
