// Synchronous loops that call the library at top level (no frame of their own) on the seed CNN, batch 32, and what
// they keep: the step median, peak RSS and the arena's counts (docs/memory.md, "Graphs a top-level result keeps").
//   node --import tsx scripts/top-level-loops.ts [mode] [steps]
// modes: saliency   tg.grad(f)(x) with f through the model (the result stays differentiable: weights require grads)
//        plain      the same with { createGraph: false }
//        apply      model.apply(x).data (a layer call that records: no noGrad)
//        predict    model.predict(x).data
//        pgd        x ← x + 0.001·sign(tg.grad(f)(x)): sign records nothing, so each step's graph dies with it
//        ascent     x ← x + 0.001·tg.grad(f)(x): a chain of differentiable gradients (grows; warns once)
//        backward   a PyTorch-style training step: the seed CNN as a tg.nn.Module, loss.backward(), tg.SGD
//        mixed      that step, then net.forward(x).data without noGrad (a graph no backward ever uses)
import * as tg from '../src/index.js';
import { layersCnn } from '../bench/models/tapegrad-layers.js';
import { SEED_CNN } from '../bench/lib/specs.js';
import { torchSeedCnn } from '../bench/lib/seed-cnn.js';

const mode = process.argv[2] ?? 'saliency';
const steps = Number(process.argv[3] ?? 1500);
const MODES = ['saliency', 'plain', 'apply', 'predict', 'pgd', 'ascent', 'backward', 'mixed'];
if (!MODES.includes(mode))
  throw new Error(`top-level-loops: unknown mode '${mode}' (one of ${MODES.join(', ')})`);
await tg.ready(); // the death watch's refs come from an earlier job (docs/memory.md)
const model = layersCnn(SEED_CNN); // the benchmark's seed CNN as tg.layers
tg.setSeed(1);
let x = tg.randn([32, 32, 32, 3]);
const f = (xi: tg.Tensor) => tg.sum(model.apply(xi) as tg.Tensor);
const plain = tg.grad(f, { createGraph: false });
const torch = torchSeedCnn();
const ms: number[] = [];
for (let i = 0; i < steps; i++) {
  const t = performance.now();
  if (mode === 'saliency') void tg.grad(f)(x).data[0];
  else if (mode === 'plain') void plain(x).data[0];
  else if (mode === 'apply') void (model.apply(x) as tg.Tensor).data[0];
  else if (mode === 'predict') void (model.predict(x) as tg.Tensor).data[0];
  else if (mode === 'pgd') x = tg.add(x, tg.mul(tg.sign(tg.grad(f)(x)), 0.001));
  else if (mode === 'backward') torch.step();
  else if (mode === 'mixed') {
    torch.step();
    void torch.net.forward(torch.x).data[0];
  } else x = tg.add(x, tg.mul(tg.grad(f)(x), 0.001));
  ms.push(performance.now() - t);
}
const late = ms.slice(steps >> 1).sort((a, b) => a - b);
const m = tg.memory();
console.log(
  `${mode}: ${steps} steps, median of the last half ${late[late.length >> 1].toFixed(2)} ms, ` +
    `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB, resident ${(m.residentBytes / 2 ** 20).toFixed(0)} MiB, ` +
    `copied out ${m.evicted}, reclaimed ${m.reclaimed}`,
);
process.exit(0);
