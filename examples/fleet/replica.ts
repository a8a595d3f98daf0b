/**
 * One replica of a service: a breaker named 'inventory-api' shared with the
 * other replicas through Redis, guarding a dependency the parent (main.ts)
 * can declare down or up. It calls every `every` ms and prints its view of the
 * circuit on every transition.
 */
import { CircuitBreaker, isCircuitBreakerOpenException } from '../../src';
import { RedisCircuitStore } from '../../src/redis';

const [url, label, every] = [process.env.REDIS_URL!, process.env.REPLICA!, Number(process.env.EVERY)];
/** The parent's clock origin, for one timeline across the replicas' output. */
let origin = Date.now();
const since = () => `+${String(Date.now() - origin).padStart(5)} ms`;

let down = false;
const counts = { invoked: 0, ok: 0, failed: 0, refused: 0 };

/** The dependency: fails while the parent says it is down. */
async function fetchStock(): Promise<number> {
  counts.invoked++;
  if (down) throw new Error('inventory-api: 503');
  return 42;
}

const store = new RedisCircuitStore({ url, commandTimeout: 200, probeLease: 1_000 });
const breaker = new CircuitBreaker({ name: 'inventory-api', store, failureThreshold: 3, resetTimeout: 1_500 });
breaker.onStateChange(({ from, to, reason }) => {
  const why = reason === 'store' ? 'told by the fleet' : reason;
  console.log(`${since()}  ${label}  ${from.padEnd(9)} -> ${to.padEnd(9)} (${why})`);
});

const timer = setInterval(() => {
  breaker.call(fetchStock).then(
    () => counts.ok++,
    (error: unknown) => (isCircuitBreakerOpenException(error) ? counts.refused++ : counts.failed++),
  );
}, every);

process.on('message', async (message: { origin?: number; down?: boolean; stop?: boolean }) => {
  if (message.origin !== undefined) origin = message.origin;
  if (message.down !== undefined) down = message.down;
  if (message.stop === true) {
    clearInterval(timer);
    console.log(`${since()}  ${label}  done: invoked ${counts.invoked} (ok ${counts.ok}, failed ${counts.failed}), refused ${counts.refused}`);
    await store.close(); // ends both connections: the process exits by itself
    process.disconnect();
  }
});
store.ready().then((ready) => process.send!({ ready }));
