import { expect } from 'chai';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import sinon from 'sinon';
import { CircuitBreaker, listCircuitBreakers } from '../../src';
import { createHealthServer, type CircuitHealth } from './health-server';

class OrdersGateway {
  @CircuitBreaker({ failureThreshold: 2, resetTimeout: 5_000 })
  async place(orderId: string): Promise<string> {
    throw new Error(`orders API down (${orderId})`);
  }
}

describe('example: a health endpoint over a real loopback socket', () => {
  let clock: sinon.SinonFakeTimers;
  let server: ReturnType<typeof createHealthServer>;
  let base: string;
  const plain = new CircuitBreaker({ name: 'payments-api' });

  beforeEach(async () => {
    // Only Date is faked: the HTTP server keeps its real timers.
    clock = sinon.useFakeTimers({ toFake: ['Date'] });
    // Decorated breakers are process-wide (other spec files made some): start from all closed.
    new OrdersGateway(); // with standard decorators, a breaker is listed once its class has an instance
    for (const breaker of listCircuitBreakers()) breaker.reset();
    plain.reset();
    server = createHealthServer([plain]).listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    clock.restore();
    server.close();
    await once(server, 'close');
  });

  async function health(): Promise<{ status: number; body: CircuitHealth }> {
    const response = await fetch(`${base}/health/circuits`);
    return { status: response.status, body: (await response.json()) as CircuitHealth };
  }

  it('answers 200 and lists decorated and plain breakers while all are closed', async () => {
    const { status, body } = await health();
    expect(status).to.equal(200);
    expect(body.status).to.equal('ok');
    const names = body.breakers.map((b) => b.name);
    expect(names).to.include.members(['OrdersGateway#place', 'payments-api']);
  });

  it('answers 503 "degraded" with the open breaker and its next probe time', async () => {
    const gateway = new OrdersGateway();
    await gateway.place('o1').catch(() => undefined);
    await gateway.place('o2').catch(() => undefined);

    const { status, body } = await health();
    expect(status).to.equal(503);
    expect(body.status).to.equal('degraded');
    const orders = body.breakers.find((b) => b.name === 'OrdersGateway#place')!;
    expect(orders).to.include({ state: 'OPEN', failures: 2, opened: 1, nextProbeAt: Date.now() + 5_000 });
  });

  it('answers 404 elsewhere', async () => {
    expect((await fetch(`${base}/nope`)).status).to.equal(404);
  });
});
