import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { isCircuitBreakerOpenException, type CircuitBreakerOpenException } from '../errors/circuit-breaker-open-exception';
import { retryAfterSeconds } from './retry-after';

/**
 * What `@Catch()` matches: Nest selects a filter with `instanceof`, and this
 * class's `instanceof` is the brand check, so a refusal from another installed
 * copy of the package is caught too.
 */
class AnyCircuitBreakerOpenException {
  static [Symbol.hasInstance](value: unknown): boolean {
    return isCircuitBreakerOpenException(value);
  }
}

/** The body of a 503 answered for a refused call. */
export interface CircuitBreakerOpenResponseBody {
  /** The HTTP status, as Nest's own error bodies carry it. */
  readonly statusCode: 503;
  /** The status text. */
  readonly error: 'Service Unavailable';
  /** `'Service temporarily unavailable'`: the breaker's name stays on the server. */
  readonly message: string;
}

/**
 * An exception filter that answers a `CircuitBreakerOpenException` reaching an
 * HTTP route with `503 Service Unavailable` and a `Retry-After` header: the
 * refusal's `retryAfter` in whole seconds, rounded up, at least 1; no header
 * while the circuit is isolated by hand (`retryAfter: Infinity`). The body
 * does not name the breaker (class and method names are not the client's
 * business). Works on any HTTP platform (Express, Fastify) through Nest's
 * HTTP adapter; other exceptions go to the other filters.
 *
 * Register it with `CircuitBreakerModule.forRoot()`, as `{ provide: APP_FILTER,
 * useClass: CircuitBreakerOpenExceptionFilter }`, with
 * `@UseFilters(CircuitBreakerOpenExceptionFilter)`, or with
 * `app.useGlobalFilters(new CircuitBreakerOpenExceptionFilter(app.get(HttpAdapterHost)))`.
 */
export class CircuitBreakerOpenExceptionFilter implements ExceptionFilter<CircuitBreakerOpenException> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** Answers the refusal on an HTTP route; re-throws it in any other context (RPC, WebSocket). */
  catch(exception: CircuitBreakerOpenException, host: ArgumentsHost): void {
    // A refusal in an RPC or WebSocket handler has no status line: leave it to that context's filters.
    if (host.getType() !== 'http') throw exception;
    const adapter = this.adapterHost.httpAdapter;
    const response: unknown = host.switchToHttp().getResponse();
    const seconds = retryAfterSeconds(exception.retryAfter);
    if (seconds !== undefined) adapter.setHeader(response, 'Retry-After', String(seconds));
    const body: CircuitBreakerOpenResponseBody = {
      statusCode: HttpStatus.SERVICE_UNAVAILABLE,
      error: 'Service Unavailable',
      message: 'Service temporarily unavailable',
    };
    adapter.reply(response, body, HttpStatus.SERVICE_UNAVAILABLE);
  }
}

// Decorators applied as calls: this folder is compiled in standard decorator
// mode, which has neither parameter decorators nor `design:paramtypes`.
Catch(AnyCircuitBreakerOpenException)(CircuitBreakerOpenExceptionFilter);
Reflect.defineMetadata('design:paramtypes', [HttpAdapterHost], CircuitBreakerOpenExceptionFilter);
