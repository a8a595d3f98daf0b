import { DEFAULTS } from './args';

/** What `--help` (or no arguments) prints. */
export const USAGE = `Usage: circuit-breaker-decorator <command> [NAME] [options]

An operator's view of the circuits that RedisCircuitStore shares through Redis.

Commands:
  circuits         List every circuit in the store: name, state (CLOSED, OPEN,
                   HALF_OPEN; an isolated one is OPEN, isolated), the remaining
                   wait, the probe lease's holder and its time left, the live
                   members (processes subscribed), the fleet window's failure
                   rate (- when the circuit has no fleet window).
  isolate NAME     Force the circuit open everywhere: every live member refuses
                   with retryAfter Infinity until a release or a reset, as if
                   isolate() had been called in it. Members that start later
                   read it and start isolated.
  release NAME     End an isolation, or skip the rest of a wait: the circuit is
                   OPEN with the probe due at once, so the next call anywhere
                   probes, and a healthy dependency closes the circuit. A
                   release never closes a circuit without a probe; it does
                   nothing to a CLOSED circuit or while a probe is in flight.
  reset NAME       Close the circuit everywhere (an isolation ends too), as if
                   reset() had been called in every live member.

Options:
  --redis URL      Redis to use (default ${DEFAULTS.redis}); redis:// or rediss://,
                   with a user, password and db as ioredis takes them.
  --prefix P       Key prefix of the store (default '${DEFAULTS.prefix}'): the
                   RedisCircuitStore option of the same name.
  --timeout MS     Deadline of the whole command, from its start (default ${DEFAULTS.timeout}).
                   A Redis that is hung, unreachable or refusing never blocks it:
                   it prints why on stderr, naming the URL and the timeout, and
                   exits 1 within the deadline. A write Redis receives after the
                   deadline is not applied.
  --json           circuits: one JSON array of objects (name, state, isolated,
                   waitMs, leaseHolder, leaseMs, members, failureRate; waitMs
                   null while isolated, failureRate null without a fleet window).
                   Actions: one JSON object (name, action, applied, outcome, before).
  --force          isolate, release, reset: act on NAME even when the store has
                   no key of it and no live member (to isolate ahead of a deploy).
  -h, --help       This help.    -v, --version   The package's version.

Exit codes: 0 done (a release with nothing to release included); 1 Redis failed,
did not answer in time, or did not apply the write; 2 bad arguments; 3 no
circuit of that NAME (without --force). Needs ioredis, or node-redis (redis) where
ioredis is not installed (optional peer dependencies of circuit-breaker-decorator):
npm install ioredis. On a Redis Cluster, --redis names any node.

Examples:
  npx circuit-breaker-decorator circuits --redis redis://redis.internal:6379
  npx circuit-breaker-decorator circuits --json | jq '.[] | select(.state != "CLOSED")'
  npx circuit-breaker-decorator isolate payments-api
  npx circuit-breaker-decorator release payments-api --timeout 5000
`;
