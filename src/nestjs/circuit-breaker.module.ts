import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
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
  static forRoot(options: CircuitBreakerModuleOptions = {}): DynamicModule {
    const providers: Provider[] = [CircuitBreakerHealthIndicator];
    if (options.filter ?? true) providers.push({ provide: APP_FILTER, useClass: CircuitBreakerOpenExceptionFilter });
    return { module: CircuitBreakerModule, global: true, providers, exports: [CircuitBreakerHealthIndicator] };
  }
}

Module({})(CircuitBreakerModule);
