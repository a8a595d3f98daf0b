import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { setCircuitBreakerDefaults, type CircuitBreakerDefaults } from '../decorator/defaults';
import type { CircuitStore } from '../store/circuit-store';
import { CircuitBreakerHealthIndicator } from './health-indicator';
import { CircuitBreakerOpenExceptionFilter } from './open-exception-filter';

/** Options of {@link CircuitBreakerModule.forRoot}. */
export interface CircuitBreakerModuleOptions {
  /**
   * Register {@link CircuitBreakerOpenExceptionFilter} for the whole app
   * (`APP_FILTER`): a refused call answers `503` with `Retry-After`.
   * @default true
   */
  readonly filter?: boolean;
  /**
   * Options for every `@CircuitBreaker` that does not give its own (see
   * `setCircuitBreakerDefaults`): applied when the module is defined, before
   * the app serves, to every decorated method not yet called.
   */
  readonly defaults?: CircuitBreakerDefaults;
  /**
   * A fleet store for every decorated method (a `RedisCircuitStore` from
   * `circuit-breaker-decorator/redis`): replicas share each `Class#method` circuit.
   * Close it on shutdown (`app.enableShutdownHooks()` and an `onApplicationShutdown`).
   */
  readonly store?: CircuitStore;
}

/**
 * The NestJS module: the 503 exception filter for every route, and
 * {@link CircuitBreakerHealthIndicator} for injection anywhere (a global module).
 *
 * @example
 * @Module({ imports: [CircuitBreakerModule.forRoot()], controllers: [...], providers: [...] })
 * export class AppModule {}
 */
export class CircuitBreakerModule {
  /**
   * The module, global: the filter (unless `filter: false`), the health
   * indicator, and with `defaults` or `store` a `setCircuitBreakerDefaults` call.
   * @throws TypeError/RangeError for defaults that `setCircuitBreakerDefaults` refuses
   */
  static forRoot(options: CircuitBreakerModuleOptions = {}): DynamicModule {
    if (options.defaults !== undefined || options.store !== undefined) {
      setCircuitBreakerDefaults(options.store === undefined ? { ...options.defaults } : { ...options.defaults, store: options.store });
    }
    const providers: Provider[] = [CircuitBreakerHealthIndicator];
    if (options.filter ?? true) providers.push({ provide: APP_FILTER, useClass: CircuitBreakerOpenExceptionFilter });
    return { module: CircuitBreakerModule, global: true, providers, exports: [CircuitBreakerHealthIndicator] };
  }
}

Module({})(CircuitBreakerModule);
