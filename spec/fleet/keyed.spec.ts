/**
 * Keyed circuits in a fleet, with real processes and a real redis-server: two Node processes fork()ed from
 * here (keyed-worker.ts) each guard an HTTP-client-like method keyed by host with a RedisCircuitStore, so
 * each host is its own fleet circuit `UpstreamClient#get[host]`. Each spec uses hosts of its own.
 *
 * Short real times (a wait of 200 ms, a lease of 300 ms) keep it fast; every wait is bounded.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import Redis from 'ioredis';
import { RedisServer, requireRedisServer } from '../support/redis-server';
import type { KeyedCall, KeyedRequest, KeyedView, KeyedWorkerConfig } from './keyed-worker';

const RESET_TIMEOUT = 200;
const PROBE_LEASE = 300;
const THRESHOLD = 3;
/** How long an idle OPEN circuit's state is kept: its wait, plus its wait or a lease, the longer (redis-circuit-store.ts). */
const KEEP = RESET_TIMEOUT + Math.max(RESET_TIMEOUT, PROBE_LEASE);
/** The bound on a push between processes on loopback, as the fleet suite holds it. */
const PROPAGATION_BOUND = 100;

type Command = KeyedRequest extends infer R ? (R extends KeyedRequest ? Omit<R, 'id'> : never) : never;

/** A worker process, talked to over IPC; killed when this process exits. */
class Worker {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, (reply: Record<string, unknown>) => void>();
  private static readonly live = new Set<Worker>();
  static {
    process.once('exit', () => {
      for (const worker of Worker.live) worker.child.kill('SIGKILL');
    });
  }

  constructor(readonly label: string) {
    this.child = fork(join(__dirname, 'keyed-worker.ts'), [], {
      execArgv: ['-r', 'ts-node/register/transpile-only'],
      env: { ...process.env, TS_NODE_PROJECT: join(__dirname, '..', '..', 'tsconfig.json') },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    Worker.live.add(this);
    this.child.on('message', (message: { id: number; failure?: string }) => this.pending.get(message.id)?.(message));
    this.child.once('exit', () => Worker.live.delete(this));
  }

  request<T>(command: Command, timeout = 15_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.label}: no reply to ${command.cmd} within ${timeout} ms`));
      }, timeout);
      this.pending.set(id, (reply) => {
        this.pending.delete(id);
        clearTimeout(timer);
        if (typeof reply.failure === 'string') reject(new Error(`${this.label}: ${reply.failure}`));
        else resolve(reply as T);
      });
      this.child.send({ id, ...command });
    });
  }

  call(host: string): Promise<KeyedCall & KeyedView> {
    return this.request({ cmd: 'call', host });
  }

  view(host: string): Promise<KeyedView> {
    return this.request({ cmd: 'view', host });
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

async function until<T>(what: string, timeout: number, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('fleet: keyed circuits across real processes through a real redis-server', function () {
  this.timeout(20_000);
  this.slow(2_000);

  let server: RedisServer | undefined;
  let admin: Redis | undefined;
  let p1: Worker;
  let p2: Worker;
  let hosts = 0;
  /** A host no earlier spec used. */
  const freshHost = (what: string) => `${what}-${++hosts}.example`;
  /** The Redis keys of one host's circuit (`[` and `]` escaped: in a KEYS pattern they make a character class). */
  const keysOf = (host: string) => admin!.keys(`circuit-breaker:{UpstreamClient#get\\[${host}\\]}:*`);
  const channelOf = (host: string) => `circuit-breaker:{UpstreamClient#get[${host}]}:events`;

  before(async function () {
    this.timeout(40_000);
    requireRedisServer(this);
    server = await RedisServer.start();
    admin = new Redis(server.url, { maxRetriesPerRequest: 1, commandTimeout: 1_000 });
    p1 = new Worker('p1');
    p2 = new Worker('p2');
    const config: KeyedWorkerConfig = { url: server.url, failureThreshold: THRESHOLD, resetTimeout: RESET_TIMEOUT, probeLease: PROBE_LEASE, maxKeys: 3 };
    const ready = await Promise.all([p1, p2].map((p) => p.request<{ ready: boolean }>({ cmd: 'init', config }, 30_000)));
    expect(ready.map((r) => r.ready)).to.deep.equal([true, true]);
  });

  after(async () => {
    await Promise.all([p1, p2].map((p) => p?.request({ cmd: 'close' }, 3_000).catch(() => undefined)));
    p1?.kill();
    p2?.kill();
    admin?.disconnect();
    await server?.close();
  });

  async function trip(worker: Worker, host: string): Promise<void> {
    await Promise.all([p1, p2].map((p) => p.request({ cmd: 'down', host, down: true })));
    let last: (KeyedCall & KeyedView) | undefined;
    for (let i = 0; i < THRESHOLD; i++) last = await worker.call(host);
    expect(last!.state, `${worker.label}'s ${host} after ${THRESHOLD} failures`).to.equal('OPEN');
  }

  /** Until both workers subscribe to the host's channel (each made the host's breaker and joined its circuit). */
  async function bothJoined(host: string): Promise<void> {
    await until(`two subscribers to ${host}`, 3_000, async () => {
      const [, count] = (await admin!.pubsub('NUMSUB', channelOf(host))) as [string, number];
      return count === 2;
    });
  }

  it("shares one key's circuit: a trip of a host in one process opens that host in the other, and no other host", async () => {
    const dead = freshHost('dead');
    const healthy = freshHost('healthy');
    for (const p of [p1, p2]) {
      expect((await p.call(dead)).outcome).to.equal('ok');
      expect((await p.call(healthy)).outcome).to.equal('ok');
    }
    await bothJoined(dead);
    await trip(p1, dead);
    const tripped = Date.now();
    await until(`p2's ${dead} is OPEN`, PROPAGATION_BOUND, async () => (await p2.view(dead)).state === 'OPEN');
    expect(Date.now() - tripped).to.be.at.most(PROPAGATION_BOUND);
    const refused = await p2.call(dead);
    expect(refused.outcome).to.equal('refused');
    expect(refused.invocations, "p2 never called the dead host after p1's trip").to.equal(1);
    for (const p of [p1, p2]) expect((await p.call(healthy)).outcome, `${p.label}: the healthy host flows`).to.equal('ok');
    expect((await p2.view(healthy)).state).to.equal('CLOSED');
  });

  it('lets one probe through in the whole fleet when the host\'s wait is over', async () => {
    const host = freshHost('flapping');
    for (const p of [p1, p2]) await p.call(host);
    await bothJoined(host);
    await trip(p1, host);
    await until("p2's host is OPEN", PROPAGATION_BOUND, async () => (await p2.view(host)).state === 'OPEN');
    const before = (await p1.view(host)).invocations + (await p2.view(host)).invocations;
    await new Promise((resolve) => setTimeout(resolve, RESET_TIMEOUT + 20));
    // The host answers, in 300 ms: longer than both bursts, so every other call meets the probe in flight (an instant
    // probe could close the fleet before the other process asks, whose call would then rightly run CLOSED).
    await Promise.all([p1, p2].map((p) => p.request({ cmd: 'down', host, down: false, delay: 300 })));
    // Ten calls at once in each process: one of them, in one process, probes.
    await Promise.all([p1, p2].map((p) => p.request({ cmd: 'burst', host, n: 10 })));
    const after = (await p1.view(host)).invocations + (await p2.view(host)).invocations;
    expect(after - before, 'invocations of the host after the wait').to.equal(1);
    await until('both CLOSED', 1_000, async () => (await p1.view(host)).state === 'CLOSED' && (await p2.view(host)).state === 'CLOSED');
  });

  it("keeps nothing in Redis for an idle host: a CLOSED host has no keys, an OPEN host's keys expire", async () => {
    const healthy = freshHost('healthy');
    await p1.call(healthy);
    expect(await keysOf(healthy), 'a CLOSED circuit').to.deep.equal([]);

    const dead = freshHost('idle');
    await trip(p1, dead);
    const [stateKey, waitKey] = [`circuit-breaker:{UpstreamClient#get[${dead}]}:state`, `circuit-breaker:{UpstreamClient#get[${dead}]}:wait`];
    // The trip is told to Redis beside the call that tripped (never awaited by it).
    await until(`${dead}'s keys are in Redis`, PROPAGATION_BOUND, async () => (await keysOf(dead)).length === 2);
    expect((await keysOf(dead)).sort()).to.deep.equal([stateKey, waitKey].sort());
    const stateTtl = await admin!.pttl(stateKey);
    const waitTtl = await admin!.pttl(waitKey);
    expect(waitTtl).to.be.within(1, RESET_TIMEOUT);
    expect(stateTtl, 'the state outlives the wait').to.be.within(waitTtl, KEEP);
    const tripped = Date.now();
    await until(`${dead}'s keys expired`, KEEP + 500, async () => (await keysOf(dead)).length === 0);
    expect(Date.now() - tripped).to.be.at.most(KEEP + 200);
    // Read after that, the circuit is CLOSED: the next call of p2, which never used the host, goes through.
    await p2.request({ cmd: 'down', host: dead, down: false });
    expect((await p2.call(dead)).outcome).to.equal('ok');
  });

  it("a granted probe lease keeps the host's state while the probe runs; its success leaves nothing, a failure a fresh TTL", async () => {
    const host = freshHost('slow-probe');
    const stateKey = `circuit-breaker:{UpstreamClient#get[${host}]}:state`;
    await trip(p1, host);
    await until('the trip reached Redis', PROPAGATION_BOUND, async () => (await admin!.pttl(stateKey)) > 0);
    await new Promise((resolve) => setTimeout(resolve, RESET_TIMEOUT + 20));
    // What is left of the trip's TTL is less than the lease: the grant extends it to twice the lease.
    expect(await admin!.pttl(stateKey)).to.be.below(KEEP - RESET_TIMEOUT);
    await p1.request({ cmd: 'down', host, down: false, delay: 400 });
    await p1.request({ cmd: 'start', host }); // the probe, answering after 400 ms
    await until('the lease is granted', 1_000, async () => (await admin!.exists(`circuit-breaker:{UpstreamClient#get[${host}]}:lease`)) === 1);
    const during = await admin!.pttl(stateKey);
    expect(during, 'the state outlives the lease').to.be.within(PROBE_LEASE + 1, 2 * PROBE_LEASE);
    await until('the probe closed the circuit: no keys left', 1_500, async () => (await keysOf(host)).length === 0);
    expect((await p1.view(host)).state).to.equal('CLOSED');

    // A probe that fails re-opens it: a fresh wait, and the state a fresh TTL.
    await trip(p1, host);
    await new Promise((resolve) => setTimeout(resolve, RESET_TIMEOUT + 20));
    expect((await p1.call(host)).outcome).to.equal('failed');
    await until('the failed probe reached Redis', PROPAGATION_BOUND, async () => (await admin!.pttl(`circuit-breaker:{UpstreamClient#get[${host}]}:wait`)) > 0);
    expect(await admin!.pttl(stateKey)).to.be.within(RESET_TIMEOUT + 1, KEEP);
  });

  it('a host dropped past maxKeys leaves its fleet circuit: its process unsubscribes from it', async () => {
    const host = freshHost('dropped');
    for (const p of [p1, p2]) await p.call(host);
    await bothJoined(host);
    // maxKeys 3: three other hosts in p2 drop this one (CLOSED, nothing counted).
    for (let i = 0; i < 3; i++) await p2.call(freshHost('other'));
    expect((await p2.view(host)).state).to.equal(undefined);
    await until(`one subscriber left to ${host}`, 1_000, async () => {
      const [, count] = (await admin!.pubsub('NUMSUB', channelOf(host))) as [string, number];
      return count === 1;
    });
    // Its circuit is still shared by the processes that keep it: p1's trip is p2's when it uses the host again.
    await trip(p1, host);
    const again = await p2.call(host); // made now: CLOSED until the store's answer, so this call goes through
    expect(again.outcome).to.equal('failed');
    await until("p2's host is OPEN", 1_000, async () => (await p2.view(host)).state === 'OPEN');
  });
});
