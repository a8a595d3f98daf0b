// Run by spec/events/debug.spec.ts in a child process, so NODE_DEBUG is read at its start.
import { CircuitBreaker } from '../../src';

const breaker = new CircuitBreaker({ name: 'debugged', failureThreshold: 1, resetTimeout: 0 });
void breaker
  .call(() => Promise.reject(new Error('down')))
  .catch(() => breaker.call(() => Promise.resolve('ok')))
  .then(() => process.stdout.write(`done ${breaker.state}\n`));
