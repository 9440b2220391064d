// A fixed piece of JavaScript that calls no library code, timed to tell the machine's speed from the code's: where
// it slows down beside a workload, the core itself ran slower (scripts/machine-phase.ts, scripts/first-steps-phase.ts).
const scratch = new Float64Array(4096);

/** ms for `passes` multiply-add passes over 4,096 doubles (~10 µs a pass on this VM's cores at full speed). */
export function fixedLoopMs(passes: number): number {
  const t = performance.now();
  for (let r = 0; r < passes; r++)
    for (let i = 0; i < scratch.length; i++) scratch[i] = scratch[i] * 0.999 + i;
  return performance.now() - t;
}
