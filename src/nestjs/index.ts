/**
 * `circuit-breaker-decorator/nestjs`: a refused call as `503 Service
 * Unavailable` with `Retry-After`, and breakers in `@nestjs/terminus` health
 * checks. `@nestjs/common` and `@nestjs/core` are optional peer dependencies
 * (every Nest app has them); `@nestjs/terminus` is not imported.
 *
 * @example
 * ```ts
 * import { CircuitBreakerModule } from 'circuit-breaker-decorator/nestjs';
 * @Module({ imports: [CircuitBreakerModule.forRoot()] })
 * export class AppModule {}
 * ```
 *
 * @packageDocumentation
 */
export { CircuitBreakerModule } from './circuit-breaker.module';
export type { CircuitBreakerModuleOptions } from './circuit-breaker.module';
export { CircuitBreakerOpenExceptionFilter } from './open-exception-filter';
export type { CircuitBreakerOpenResponseBody } from './open-exception-filter';
export { CircuitBreakerHealthIndicator } from './health-indicator';
export type { CircuitBreakerHealth, CircuitBreakerHealthOptions, CircuitBreakerHealthResult } from './health-indicator';
export { retryAfterSeconds } from './retry-after';
