import fc from 'fast-check';
import { PRIM_ARBITRARIES } from '../test/support/prim-arbitraries.js';
for (const name of ['matmul', 'lstmGatesGrad', 'lstmGates', 'lstmGates'] as const) {
  const t0 = performance.now();
  const cs = fc.sample(PRIM_ARBITRARIES[name], { seed: 1, numRuns: 20 });
  console.log(name, 'sampled', (performance.now() - t0).toFixed(0), cs.map(c=>c.params.act+'/'+c.params.recAct).join(' '));
}
