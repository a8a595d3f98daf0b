import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type Redis from 'ioredis';
import { CircuitBreaker } from '../../src';
import { isRedisOutage } from '../redis/redis-cache';

/**
 * An ingress in front of a strangler migration (the seed's own use): each
 * request goes to the new service or to the legacy one, as a route table in
 * Redis says. Resolving the route is a guarded Redis lookup; when Redis is down
 * or its circuit open, the request goes to the legacy upstream, which still
 * serves every route, so Redis going down never takes the ingress down.
 */

/** Where a request can go. */
export type Upstream = 'new' | 'legacy';

/** The Redis hash that maps a route (a path's first segment, e.g. `/users`) to `new` or `legacy`. */
export const ROUTES_KEY = 'ingress:routes';

/** The route of a path, as the table keys it: its first segment (`/users/42?x=1` -> `/users`). */
export function routeOf(path: string): string {
  const end = path.search(/[?#]/);
  const pathname = end === -1 ? path : path.slice(0, end);
  const second = pathname.indexOf('/', 1);
  return second === -1 ? pathname : pathname.slice(0, second);
}

/** How route lookups trip. */
export interface IngressPolicy {
  /** Consecutive failed lookups that open the circuit. */
  readonly failureThreshold: number;
  /** Milliseconds the circuit stays open before one lookup probes Redis. */
  readonly resetTimeout: number;
}

/** An ingress's policy: five failed lookups open the circuit, a probe every five seconds. */
export const defaultIngressPolicy: IngressPolicy = { failureThreshold: 5, resetTimeout: 5_000 };

/**
 * The `RouteTable` class under a given policy. Decorator options are fixed
 * when a class is defined, so the spec defines its own with a short `resetTimeout`.
 */
export function defineRouteTable(policy: IngressPolicy = defaultIngressPolicy) {
  /** The route table in Redis, read through a circuit breaker. */
  class RouteTable {
    constructor(
      readonly redis: Redis,
      readonly key = ROUTES_KEY,
    ) {}

    /**
     * The upstream of `path`: `new` where the table says so, `legacy`
     * otherwise. Resolves `legacy`, never rejects, while Redis fails or the
     * circuit is open: a routing error must not become the client's error.
     * Only outages count towards the trip (`isRedisOutage`: not a WRONGTYPE reply).
     */
    @CircuitBreaker({ ...policy, isFailure: isRedisOutage, fallback: (): Upstream => 'legacy', fallbackOnFailure: true })
    async upstreamFor(path: string): Promise<Upstream> {
      return (await this.redis.hget(this.key, routeOf(path))) === 'new' ? 'new' : 'legacy';
    }
  }
  return RouteTable;
}

/** A route table under {@link defaultIngressPolicy}. */
export const RouteTable = defineRouteTable();
/** An instance of any {@link defineRouteTable} class. */
export type RouteTable = InstanceType<ReturnType<typeof defineRouteTable>>;

/** Options of {@link createIngress}. */
export interface IngressOptions {
  /** Resolves each request's upstream. */
  readonly routes: { upstreamFor(path: string): Promise<Upstream> };
  /** Base URLs (`http://host:port`) of the two upstreams. */
  readonly upstreams: Readonly<Record<Upstream, string>>;
}

/**
 * The ingress: an `http.Server` that proxies each request, method, headers and
 * body, to its upstream, and tells which in an `x-ingress-upstream` header.
 * An upstream that cannot be reached is a `502`.
 */
export function createIngress(options: IngressOptions): Server {
  return createServer((incoming, outgoing) => {
    const path = incoming.url ?? '/';
    options.routes.upstreamFor(path).then(
      (upstream) => proxy(incoming, outgoing, upstream, options.upstreams[upstream]),
      // Not reached with RouteTable (it falls back to legacy); a custom resolver might reject.
      () => proxy(incoming, outgoing, 'legacy', options.upstreams.legacy),
    );
  });
}

function proxy(incoming: IncomingMessage, outgoing: ServerResponse, upstream: Upstream, base: string): void {
  const target = new URL(base);
  const forwarded = request(
    {
      host: target.hostname,
      port: target.port,
      method: incoming.method,
      path: incoming.url,
      headers: { ...incoming.headers, host: target.host, 'x-forwarded-host': incoming.headers.host ?? '' },
    },
    (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'x-ingress-upstream': upstream });
      answer.pipe(outgoing);
    },
  );
  forwarded.on('error', () => {
    if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'text/plain', 'x-ingress-upstream': upstream });
    outgoing.end('bad gateway\n');
  });
  incoming.pipe(forwarded);
}
