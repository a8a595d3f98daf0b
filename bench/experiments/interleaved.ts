/**
 * Times each loop with mitata in interleaved rounds (the order rotated a round, so that machine noise hits
 * all alike) and answers each loop's median over the rounds of mitata's per-sample median, in ns per call.
 */
type Measure = (fn: () => Promise<void>, opts: Record<string, unknown>) => Promise<{ p50: number }>;

export async function interleavedMedians(loops: readonly (() => Promise<void>)[], callsPerLoop: number, rounds: number): Promise<number[]> {
  const { measure } = await (new Function('s', 'return import(s)') as (s: string) => Promise<{ measure: Measure }>)('mitata');
  const samples = loops.map((): number[] => []);
  for (const loop of loops) for (let i = 0; i < 20; i++) await loop(); // warm-up: every loop optimised before the first round
  for (let r = 0; r < rounds; r++) {
    const order = loops.map((_, i) => i);
    for (let k = 0; k < r % order.length; k++) order.push(order.shift()!);
    for (const i of order) samples[i]!.push((await measure(loops[i]!, { min_cpu_time: 40e6, min_samples: 5, warmup_samples: 2 })).p50 / callsPerLoop);
  }
  return samples.map((values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!);
}
