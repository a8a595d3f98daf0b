// A process that awaits RedisCircuitStore#ready() the way an app does at start-up, prints what it got,
// closes the store and must then exit by itself: a timer or socket left behind would keep it alive.
// argv: url, ready() timeout ('' for the default), ms after which to close the store while waiting ('' never).
import { RedisCircuitStore } from '../../src/redis';

const [url, timeoutArg = '', closeAfterArg = ''] = process.argv.slice(2);

async function main(): Promise<void> {
  const store = new RedisCircuitStore({ url: url! });
  if (closeAfterArg !== '') setTimeout(() => void store.close(), Number(closeAfterArg));
  const started = performance.now();
  const ready = await (timeoutArg === '' ? store.ready() : store.ready(Number(timeoutArg)));
  const elapsed = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ ready, elapsed })}\n`);
  await store.close();
}

void main();
