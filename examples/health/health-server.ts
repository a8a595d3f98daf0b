/**
 * A health endpoint on Node's `http` that reports every breaker: each
 * decorated method's (`listCircuitBreakers()`) and any plain ones passed in.
 * `GET /health/circuits` answers 200 while every circuit is CLOSED and 503
 * ("degraded") while any is OPEN or probing, so a load balancer or an alert
 * can act on it; the body lists each breaker's stats.
 */
import { createServer, type Server } from 'node:http';
import { listCircuitBreakers, type CircuitBreaker, type CircuitBreakerStats } from '../../src';

export interface CircuitHealth {
  readonly status: 'ok' | 'degraded';
  readonly breakers: readonly CircuitBreakerStats[];
}

/** The report, as the endpoint serves it. */
export function circuitHealth(plain: readonly CircuitBreaker<unknown>[] = []): CircuitHealth {
  const breakers = [...listCircuitBreakers(), ...plain].map((breaker) => breaker.stats());
  const degraded = breakers.some((stats) => stats.state !== 'CLOSED');
  return { status: degraded ? 'degraded' : 'ok', breakers };
}

/** An HTTP server answering `GET /health/circuits`; listen on it yourself. */
export function createHealthServer(plain: readonly CircuitBreaker<unknown>[] = []): Server {
  return createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/health/circuits') {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const health = circuitHealth(plain);
    response
      .writeHead(health.status === 'ok' ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify(health));
  });
}
