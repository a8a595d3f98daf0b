import {
  Controller,
  Get,
  Header,
  HttpException,
  Inject,
  Injectable,
  Module,
  NotFoundException,
  Param,
  type DynamicModule,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { CircuitBreaker, listCircuitBreakers, type CircuitState } from '../../src';
import { CircuitBreakerHealthIndicator, CircuitBreakerModule } from '../../src/nestjs';

/** The injection token of the catalog API's base URL (the provider's fragile dependency). */
export const CATALOG_API_URL = 'CATALOG_API_URL';

export interface Product {
  readonly id: string;
  readonly name: string;
}

export interface Review {
  readonly rating: number;
  readonly text: string;
}

/** How the catalog's breakers trip. */
export interface CatalogPolicy {
  readonly failureThreshold: number;
  readonly resetTimeout: number;
}

/** A service's policy: five failures open a circuit, a probe every ten seconds. */
export const defaultCatalogPolicy: CatalogPolicy = { failureThreshold: 5, resetTimeout: 10_000 };

/**
 * Whether an error means the catalog API is down: network errors, timeouts and
 * 5xx count; a 404 (an unknown product) is the client's answer, not an outage.
 */
export function isCatalogOutage(error: unknown): boolean {
  return !(error instanceof HttpException && error.getStatus() < 500);
}

/**
 * The catalog app's classes under a given policy. Decorator options are fixed
 * when a class is defined, so the spec defines its app with a short
 * `resetTimeout`; a service defines its classes at the top level.
 */
export function defineCatalogApp(policy: CatalogPolicy = defaultCatalogPolicy) {
  const guarded = { ...policy, isFailure: isCatalogOutage };

  /** The provider: every call to the catalog API goes through a breaker. */
  @Injectable()
  class CatalogService {
    constructor(@Inject(CATALOG_API_URL) private readonly baseUrl: string) {}

    @CircuitBreaker(guarded)
    async product(id: string): Promise<Product> {
      return this.fetchJson<Product>(`/products/${encodeURIComponent(id)}`);
    }

    @CircuitBreaker(guarded)
    async search(query: string): Promise<Product[]> {
      return this.fetchJson<Product[]>(`/products?q=${encodeURIComponent(query)}`);
    }

    /** Not guarded here: the controller's route guards it (see CatalogController#reviews). */
    async reviews(id: string): Promise<Review[]> {
      return this.fetchJson<Review[]>(`/products/${encodeURIComponent(id)}/reviews`);
    }

    private async fetchJson<T>(path: string): Promise<T> {
      // A hung API fails within a second, so the breaker can count it.
      const response = await fetch(this.baseUrl + path, { signal: AbortSignal.timeout(1_000) });
      if (response.status === 404) throw new NotFoundException();
      if (!response.ok) throw new HttpException(`catalog API answered ${response.status}`, 502);
      return (await response.json()) as T;
    }
  }

  @Controller('catalog')
  class CatalogController {
    constructor(private readonly catalog: CatalogService) {}

    @Get('products/:id')
    product(@Param('id') id: string): Promise<Product> {
      return this.catalog.product(id);
    }

    @Get('search/:query')
    search(@Param('query') query: string): Promise<Product[]> {
      return this.catalog.search(query);
    }

    // A route guarded directly, @CircuitBreaker below @Get (applied first).
    @Get('products/:id/reviews')
    @CircuitBreaker(guarded)
    async reviews(@Param('id') id: string): Promise<Review[]> {
      return this.catalog.reviews(id);
    }

    // And above @Get and @Header (applied last): their metadata is copied to the guarded method.
    @CircuitBreaker(guarded)
    @Get('products/:id/summary')
    @Header('Cache-Control', 'max-age=60')
    async summary(@Param('id') id: string): Promise<{ product: Product; reviews: number }> {
      const [product, reviews] = await Promise.all([this.catalog.product(id), this.catalog.reviews(id)]);
      return { product, reviews: reviews.length };
    }
  }

  @Controller('health')
  class HealthController {
    constructor(
      private readonly health: HealthCheckService,
      private readonly circuits: CircuitBreakerHealthIndicator,
    ) {}

    /** Every breaker in the process with its state. */
    @Get('circuits')
    circuitStates(): { name: string; state: CircuitState }[] {
      return listCircuitBreakers().map((breaker) => ({ name: breaker.name, state: breaker.state }));
    }

    /**
     * A terminus health check: `degraded` (still 200) while a circuit is open,
     * since the app still answers (503s for the catalog, 200s for the rest).
     */
    @Get()
    @HealthCheck()
    check() {
      return this.health.check([() => this.circuits.isHealthy('circuits')]);
    }
  }

  @Module({
    imports: [CircuitBreakerModule.forRoot(), TerminusModule],
    controllers: [CatalogController, HealthController],
    providers: [CatalogService],
  })
  class AppModule {
    /** The app, with the catalog API at `catalogApiUrl`. */
    static forRoot(catalogApiUrl: string): DynamicModule {
      return { module: AppModule, providers: [{ provide: CATALOG_API_URL, useValue: catalogApiUrl }] };
    }
  }

  return { AppModule, CatalogService, CatalogController, HealthController };
}

/** Boots the catalog app on `host:port` (port 0: a free one); `app.getUrl()` tells where. */
export async function startCatalogApp(
  options: { catalogApiUrl: string; policy?: CatalogPolicy; host?: string; port?: number; classes?: ReturnType<typeof defineCatalogApp> },
): Promise<INestApplication> {
  const { AppModule } = options.classes ?? defineCatalogApp(options.policy);
  const app = await NestFactory.create(AppModule.forRoot(options.catalogApiUrl), { logger: false });
  await app.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return app;
}
