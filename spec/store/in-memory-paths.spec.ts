import { expect } from 'chai';
import sinon from 'sinon';
import { InMemoryCircuitStore, type FleetState, type FleetUpdate } from '../../src';

describe('InMemoryCircuitStore: joining and stale waits', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  const heard = () => {
    const got: [FleetState, FleetUpdate][] = [];
    return { got, onFleet: (fleet: FleetState, update: FleetUpdate) => void got.push([fleet, update]) };
  };

  it('a member that leaves before it is connected hears no sync', async () => {
    const store = new InMemoryCircuitStore();
    const { got, onFleet } = heard();
    store.join('api', onFleet).leave();
    await clock.tickAsync(0);
    expect(got).to.deep.equal([]);
  });

  it('a member that joins while the store is down hears no sync until it reconnects', async () => {
    const store = new InMemoryCircuitStore();
    store.available = false;
    const { got, onFleet } = heard();
    store.join('api', onFleet);
    await clock.tickAsync(0);
    expect(got).to.deep.equal([]);
    store.reconnect();
    await clock.tickAsync(0);
    expect(got).to.deep.equal([[{ state: 'CLOSED' }, 'sync']]);
  });

  it('a trip after a close starts a fresh wait, whatever remained of the old one', async () => {
    const store = new InMemoryCircuitStore();
    const member = store.join('api', () => undefined);
    expect(await member.open(1_000, 'trip')).to.equal(1_000);
    clock.tick(100);
    await member.close('operator');
    clock.tick(100);
    expect(await member.open(1_000, 'trip')).to.equal(1_000);
    expect(store.state('api')).to.deep.equal({ state: 'OPEN', remaining: 1_000 });
  });
});
