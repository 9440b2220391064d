// A PyTorch-style model: subclass tg.nn.Module, write forward, and train it with a hand-written loop.
// Task: tell images with a horizontal bar from images with a vertical bar (generated, 12×12, NCHW).
import * as tg from '../../src/index.js';

class BarNet extends tg.nn.Module {
  conv1 = new tg.nn.Conv2d(1, 4, 3, { padding: 1 });
  pool = new tg.nn.MaxPool2d(2);
  conv2 = new tg.nn.Conv2d(4, 8, 3, { padding: 1 });
  fc = new tg.nn.Linear(8 * 3 * 3, 2); // two poolings: 12 → 6 → 3
  forward(x: tg.Tensor): tg.Tensor {
    let h = this.pool.forward(tg.relu(this.conv1.forward(x)));
    h = this.pool.forward(tg.relu(this.conv2.forward(h)));
    return this.fc.forward(tg.reshape(h, [h.shape[0], -1]));
  }
}

/** n images [n,1,12,12] with one bright bar (row or column) and noise; label 0 = horizontal, 1 = vertical. */
function makeBars(n: number, rng: tg.Rng): { x: tg.Tensor; y: tg.Tensor } {
  const x = new Float32Array(n * 144);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rng.int(2);
    const at = rng.int(12);
    for (let p = 0; p < 144; p++) {
      const [r, c] = [Math.floor(p / 12), p % 12];
      x[i * 144 + p] = 0.3 * rng.normal() + ((y[i] === 0 ? r : c) === at ? 1 : 0);
    }
  }
  return { x: new tg.Tensor(x, [n, 1, 12, 12]), y: new tg.Tensor(y, [n]) };
}

export function main(opts: { quick?: boolean; log?: (s: string) => void } = {}): {
  accuracy: number;
  losses: number[];
} {
  const log = opts.log ?? console.log;
  tg.setSeed(7);
  const rng = new tg.Rng(7);
  const train = makeBars(opts.quick ? 128 : 512, rng);
  const test = makeBars(200, rng);
  const net = new BarNet();
  net.summary({ inputShape: [1, 12, 12], print: log });
  const opt = new tg.Adam(net.namedParameters(), { lr: 0.01 });
  const losses: number[] = [];
  const batch = 32;
  for (let epoch = 0; epoch < (opts.quick ? 6 : 10); epoch++) {
    let total = 0;
    for (let i = 0; i < train.y.size; i += batch) {
      const n = Math.min(batch, train.y.size - i);
      const xb = tg.slice(train.x, [i, 0, 0, 0], [n, 1, 12, 12]);
      const yb = tg.slice(train.y, [i], [n]);
      opt.zeroGrad();
      const loss = tg.crossEntropy(net.forward(xb), yb);
      loss.backward();
      opt.step();
      total += loss.item() * n;
    }
    losses.push(total / train.y.size);
    log(`epoch ${epoch + 1}: loss ${losses[losses.length - 1].toFixed(4)}`);
  }
  net.eval();
  const pred = tg.noGrad(() => tg.argmax(net.forward(test.x), 1));
  const accuracy = Array.from(pred.data).filter((p, i) => p === test.y.data[i]).length / test.y.size;
  log(`test accuracy: ${(accuracy * 100).toFixed(1)}%`);
  return { accuracy, losses };
}

if (import.meta.url === `file://${process.argv[1]}`) main({ quick: process.argv.includes('--quick') });
