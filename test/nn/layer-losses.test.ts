// Per-layer regularization losses (TF.js `layer.calculateLosses()`, Keras `layer.losses`), against real
// @tensorflow/tfjs-layers 4.22: the same layers with the same weights give the same penalties, in the same order.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { rand, tf, tfl, useCpu } from '../support/tfjs-layers.js';

beforeAll(useCpu);

interface Case {
  what: string;
  ours: () => tg.Layer;
  theirs: () => tfl.layers.Layer;
  /** Input shape (batch first) that builds the layer. */
  input: number[];
  int?: boolean;
}

const cases: Case[] = [
  {
    what: 'Dense with kernel L2 and bias L1',
    ours: () =>
      tg.layers.dense({
        units: 3,
        kernelRegularizer: tg.regularizers.l2({ l2: 0.1 }),
        biasRegularizer: tg.regularizers.l1({ l1: 0.3 }),
      }),
    theirs: () =>
      tfl.layers.dense({
        units: 3,
        kernelRegularizer: tfl.regularizers.l2({ l2: 0.1 }),
        biasRegularizer: tfl.regularizers.l1({ l1: 0.3 }),
      }),
    input: [2, 4],
  },
  {
    what: 'Conv2D with kernel L1L2',
    ours: () =>
      tg.layers.conv2d({
        filters: 2,
        kernelSize: 2,
        kernelRegularizer: tg.regularizers.l1l2({ l1: 0.05, l2: 0.2 }),
      }),
    theirs: () =>
      tfl.layers.conv2d({
        filters: 2,
        kernelSize: 2,
        kernelRegularizer: tfl.regularizers.l1l2({ l1: 0.05, l2: 0.2 }),
      }),
    input: [1, 4, 4, 3],
  },
  {
    what: 'Embedding with embeddings L2',
    ours: () =>
      tg.layers.embedding({
        inputDim: 5,
        outputDim: 3,
        embeddingsRegularizer: tg.regularizers.l2({ l2: 0.5 }),
      }),
    theirs: () =>
      tfl.layers.embedding({
        inputDim: 5,
        outputDim: 3,
        embeddingsRegularizer: tfl.regularizers.l2({ l2: 0.5 }),
      }),
    input: [2, 3],
    int: true,
  },
  {
    what: 'BatchNormalization with gamma L2 and beta L1',
    ours: () =>
      tg.layers.batchNormalization({
        gammaRegularizer: tg.regularizers.l2({ l2: 0.25 }),
        betaRegularizer: tg.regularizers.l1({ l1: 0.125 }),
      }),
    theirs: () =>
      tfl.layers.batchNormalization({
        gammaRegularizer: tfl.regularizers.l2({ l2: 0.25 }),
        betaRegularizer: tfl.regularizers.l1({ l1: 0.125 }),
      }),
    input: [2, 3],
  },
];

/** Build both layers on the same input and give them the same (random, variances positive) weights. */
function buildBoth(c: Case, seed: number): [tg.Layer, tfl.layers.Layer] {
  const ours = c.ours();
  const theirs = c.theirs();
  const n = c.input.reduce((a, b) => a * b, 1);
  const xs = c.int ? Array.from({ length: n }, (_, i) => i % 5) : Array.from(rand(n, seed));
  ours.apply(tg.tensor(xs, c.input, c.int ? { dtype: 'int32' } : undefined));
  tf.tidy(() => void theirs.apply(tf.tensor(xs, c.input, c.int ? 'int32' : 'float32')));
  const values = theirs.getWeights().map((w, i) => {
    const v = rand(w.size, seed + 10 * (i + 1));
    return /variance/.test(theirs.weights[i].name) ? v.map((x) => 1 + Math.abs(x)) : v;
  });
  theirs.setWeights(values.map((v, i) => tf.tensor(v, theirs.weights[i].shape as number[])));
  ours.setWeights(values.map((v, i) => tg.tensor(v, [...ours.weights[i].value.shape])));
  return [ours, theirs];
}

describe('layer.calculateLosses() and layer.losses against TF.js', () => {
  for (const [i, c] of cases.entries())
    it(`${c.what}: the same penalties, in the same order`, () => {
      const [ours, theirs] = buildBoth(c, 31 + i);
      const expected = theirs.calculateLosses().map((t) => t.dataSync()[0]);
      expect(expected.length).toBeGreaterThan(0);
      const got = ours.calculateLosses().map((t) => t.item());
      expect(got).toHaveLength(expected.length);
      got.forEach((v, k) => expect(v).toBeCloseTo(expected[k], 5));
      // NOTE: TF.js's `losses` are functions computing these values; tapegrad's are the values (as Keras)
      expect(theirs.losses).toHaveLength(expected.length);
      expect(ours.losses.map((t) => t.item())).toEqual(got);
    });

  it('no penalty before the layer is built or without a regularizer, as TF.js', () => {
    const c = cases[0];
    expect(c.ours().calculateLosses()).toEqual([]);
    expect(c.theirs().calculateLosses()).toEqual([]);
    const plain = tg.layers.dense({ units: 2 });
    plain.apply(tg.zeros([1, 3]));
    expect(plain.losses).toEqual([]);
  });

  it('the penalties are differentiable: the gradient of an L2 penalty on the kernel is 2·l2·kernel', () => {
    const [ours] = buildBoth(cases[0], 5);
    const kernel = ours.weights[0].value;
    ours.losses[0].backward();
    const g = kernel.grad!;
    const want = Array.from(kernel.data as Float32Array, (v) => 2 * 0.1 * v);
    Array.from(g.data as Float32Array).forEach((v, k) => expect(v).toBeCloseTo(want[k], 6));
  });
});
