// Fixture models without Keras-computed outputs: each loads, reports the parameter count that the fixture's
// inventory (written with h5py) gives, and predicts finite values of the right shape; Theano kernels convolve.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import type { ModelSource } from '../../../src/io/keras/api.js';
import { fixture } from './fixtures.js';

type Inv = Record<
  string,
  {
    datasets?: Record<string, number[]>;
    weights?: Record<string, number[]>;
    weights_h5?: Record<string, number[]>;
  }
>;
const inventory = (dir: string): Inv =>
  JSON.parse(readFileSync(fixture(`${dir}/inventory.json`), 'utf8')) as Inv;
/** Parameter count from the inventory: every stored weight array except optimizer state. */
function invParams(dir: string, file: string): number {
  const rec = inventory(dir)[file];
  const ds = rec.datasets ?? rec.weights ?? rec.weights_h5 ?? {};
  return Object.entries(ds)
    .filter(([k]) => !/^\/?optimizer/.test(k))
    .reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0);
}

interface Fx {
  label: string;
  src: ModelSource;
  dir: string;
  invFile: string;
  out: (number | null)[];
}
const F = (dir: string, f: string) => fixture(`${dir}/${f}`);
const cases: Fx[] = [
  ...['cnn1d_18', 'cnn2d_64', 'misc_0', 'mlp_0', 'rnn_134'].map((n) => ({
    label: `tf.keras ${n}`,
    src: F('dl4j-tfkeras-sample', `${n}.h5`),
    dir: 'dl4j-tfkeras-sample',
    invFile: `${n}.h5`,
    out: [],
  })),
  ...['conv2d', 'dense', 'lstm', 'simple_rnn'].flatMap((n) =>
    ['tensorflow_1', 'tensorflow_2', 'theano_1', 'theano_2'].map((s) => ({
      label: `tiny ${n}_${s}`,
      src: F('dl4j-tiny-models', `${n}_${s}.h5`),
      dir: 'dl4j-tiny-models',
      invFile: `${n}_${s}.h5`,
      out: [],
    })),
  ),
  ...[
    'KERAS_3layer',
    'KERAS_3layer_batch_norm',
    'KERAS_conv1d_small',
    'KERAS_conv2d_model',
    'jetTagger_Conv2D_Small',
  ].map((n) => ({
    label: `hls4ml ${n}`,
    src: {
      config: F('hls4ml-weights-only', `${n}.json`),
      weights: F('hls4ml-weights-only', `${n}_weights.h5`),
    },
    dir: 'hls4ml-weights-only',
    invFile: `${n}_weights.h5`,
    out: [],
  })),
  {
    label: 'Keras 1 "th" MNIST CNN',
    src: {
      config: F('dl4j-mnist-cnn-keras1-th', 'mnist_cnn_th_keras_1_config.json'),
      weights: F('dl4j-mnist-cnn-keras1-th', 'mnist_cnn_th_keras_1_weights.h5'),
    },
    dir: 'dl4j-mnist-cnn-keras1-th',
    invFile: 'mnist_cnn_th_keras_1_weights.h5',
    out: [null, 10],
  },
  {
    label: 'Keras 3 .keras MLP',
    src: F('keras3-mnist-mlp', 'Digit_Recognition_MLP.keras'),
    dir: 'keras3-mnist-mlp',
    invFile: 'Digit_Recognition_MLP.keras',
    out: [null, 10],
  },
  {
    label: 'TF.js layers model',
    src: F('tfjs-ux-simplernn', 'model.json'),
    dir: 'tfjs-ux-simplernn',
    invFile: 'model.json',
    out: [null, 3],
  },
];

function inputShapes(m: tg.Model): (number | null)[][] {
  const fm = m as unknown as { inputs?: { shape: (number | null)[] }[]; batchInputShape?: (number | null)[] };
  return fm.inputs ? fm.inputs.map((t) => t.shape) : [fm.batchInputShape!];
}

afterAll(() => tg.closeHdf5Worker());

describe('fixture models without stored outputs', () => {
  for (const c of cases) {
    it(c.label, async () => {
      const m = await tg.keras.loadModel(c.src);
      expect(m.loadReport.ok).toBe(true);
      expect(m.loadReport.params.total).toBe(invParams(c.dir, c.invFile));
      expect(m.countParams()).toBe(invParams(c.dir, c.invFile));
      const xs = inputShapes(m).map((s) => tg.floor(tg.mul(tg.rand(s.map((d) => d ?? 3)), 5)));
      const y = m.predict(xs.length === 1 ? xs[0] : xs) as tg.Tensor;
      expect(Array.from(y.data).every(Number.isFinite)).toBe(true);
      if (c.out.length) expect([null, ...y.shape.slice(1)]).toEqual(c.out);
    });
  }
  it('Theano-saved kernels are true convolutions: the Theano model equals a naive flipped-kernel convolution', async () => {
    for (const [file, flip] of [
      ['conv2d_theano_1.h5', true],
      ['conv2d_theano_2.h5', true],
      ['conv2d_tensorflow_1.h5', false],
      ['conv2d_tensorflow_2.h5', false],
    ] as const) {
      const m = await tg.keras.loadModel(F('dl4j-tiny-models', file));
      const stored = await tg.readKerasFile(F('dl4j-tiny-models', file));
      const [kw, bw] = stored.layers.find((l) => l.weights.length)!.weights;
      const [kh, kwid, cin, cout] = kw.shape;
      const x = tg.randn([1, 5, 5, cin]);
      const y = m.predict(x) as tg.Tensor;
      // naive: y[i,j,o] = b[o] + Σ x[i+a, j+b, c] · K[a', b', c, o], a' = flip ? kh-1-a : a
      const oh = 5 - kh + 1;
      const ow = 5 - kwid + 1;
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          for (let o = 0; o < cout; o++) {
            let s = bw.data[o];
            for (let a = 0; a < kh; a++)
              for (let b = 0; b < kwid; b++)
                for (let ci = 0; ci < cin; ci++) {
                  const ka = flip ? kh - 1 - a : a;
                  const kb = flip ? kwid - 1 - b : b;
                  s +=
                    x.data[((i + a) * 5 + (j + b)) * cin + ci] *
                    kw.data[((ka * kwid + kb) * cin + ci) * cout + o];
                }
            expect(Math.abs(y.data[(i * ow + j) * cout + o] - s)).toBeLessThanOrEqual(
              1e-5 * Math.abs(s) + 1e-4,
            );
          }
      expect(m.loadReport.backend).toBe(file.includes('theano') ? 'theano' : 'tensorflow');
    }
  });
});
