import fc from 'fast-check';
import * as tg from '../src/index.js';
import { PRIM_ARBITRARIES } from '../test/support/prim-arbitraries.js';
for (const name of ['lstmGates', 'lstmGatesGrad'] as const) {
  const t0 = performance.now();
  const cs = fc.sample(PRIM_ARBITRARIES[name], { seed: 1, numRuns: 20 });
  console.log(name, 'sampled', performance.now() - t0);
  for (const c of cs) {
    const moving = c.inputs.filter((_, i) => c.diff[i]);
    const r = tg.gradcheck((...xs: tg.Tensor[]) => tg.run(name, xs, c.params), moving, { mode: 'random', directions: 3 });
    if (!r.ok) console.log('FAIL', c.params, r.worst);
  }
  console.log(name, 'done', performance.now() - t0);
}
