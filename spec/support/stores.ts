import type { CircuitStore, CircuitStoreMembership } from '../../src';

/**
 * A store whose memberships delegate to `store`'s, with the commands `replace` returns put in their
 * place: a store that fails, hangs, answers late, records what it is told, or lacks the optional
 * commands (`{ trip: undefined, addToWindow: undefined }`). `replace` gets the real membership.
 */
export function storeWith(store: CircuitStore, replace: (membership: CircuitStoreMembership) => Partial<CircuitStoreMembership>): CircuitStore {
  return {
    join: (name, onFleet) => {
      const membership = store.join(name, onFleet);
      const delegating: CircuitStoreMembership = {
        get available() {
          return membership.available;
        },
        open: (wait, by) => membership.open(wait, by),
        acquireProbe: (lease) => membership.acquireProbe(lease),
        close: (by) => membership.close(by),
        isolate: () => membership.isolate(),
        leave: () => membership.leave(),
        trip: membership.trip && ((wait, by, quorum, within) => membership.trip!(wait, by, quorum, within)),
        addToWindow: membership.addToWindow && ((counts, window) => membership.addToWindow!(counts, window)),
      };
      // Descriptors, so that a replaced `available` may be a value or a getter.
      return Object.defineProperties(delegating, Object.getOwnPropertyDescriptors(replace(membership)));
    },
  };
}
