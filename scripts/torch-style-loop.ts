// The seed CNN's training step written the PyTorch way (a `tg.nn.Module` on NCHW images, `loss.backward()`,
// `tg.SGD`: `opt.zeroGrad(); crossEntropy(net.forward(x), y).backward(); opt.step()`) against the benchmark's
// functional step (bench/models/tapegrad.ts: NHWC, valueAndGrads + plain SGD), in one process: blocks of 16 steps of
// each in turn, so both see the machine's phase. Prints the medians after a warm-up and their ratio, and the ops
// one PyTorch-style step dispatches (tg.nn's Conv2d and MaxPool2d move NCHW to the NHWC kernels and back).
//   node --import tsx scripts/torch-style-loop.ts [rounds=40] [threads=2]
import * as tg from '../src/index.js';
import { quantile } from '../bench/lib/measure.js';
import { freshSeedCnn, torchSeedCnn } from '../bench/lib/seed-cnn.js';

const rounds = Number(process.argv[2] ?? 40);
const functional = await freshSeedCnn(Number(process.argv[3] ?? 2));

const { step: torchStep } = torchSeedCnn();

const torchMs: number[] = [];
const functionalMs: number[] = [];
const block = (step: () => unknown, out: number[], keep: boolean): void => {
  for (let i = 0; i < 16; i++) {
    const t = performance.now();
    step();
    if (keep) out.push(performance.now() - t);
  }
};
for (let r = 0; r < rounds; r++) {
  const keep = r >= Math.min(10, rounds >> 1); // the first rounds are warm-up
  if (r % 2 === 0) {
    block(torchStep, torchMs, keep);
    block(() => functional.train(), functionalMs, keep);
  } else {
    block(() => functional.train(), functionalMs, keep);
    block(torchStep, torchMs, keep);
  }
}
let ops = 0;
const off = tg.onOp(() => ops++); // NOTE: a listener switches the fused rows off, so this counts the traced ops
torchStep();
off();
const t = quantile(torchMs, 0.5);
const f = quantile(functionalMs, 0.5);
console.log(
  `PyTorch-style step ${t.toFixed(2)} ms, functional step ${f.toFixed(2)} ms (medians of ${torchMs.length}), ` +
    `ratio ${(t / f).toFixed(2)}; ${ops} ops a PyTorch-style step (traced)`,
);
process.exit(0);
