/**
 * The fleet decides on the fleet's window, and with a quorum (src/breaker/fleet-window.ts,
 * fleet-link.ts tellTripped): several breakers of one name share an InMemoryCircuitStore under
 * sinon's fake clock, each standing for a process.
 */
import { expect } from 'chai';
import sinon from 'sinon';
import { CircuitBreaker, InMemoryCircuitStore, isCircuitBreakerOpenException, type CircuitStore, type OpenEvent, type StateChangeEvent } from '../../src';
import { deferred } from '../support/helpers';
import { storeWith } from '../support/stores';

const WAIT = 1_000;
const NAME = 'inventory-api';

describe('fleet: the fleet window and quorum', () => {
  let clock: sinon.SinonFakeTimers;
  let store: InMemoryCircuitStore;
  /** Window commands each member sent. */
  let sent: number[];

  beforeEach(() => {
    clock = sinon.useFakeTimers();
    store = new InMemoryCircuitStore();
    sent = [];
  });
  afterEach(() => clock.restore());

  const settle = () => clock.tickAsync(0);
  /** The store, counting each member's window commands. */
  const counting = (index: number): CircuitStore =>
    storeWith(store, (membership) => ({
      addToWindow: (counts, window) => {
        sent[index] = (sent[index] ?? 0) + 1;
        return membership.addToWindow!(counts, window);
      },
    }));
  const windowed = (index: number) =>
    new CircuitBreaker({
      name: NAME,
      store: counting(index),
      resetTimeout: WAIT,
      failureRate: { threshold: 0.5, minimumCalls: 10, window: { duration: 10_000, buckets: 10 } },
    });
  const fleetOf = async (n: number, make = windowed) => {
    const members = Array.from({ length: n }, (_, i) => make(i));
    await settle();
    return members;
  };
  const call = (breaker: CircuitBreaker, outcome: 'ok' | 'fail') =>
    breaker.call(() => (outcome === 'ok' ? Promise.resolve('ok') : Promise.reject(new Error('down')))).catch((error: unknown) => error);

  describe('a time window shared through the store', () => {
    it('four members each below minimumCalls, whose failures together cross the rate: all four OPEN', async () => {
      const members = await fleetOf(4);
      for (const member of members) {
        for (let i = 0; i < 3; i++) {
          await call(member, 'fail');
          await settle();
        }
      }
      expect(members.map((m) => m.state)).to.deep.equal(['OPEN', 'OPEN', 'OPEN', 'OPEN']);
      const tripped = members.map((m) => m.stats().opened);
      expect(tripped).to.deep.equal([1, 1, 1, 1]);
      const invoked = sinon.spy(() => Promise.resolve('ok'));
      for (const member of members) expect(isCircuitBreakerOpenException(await member.call(invoked).catch((e: unknown) => e))).to.equal(true);
      expect(invoked.called, 'the dependency is not called until the probe').to.equal(false);
    });

    it("closing after a rate trip empties the fleet's window too: the failures that tripped it do not trip it again", async () => {
      const members = await fleetOf(4); // a 10 s window, a 1 s wait: the failures are still in the window when it closes
      for (const member of members) {
        for (let i = 0; i < 3; i++) {
          await call(member, 'fail');
          await settle();
        }
      }
      expect(members.map((m) => m.state)).to.deep.equal(['OPEN', 'OPEN', 'OPEN', 'OPEN']);
      clock.tick(WAIT);
      expect(await call(members[0]!, 'ok')).to.equal('ok'); // the probe
      await settle();
      expect(members.map((m) => m.state)).to.deep.equal(['CLOSED', 'CLOSED', 'CLOSED', 'CLOSED']);
      // Healthy traffic after the close, each member sending its bucket: the fleet's window holds only that.
      for (let round = 0; round < 3; round++) {
        for (const member of members) {
          await call(member, 'ok');
          await settle();
        }
        clock.tick(1_000);
      }
      for (const member of members) await call(member, 'ok');
      await settle();
      expect(members.map((m) => m.state)).to.deep.equal(['CLOSED', 'CLOSED', 'CLOSED', 'CLOSED']);
      expect(members[0]!.stats().failureRate).to.equal(0);
    });

    it('counts that arrive while a window command is in flight go out with its answer: none is stranded', async () => {
      const members = await fleetOf(4);
      // No settle between the failures: each member's second and third come while its first is being sent.
      for (const member of members) await Promise.all([call(member, 'fail'), call(member, 'fail'), call(member, 'fail')]);
      await settle();
      await settle();
      expect(members.map((m) => m.state)).to.deep.equal(['OPEN', 'OPEN', 'OPEN', 'OPEN']);
    });

    it('the same members alone, without a store, never trip: each is below minimumCalls', async () => {
      const members = Array.from({ length: 4 }, () => new CircuitBreaker({ resetTimeout: WAIT, failureRate: { threshold: 0.5, minimumCalls: 10, window: { duration: 10_000 } } }));
      for (const member of members) for (let i = 0; i < 3; i++) await call(member, 'fail');
      expect(members.map((m) => m.state)).to.deep.equal(['CLOSED', 'CLOSED', 'CLOSED', 'CLOSED']);
    });

    it('traffic that succeeds sends at most one command per member per bucket, and none while idle', async () => {
      const members = await fleetOf(2);
      for (let second = 0; second < 5; second++) {
        for (let i = 0; i < 50; i++) for (const member of members) await call(member, 'ok');
        clock.tick(1_000); // one bucket
      }
      await settle();
      expect(sent[0]).to.be.at.most(5);
      expect(sent[1]).to.be.at.most(5);
      const before = [...sent];
      clock.tick(60_000); // idle
      await settle();
      expect(sent).to.deep.equal(before);
    });

    it('the fleet window forgets: failures older than the window do not add to a new burst', async () => {
      const members = await fleetOf(2);
      for (let i = 0; i < 4; i++) await call(members[0]!, 'fail');
      await settle();
      clock.tick(11_000); // past the window
      for (let i = 0; i < 4; i++) await call(members[1]!, 'fail');
      await settle();
      expect(members.map((m) => m.state)).to.deep.equal(['CLOSED', 'CLOSED']);
    });

    it('with the store away, each member decides on its own window', async () => {
      const members = await fleetOf(2);
      store.available = false;
      for (let i = 0; i < 9; i++) await call(members[0]!, 'fail');
      expect(members[0]!.state).to.equal('CLOSED');
      await call(members[0]!, 'fail');
      expect(members.map((m) => m.state)).to.deep.equal(['OPEN', 'CLOSED']);
    });

    it('a count window and the consecutive rule still count per member', async () => {
      const counted = await fleetOf(2, (index) => new CircuitBreaker({ name: NAME, store: counting(index), failureRate: { threshold: 0.5, minimumCalls: 4, window: { calls: 10 } } }));
      for (const member of counted) for (let i = 0; i < 3; i++) await call(member, 'fail');
      await settle();
      expect(counted.map((m) => m.state)).to.deep.equal(['CLOSED', 'CLOSED']);
      expect(sent).to.deep.equal([]);
    });

    it('stats().window shows the fleet window the member knows, this bucket', async () => {
      const [a, b] = await fleetOf(2);
      for (let i = 0; i < 3; i++) await call(a!, 'fail');
      await settle();
      await call(b!, 'ok');
      await call(b!, 'fail'); // could tip: asks the fleet
      await settle();
      expect(b!.stats().window).to.deep.equal({ calls: 5, failures: 4, slow: 0 });
    });
  });

  describe('quorum', () => {
    const quorumOf = (k: number) => (index: number) => new CircuitBreaker({ name: NAME, store: counting(index), failureThreshold: 2, resetTimeout: WAIT, quorum: k });

    it('quorum 2: one member tripping opens only itself; a second opens every member', async () => {
      const members = await fleetOf(3, quorumOf(2));
      const changes: string[][] = members.map(() => []);
      members.forEach((m, i) => m.onStateChange(({ from, to, reason }: StateChangeEvent) => changes[i]!.push(`${from}>${to}:${reason}`)));
      await call(members[0]!, 'fail');
      await call(members[0]!, 'fail');
      await settle();
      expect(members.map((m) => m.state)).to.deep.equal(['OPEN', 'CLOSED', 'CLOSED']);
      expect(members[0]!.stats().alone).to.equal(true);
      await call(members[1]!, 'fail');
      await call(members[1]!, 'fail');
      await settle();
      expect(members.map((m) => m.state)).to.deep.equal(['OPEN', 'OPEN', 'OPEN']);
      expect(members.map((m) => m.stats().alone)).to.deep.equal([false, false, false]);
      expect(changes[2]).to.deep.equal(['CLOSED>OPEN:quorum']);
    });

    it('trips count within one resetTimeout only', async () => {
      const members = await fleetOf(2, quorumOf(2));
      await call(members[0]!, 'fail');
      await call(members[0]!, 'fail');
      await settle();
      clock.tick(WAIT); // its trip ages out
      await call(members[0]!, 'ok'); // probes alone and closes
      await settle();
      await call(members[1]!, 'fail');
      await call(members[1]!, 'fail');
      await settle();
      expect(members.map((m) => m.state)).to.deep.equal(['CLOSED', 'OPEN']);
    });

    it('a member that tripped alone probes alone after its wait, without asking for the fleet lease', async () => {
      const opens: OpenEvent[] = [];
      const [a, b] = await fleetOf(2, quorumOf(3));
      a!.onOpen((event) => opens.push(event));
      await call(a!, 'fail');
      await call(a!, 'fail');
      await settle();
      clock.tick(WAIT);
      expect(await call(a!, 'ok')).to.equal('ok');
      expect(a!.state).to.equal('CLOSED');
      expect(b!.state).to.equal('CLOSED');
      expect(opens).to.have.length(1);
      expect(opens[0]).to.include({ reason: 'threshold' });
    });

    it("an operator's reset empties the trips too: a member's trip before it does not count towards the quorum after it", async () => {
      const [a, b, c] = await fleetOf(3, quorumOf(2));
      await call(a!, 'fail');
      await call(a!, 'fail');
      await settle();
      expect(a!.stats().alone).to.equal(true);
      c!.reset();
      await settle();
      expect([a!.state, b!.state, c!.state]).to.deep.equal(['CLOSED', 'CLOSED', 'CLOSED']);
      await call(b!, 'fail');
      await call(b!, 'fail');
      await settle();
      expect([a!.state, b!.state, c!.state], 'one trip since the reset: b opens alone').to.deep.equal(['CLOSED', 'OPEN', 'CLOSED']);
      expect(b!.stats().alone).to.equal(true);
    });

    it("a member that tripped alone and closes by its own probe leaves the fleet's window as it is", async () => {
      const windowedQuorum = (index: number) =>
        new CircuitBreaker({
          name: NAME,
          store: counting(index),
          resetTimeout: WAIT,
          quorum: 2,
          failureRate: { threshold: 0.5, minimumCalls: 10, window: { duration: 10_000, buckets: 10 } },
        });
      const [a, b, c] = await fleetOf(3, windowedQuorum);
      for (const member of [b!, c!]) for (let i = 0; i < 4; i++) await call(member, 'fail'); // 8 failures, below the volume
      await settle();
      clock.tick(1_000);
      for (const member of [b!, c!]) await call(member, 'ok'); // the bucket rolls: they go out
      await settle();
      for (let i = 0; i < 10; i++) await call(a!, 'fail'); // a trips alone on its own window
      await settle();
      expect(a!.stats().alone).to.equal(true);
      clock.tick(WAIT);
      expect(await call(a!, 'ok')).to.equal('ok'); // its lone probe
      await settle();
      expect(a!.state).to.equal('CLOSED');
      for (const member of [b!, c!]) for (let i = 0; i < 2; i++) await call(member, 'fail');
      clock.tick(1_000);
      for (const member of [b!, c!]) await call(member, 'fail'); // the 8 sent earlier still count: the fleet crosses
      await settle();
      expect([b!.state, c!.state]).to.deep.equal(['OPEN', 'OPEN']);
    });

    it("a member probing alone adopts the fleet's opening by a quorum: its probe then closes nothing", async () => {
      const [a, b, c] = await fleetOf(3, quorumOf(2));
      await call(a!, 'fail');
      await call(a!, 'fail');
      await settle();
      clock.tick(WAIT);
      const probe = deferred<string>();
      const probing = a!.call(() => probe.promise); // a's lone probe, in flight
      await settle();
      for (const member of [b!, c!]) {
        await call(member, 'fail');
        await call(member, 'fail');
      }
      await settle();
      expect([a!.state, b!.state, c!.state]).to.deep.equal(['OPEN', 'OPEN', 'OPEN']);
      probe.resolve('ok');
      expect(await probing).to.equal('ok');
      await settle();
      expect([a!.state, b!.state, c!.state], 'the fleet waits for its own probe').to.deep.equal(['OPEN', 'OPEN', 'OPEN']);
      expect(store.state(NAME)).to.include({ state: 'OPEN' });
    });

    it('quorum needs a store, and is a positive integer', () => {
      expect(() => new CircuitBreaker({ quorum: 2 })).to.throw(TypeError, /quorum needs a store/);
      expect(() => new CircuitBreaker({ name: NAME, store, quorum: 0 })).to.throw(RangeError, /quorum must be a positive integer, got 0/);
      expect(() => new CircuitBreaker({ name: NAME, store, quorum: '2' as never })).to.throw(TypeError, /quorum must be a number, got string "2"/);
    });
  });
});
