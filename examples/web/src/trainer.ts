// The worker's training loop: the seed CNN on the digits, one step at a time, so the learning rate, batch size and
// optimizer can change between two steps; evaluation on the test digits, per-layer statistics and layer images.
import * as tg from 'tapegrad';
import type { ImageStack, LayerStats, OptimizerName, Settings, Summary } from './protocol.js';

export interface Split {
  /** n·784 pixels in [0, 1] and n labels. */
  px: Float32Array;
  labels: Int32Array;
  n: number;
}

export const DEFAULT_SETTINGS: Settings = { lr: 0.002, batchSize: 32, optimizer: 'adam' };
export const OPTIMIZERS: OptimizerName[] = ['adam', 'sgd', 'momentum', 'rmsprop'];
const HIST_BINS = 16;

/**
 * The seed CNN of the issue. NOTE: its layers are named as a first Keras model's are, so a model made by Reset has
 * the same names (and weight paths) as the one it replaces.
 */
export function seedNetwork(): tg.Sequential {
  const m = tg.sequential({
    name: 'seed_cnn',
    layers: [
      tg.layers.conv2d({
        name: 'conv2d',
        filters: 12,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        inputShape: [28, 28, 1],
      }),
      tg.layers.maxPooling2d({ name: 'max_pooling2d', poolSize: 2 }),
      tg.layers.conv2d({ name: 'conv2d_1', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tg.layers.maxPooling2d({ name: 'max_pooling2d_1', poolSize: 2 }),
      tg.layers.flatten({ name: 'flatten' }),
      tg.layers.dense({ name: 'dense', units: 64, activation: 'relu' }),
      tg.layers.dense({ name: 'dense_1', units: 10 }),
    ],
  });
  m.buildModel([null, 28, 28, 1]);
  return m;
}

/** TF.js-style optimizer by name (NOTE: momentum is SGD with μ = 0.9, as tf.train.momentum(lr, 0.9)). */
export function makeOptimizer(name: OptimizerName, lr: number): tg.Optimizer {
  switch (name) {
    case 'adam':
      return tg.train.adam(lr);
    case 'sgd':
      return tg.train.sgd(lr);
    case 'momentum':
      return tg.train.momentum(lr, 0.9);
    case 'rmsprop':
      return tg.train.rmsprop(lr);
    default:
      throw new Error(`optimizer '${String(name)}' is not one of ${OPTIMIZERS.join(', ')}`);
  }
}

/** mean, population std and a histogram over [min, max] of `v` (float64 sums). */
export function summarize(v: ArrayLike<number>, bins = HIST_BINS): Summary {
  let [s, lo, hi] = [0, Infinity, -Infinity];
  for (let i = 0; i < v.length; i++) [s, lo, hi] = [s + v[i], Math.min(lo, v[i]), Math.max(hi, v[i])];
  const mean = s / v.length;
  let ss = 0;
  for (let i = 0; i < v.length; i++) ss += (v[i] - mean) ** 2;
  const counts = new Array<number>(bins).fill(0);
  // bin k holds lo + k·w ≤ v < lo + (k+1)·w; the maximum goes in the last bin
  const w = (hi - lo) / bins;
  for (let i = 0; i < v.length; i++) counts[w > 0 ? Math.min(bins - 1, Math.floor((v[i] - lo) / w)) : 0]++;
  return { n: v.length, mean, std: Math.sqrt(ss / v.length), lo, hi, counts };
}

/** Rows `idx` of a split as a batch tensor [b, 28, 28, 1] and its labels. */
export function batchOf(d: Split, idx: ArrayLike<number>): { x: tg.Tensor; y: tg.Tensor } {
  const px = new Float32Array(idx.length * 784);
  const y = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    px.set(d.px.subarray(idx[i] * 784, (idx[i] + 1) * 784), i * 784);
    y[i] = d.labels[idx[i]];
  }
  return { x: tg.tensor(px, [idx.length, 28, 28, 1]), y: tg.tensor(y, [idx.length], { dtype: 'int32' }) };
}

const crossEntropy = (y: tg.Tensor, logits: tg.Tensor): tg.Tensor =>
  tg.losses.sparseCategoricalCrossentropy(y, logits, { fromLogits: true });

/** NHWC [1, h, w, c] → c maps of h×w. */
export function mapsOf(t: tg.Tensor): ImageStack {
  const [, h, w, c] = t.shape;
  const src = t.toFlatArray();
  const data = new Float32Array(c * h * w);
  for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) data[k * h * w + p] = src[p * c + k];
  return { h, w, count: c, data };
}

export class Trainer {
  model = seedNetwork();
  settings: Settings = { ...DEFAULT_SETTINGS };
  opt: tg.Optimizer = this.bind(makeOptimizer(this.settings.optimizer, this.settings.lr));
  step = 0;
  epoch = 0;
  private order: Int32Array;
  private pos = 0;
  private rng = new tg.Rng(1);
  /** Raw numbers behind the last statistics (for the page's tests). */
  lastRaw: Record<string, { weights: number[] | null; activations: number[]; gradients: number[] | null }> =
    {};
  statsStep = -1;

  constructor(
    readonly train: Split,
    readonly test: Split,
  ) {
    this.order = Int32Array.from({ length: train.n }, (_, i) => i);
    this.shuffle();
  }

  private bind(opt: tg.Optimizer): tg.Optimizer {
    opt.setParameters(this.model.namedParameters());
    return opt;
  }

  private shuffle(): void {
    for (let i = this.order.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [this.order[i], this.order[j]] = [this.order[j], this.order[i]];
    }
  }

  /** Apply new settings; a new optimizer starts with fresh state (moments, velocities) at the current weights. */
  configure(s: Partial<Settings>): void {
    const next = { ...this.settings, ...s };
    if (!(Number.isFinite(next.lr) && next.lr > 0))
      throw new Error(`learning rate must be > 0, got ${next.lr}`);
    if (!(Number.isInteger(next.batchSize) && next.batchSize >= 1 && next.batchSize <= this.train.n))
      throw new Error(`batch size must be an integer in 1..${this.train.n}, got ${next.batchSize}`);
    if (!OPTIMIZERS.includes(next.optimizer))
      throw new Error(`optimizer '${next.optimizer}' is not one of ${OPTIMIZERS.join(', ')}`);
    if (next.optimizer !== this.settings.optimizer)
      this.opt = this.bind(makeOptimizer(next.optimizer, next.lr));
    else this.opt.learningRate = next.lr;
    this.settings = next;
  }

  /** Weights changed from outside (load back): rebind the optimizer so its state starts fresh. */
  rebind(): void {
    this.opt = this.bind(makeOptimizer(this.settings.optimizer, this.settings.lr));
  }

  /** One optimizer step on the next batch; with `stats`, also the per-layer statistics of this step. */
  trainStep(stats: boolean): { loss: number; acc: number; batchSize: number; layers?: LayerStats[] } {
    const bs = this.settings.batchSize;
    if (this.pos + bs > this.order.length) {
      this.pos = 0;
      this.epoch++;
      this.shuffle();
    }
    const { x, y } = batchOf(this.train, this.order.subarray(this.pos, this.pos + bs));
    this.pos += bs;
    this.model.train(true);
    this.opt.zeroGrad();
    const outs: tg.Tensor[] = [];
    let h = x;
    for (const l of this.model.layers) outs.push((h = l.apply(h, { training: true }) as tg.Tensor));
    const loss = crossEntropy(y, h);
    // Read what the step needs before backward() (which may release the forward's tensors).
    const lossValue = loss.item();
    if (!Number.isFinite(lossValue))
      throw new Error(
        `the loss became ${lossValue} at step ${this.step + 1}; lower the learning rate and press Reset`,
      );
    const logits = h.toFlatArray();
    const labels = y.toFlatArray();
    let right = 0;
    for (let i = 0; i < bs; i++) {
      const row = Array.from(logits.subarray(i * 10, i * 10 + 10));
      if (row.indexOf(Math.max(...row)) === labels[i]) right++;
    }
    const acts = stats ? outs.map((t) => Array.from(t.toFlatArray())) : [];
    loss.backward();
    let layers: LayerStats[] | undefined;
    if (stats) {
      this.lastRaw = {};
      layers = this.model.layers.flatMap((l, i) => {
        if (l instanceof tg.Flatten) return [];
        const kernel = l.weights[0]?.value;
        const weights = kernel ? Array.from(kernel.toFlatArray()) : null;
        const gradients = kernel?.grad ? Array.from(kernel.grad.toFlatArray()) : null;
        this.lastRaw[l.name] = { weights, activations: acts[i], gradients };
        return [
          {
            name: l.name,
            weights: weights && summarize(weights),
            activations: summarize(acts[i]),
            gradients: gradients && summarize(gradients),
          },
        ];
      });
      this.statsStep = this.step + 1;
    }
    this.opt.step();
    this.model.train(false);
    this.step++;
    return { loss: lossValue, acc: right / bs, batchSize: bs, layers };
  }

  /** Loss, accuracy and the predicted class of every test digit. */
  evaluate(): { testLoss: number; testAcc: number; preds: Int32Array } {
    const preds = new Int32Array(this.test.n);
    let [lossSum, right] = [0, 0];
    tg.noGrad(() => {
      for (let a = 0; a < this.test.n; a += 250) {
        const idx = Array.from({ length: Math.min(250, this.test.n - a) }, (_, i) => a + i);
        const { x, y } = batchOf(this.test, idx);
        const logits = this.model.predict(x) as tg.Tensor;
        lossSum += crossEntropy(y, logits).item() * idx.length;
        const v = logits.toFlatArray();
        idx.forEach((r, i) => {
          const row = Array.from(v.subarray(i * 10, i * 10 + 10));
          preds[r] = row.indexOf(Math.max(...row));
          if (preds[r] === this.test.labels[r]) right++;
        });
      }
    });
    return { testLoss: lossSum / this.test.n, testAcc: right / this.test.n, preds };
  }
}
