import type { AdminResult, CircuitListing } from '../redis/admin';

/** A duration for a person: `850 ms`, `12.3 s`, `4 min 5 s`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.floor((ms - minutes * 60_000) / 1000)} s`;
}

function state(circuit: CircuitListing): string {
  return circuit.isolated ? `${circuit.state} (isolated)` : circuit.state;
}

function wait(circuit: CircuitListing): string {
  if (circuit.waitMs === null) return 'until released';
  if (circuit.state === 'OPEN' && circuit.waitMs === 0) return 'over: probe due';
  return circuit.waitMs === 0 ? '-' : duration(circuit.waitMs);
}

function lease(circuit: CircuitListing): string {
  return circuit.leaseHolder === null ? '-' : `${circuit.leaseHolder} (${duration(circuit.leaseMs ?? 0)} left)`;
}

function rate(circuit: CircuitListing): string {
  return circuit.failureRate === null ? '-' : `${(circuit.failureRate * 100).toFixed(1)}%`;
}

/** `circuits` as a table, one circuit a row, columns padded. */
export function table(circuits: readonly CircuitListing[]): string {
  const header = ['NAME', 'STATE', 'WAIT', 'LEASE', 'MEMBERS', 'FAILURE RATE'];
  const rows = circuits.map((c) => [c.name, state(c), wait(c), lease(c), String(c.members), rate(c)]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** One line saying what an action did (or why it did nothing). */
export function describeResult(result: AdminResult): string {
  const { name, before } = result;
  const was = `was ${state(before)}${before.leaseHolder !== null ? `, lease held by ${before.leaseHolder}` : ''}`;
  const told = `pushed to ${before.members} live member${before.members === 1 ? '' : 's'}`;
  switch (result.outcome) {
    case 'isolated':
      return `isolated ${name} (${was}): OPEN everywhere, calls refused with retryAfter Infinity until a release or reset; ${told}`;
    case 'released':
      return `released ${name} (${was}): OPEN with the probe due at once, the next call anywhere probes; ${told}`;
    case 'reset':
      return `reset ${name} (${was}): CLOSED everywhere; ${told}`;
    case 'closed':
      return `${name} is CLOSED: nothing to release (a release never closes or opens a closed circuit)`;
    case 'probing':
      return `${name} is HALF_OPEN: a probe is in flight (lease held by ${before.leaseHolder ?? 'a member'}); nothing released, its outcome decides`;
    case 'late':
      return `${result.action} ${name}: Redis received it after the deadline and did not apply it`;
  }
}
