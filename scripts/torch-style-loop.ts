// The seed CNN's training step written the PyTorch way (a `tg.nn.Module` on NCHW images, `loss.backward()`,
// `tg.SGD`: `opt.zeroGrad(); crossEntropy(net.forward(x), y).backward(); opt.step()`) against the benchmark's
// functional step (bench/models/tapegrad.ts: NHWC, valueAndGrads + plain SGD), in one process: blocks of 16 steps of
// each in turn, so both see the machine's phase. Prints the medians after a warm-up and their ratio, and the ops
// one PyTorch-style step dispatches (tg.nn's Conv2d and MaxPool2d move NCHW to the NHWC kernels and back).
//   node --import tsx scripts/torch-style-loop.ts [rounds=40] [threads=2]
import * as tg from '../src/index.js';
import { quantile } from '../bench/lib/measure.js';
import { randArray, randLabels } from '../bench/lib/data.js';
import { freshSeedCnn } from '../bench/lib/seed-cnn.js';

const rounds = Number(process.argv[2] ?? 40);
const functional = await freshSeedCnn(Number(process.argv[3] ?? 2));

/** The seed CNN (bench/lib/specs.ts SEED_CNN) as PyTorch users write it. */
class SeedCnn extends tg.nn.Module {
  conv1 = new tg.nn.Conv2d(3, 12, 3, { padding: 1 });
  conv2 = new tg.nn.Conv2d(12, 8, 3, { padding: 1 });
  pool = new tg.nn.MaxPool2d(2);
  fc1 = new tg.nn.Linear(8 * 8 * 8, 64);
  fc2 = new tg.nn.Linear(64, 10);
  forward(x: tg.Tensor): tg.Tensor {
    let h = this.pool.forward(tg.relu(this.conv1.forward(x)));
    h = this.pool.forward(tg.relu(this.conv2.forward(h)));
    return this.fc2.forward(tg.relu(this.fc1.forward(tg.reshape(h, [h.shape[0], -1]))));
  }
}
tg.setSeed(1);
const net = new SeedCnn();
const opt = new tg.SGD(net.namedParameters(), { lr: 0.01 });
const x = new tg.Tensor(randArray(32 * 3 * 32 * 32, 113), [32, 3, 32, 32]);
const y = new tg.Tensor(randLabels(32, 10, 213), [32]);
const torchStep = (): number => {
  opt.zeroGrad();
  const loss = tg.crossEntropy(net.forward(x), y);
  loss.backward();
  opt.step();
  return loss.item();
};

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
