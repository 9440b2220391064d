// Every DL4J fixture model with Keras-computed outputs (conv1d, activations, small RNNs, MNIST MLPs, CNN with
// batch norm): loaded from the full-model .h5 and from config.json + weights.h5, predictions matched to Keras's.
import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import type { ModelSource } from '../../../src/io/keras/api.js';
import type { TypedArray } from '../../../src/core/dtype.js';
import { compare, fixture } from './fixtures.js';

const RTOL = 1e-4;
const ATOL = 1e-6;

interface IoCase {
  dir: string;
  base: string;
}
const cases: IoCase[] = ['dl4j-conv1d', 'dl4j-activations', 'dl4j-small-rnn', 'dl4j-mnist-mlp'].flatMap(
  (dir) =>
    readdirSync(fixture(dir))
      .filter((f) => f.endsWith('_inputs_and_outputs.h5'))
      .map((f) => ({ dir, base: f.replace('_inputs_and_outputs.h5', '') })),
);

const asF32 = (a: { data: TypedArray; shape: number[] }): tg.Tensor =>
  tg.tensor(a.data instanceof Float32Array ? a.data : Float32Array.from(a.data), a.shape);

async function check(model: tg.Model, io: tg.Hdf5File, label: string): Promise<void> {
  const inputs = io.datasetPaths('/inputs').map((p) => asF32(io.read(p)));
  const preds = io.datasetPaths('/predictions').map((p) => io.read(p));
  const y = model.predict(inputs.length === 1 ? inputs[0] : inputs);
  const ys = Array.isArray(y) ? y : [y];
  expect(ys.length).toBe(preds.length);
  ys.forEach((t, i) => {
    expect(t.shape).toEqual(preds[i].shape);
    const r = compare(t.data, preds[i].data, RTOL, ATOL);
    expect(r.ok, `${label}: ${r.worst}`).toBe(true);
  });
}

afterAll(() => tg.closeHdf5Worker());

describe('DL4J Keras fixtures with Keras-computed outputs', () => {
  it('finds the 64 input/output files', () => {
    expect(cases.length).toBe(64);
  });
  for (const { dir, base } of cases) {
    it(`${dir}/${base}`, async () => {
      const io = await tg.openHdf5(fixture(`${dir}/${base}_inputs_and_outputs.h5`));
      const files = readdirSync(fixture(dir));
      const hasPred = io.datasetPaths('/predictions').length > 0;
      const sources: [string, ModelSource][] = [
        [
          `${base} config+weights`,
          { config: fixture(`${dir}/${base}_config.json`), weights: fixture(`${dir}/${base}_weights.h5`) },
        ],
      ];
      if (files.includes(`${base}_model.h5`))
        sources.push([`${base}_model.h5`, fixture(`${dir}/${base}_model.h5`)]);
      for (const [label, src] of sources) {
        const m = await tg.keras.loadModel(src);
        expect(m.loadReport.ok, label).toBe(true);
        if (hasPred) await check(m, io, label);
        else {
          // simple_lstm_tf_keras_2 stores only inputs and training targets: the model must run and stay finite
          const x = asF32(io.read(io.datasetPaths('/inputs')[0]));
          const y = m.predict(x) as tg.Tensor;
          expect(y.shape).toEqual(io.read(io.datasetPaths('/outputs')[0]).shape);
          expect(Array.from(y.data).every(Number.isFinite)).toBe(true);
        }
      }
    });
  }
  it('dl4j-cnn-batchnorm: Conv2D → BatchNormalization → Conv2D → Dense matches predictions.npy', async () => {
    const m = await tg.keras.loadModel(fixture('dl4j-cnn-batchnorm/cnn_batch_norm.h5'));
    const x = tg.cast(tg.readNpy(fixture('dl4j-cnn-batchnorm/input.npy')), 'float32');
    const want = tg.readNpy(fixture('dl4j-cnn-batchnorm/predictions.npy'));
    const y = m.predict(x) as tg.Tensor;
    expect(y.shape).toEqual(want.shape);
    const r = compare(y.data, want.data, RTOL, ATOL);
    expect(r.ok, r.worst).toBe(true);
  });
});
