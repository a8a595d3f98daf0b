/**
 * `npm run demo`: a breaker opening, refusing, probing and closing, in real
 * time (about one second), printing what happens and when.
 */
import { CircuitBreaker, getCircuitBreaker, isCircuitBreakerOpenException } from '../src';

/** A dependency that can be taken down and brought back. */
export class FlakyInventoryApi {
  up = true;
  invocations = 0;

  async stock(sku: string): Promise<number> {
    this.invocations++;
    if (!this.up) throw new Error(`inventory API unreachable (asked for ${sku})`);
    return sku.length * 7;
  }
}

export class InventoryService {
  constructor(private readonly api: FlakyInventoryApi) {}

  @CircuitBreaker({ failureThreshold: 3, resetTimeout: 400 })
  async stock(sku: string): Promise<number> {
    return this.api.stock(sku);
  }
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs the scenario; `log` receives one line per step. Resolves to the transitions seen. */
export async function runDemo(log: (line: string) => void = console.log, resetTimeout = 400): Promise<string[]> {
  const api = new FlakyInventoryApi();
  const service = new InventoryService(api);
  const breaker = getCircuitBreaker(service, 'stock');
  const started = Date.now();
  const at = () => `${String(Date.now() - started).padStart(4)} ms`;
  const transitions: string[] = [];
  const subscription = breaker.onStateChange(({ from, to, reason }) => {
    transitions.push(`${from}->${to}`);
    log(`${at()}  ** ${breaker.name}: ${from} -> ${to} (${reason})`);
  });

  const attempt = async (label: string) => {
    const invocationsBefore = api.invocations;
    try {
      const value = await service.stock('sku-42');
      log(`${at()}  ${label}: ok (${value})`);
    } catch (error) {
      const reached = api.invocations > invocationsBefore ? 'reached the API' : 'did not touch the API';
      const what = isCircuitBreakerOpenException(error)
        ? `refused, retryAfter ${error.retryAfter} ms`
        : `failed: ${(error as Error).message}`;
      log(`${at()}  ${label}: ${what} (${reached})`);
    }
  };

  log(`${at()}  breaker ${breaker.name}: failureThreshold 3, resetTimeout ${resetTimeout} ms`);
  await attempt('call 1');
  log(`${at()}  -- the inventory API goes down --`);
  api.up = false;
  for (let i = 2; i <= 4; i++) await attempt(`call ${i}`);
  for (let i = 5; i <= 6; i++) await attempt(`call ${i}`);
  log(`${at()}  -- the API comes back; waiting for resetTimeout --`);
  api.up = true;
  await pause(resetTimeout + 20);
  await attempt('call 7 (probe)');
  await attempt('call 8');
  log(`${at()}  stats: ${JSON.stringify(breaker.stats())}`);
  subscription.dispose();
  return transitions;
}

if (require.main === module) {
  runDemo().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
