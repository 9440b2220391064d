// Nested models that mix things (an audit of the nested-node numbering of nested-nodes.ts with the weights code):
// BatchNormalization's non-trainable weights inside a nested model (Keras's .h5 order: a nested model's trainable
// weights, then its non-trainable ones), a model nested two levels deep, a nested model called on an intermediate
// tensor, a nested model called twice whose first call's output is unused. The reference is real tfjs-layers:
// models it builds and saves are loaded by tapegrad and predict as TF.js does; tapegrad's TF.js files load in
// tfjs-layers (strict) and predict the same; .h5 and .keras round trips keep every output. A layer held by two
// models of the file (a nested model also nested inside another) is refused for TF.js, whose loader throws on it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { KerasImportError } from '../../../src/io/keras/errors.js';
import { throwsA } from '../../support/throws.js';
import { compare } from './fixtures.js';
import { expectSamePredictions, randomInput, tf, tfjsLoad, tfl, uniform, useCpu } from './tfjs-reference.js';

const dirs: string[] = [];
beforeAll(useCpu);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  tg.closeHdf5Worker();
});

const K = tfl.layers;

/** Every TF.js weight set to values in [0.3, 1.3) (moving variances positive), deterministic. */
function randomizeTfjs(m: tfl.LayersModel, seed: number): void {
  m.setWeights(m.getWeights().map((w, i) => tf.tensor(uniform(w.size, seed + i, 0.3, 1.3), w.shape)));
}

/** What tfjs-layers' own model.save writes, loaded by tapegrad from model.json + one shard. */
async function tfjsSavedToTapegrad(m: tfl.LayersModel): Promise<tg.Model> {
  let a: tf.io.ModelArtifacts | null = null;
  await m.save(
    tf.io.withSaveHandler(async (got) => {
      a = got;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const art = a! as tf.io.ModelArtifacts;
  const dir = mkdtempSync(join(tmpdir(), 'tg-nested-audit-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, 'model.json'),
    JSON.stringify({
      format: 'layers-model',
      modelTopology: art.modelTopology,
      weightsManifest: [{ paths: ['w.bin'], weights: art.weightSpecs }],
    }),
  );
  writeFileSync(join(dir, 'w.bin'), new Uint8Array(art.weightData as ArrayBuffer));
  const back = await tg.keras.loadModel(join(dir, 'model.json'));
  expect(back.loadReport.ok).toBe(true);
  return back;
}

/** tapegrad's outputs before and after a round trip through a format, to a float32 rounding. */
function expectSameOutputs(what: string, a: tg.Model, b: tg.Model, x: tg.Tensor): void {
  const ya = a.predict(x) as tg.Tensor;
  const yb = b.predict(x) as tg.Tensor;
  expect(yb.shape, what).toEqual(ya.shape);
  const c = compare(yb.data as ArrayLike<number>, ya.data as ArrayLike<number>, 1e-6, 1e-7);
  if (!c.ok) throw new Error(`${what}: ${c.worst}`);
}

/**
 * x → pre (Dense) → inner2 (Dense, BN; its first call on x is unused) → mid (BN → inner (Dense, BN, Dense) → Dense)
 * → out (Dense), built in tfjs-layers.
 */
function mixedTfjs(): tfl.LayersModel {
  const ii = tfl.input({ shape: [3], name: 'in_in' });
  const ih = K.dense({ units: 4, name: 'in_d' }).apply(ii) as tfl.SymbolicTensor;
  const ib = K.batchNormalization({ name: 'in_bn' }).apply(ih) as tfl.SymbolicTensor;
  const inner = tfl.model({
    inputs: ii,
    outputs: K.dense({ units: 3, name: 'in_d2' }).apply(ib) as tfl.SymbolicTensor,
    name: 'inner',
  });
  const mi = tfl.input({ shape: [3], name: 'mid_in' });
  const mb = K.batchNormalization({ name: 'mid_bn' }).apply(mi) as tfl.SymbolicTensor;
  const mid = tfl.model({
    inputs: mi,
    outputs: K.dense({ units: 3, name: 'mid_d' }).apply(
      inner.apply(mb) as tfl.SymbolicTensor,
    ) as tfl.SymbolicTensor,
    name: 'mid',
  });
  const i2 = tfl.input({ shape: [3], name: 'i2_in' });
  const i2h = K.dense({ units: 3, name: 'i2_d' }).apply(i2) as tfl.SymbolicTensor;
  const inner2 = tfl.model({
    inputs: i2,
    outputs: K.batchNormalization({ name: 'i2_bn' }).apply(i2h) as tfl.SymbolicTensor,
    name: 'inner2',
  });
  const x = tfl.input({ shape: [3], name: 'x' });
  inner2.apply(x); // a first call whose output the model does not use
  const h = K.dense({ units: 3, name: 'pre' }).apply(x) as tfl.SymbolicTensor;
  const m = mid.apply(inner2.apply(h) as tfl.SymbolicTensor) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: K.dense({ units: 2, name: 'out' }).apply(m) as tfl.SymbolicTensor });
}

describe('nested models that mix BatchNormalization, two levels, intermediate inputs and unused calls', () => {
  const x = randomInput([5, 3], 61);

  it('tfjs-layers saves it; tapegrad loads it and predicts as TF.js; its TF.js, .h5 and .keras files keep that', async () => {
    const tm = mixedTfjs();
    randomizeTfjs(tm, 7);
    const m = await tfjsSavedToTapegrad(tm);
    // outputs reach ~1e3 after three BatchNormalizations with small variances: relative tolerance
    expectSamePredictions('tfjs-layers file in tapegrad', m, tm, [x], 1e-5, 1e-4);
    expectSamePredictions(
      'tapegrad → TF.js',
      m,
      await tfjsLoad(tg.keras.toTfjsArtifacts(m)),
      [x],
      1e-5,
      1e-4,
    );
    for (const format of ['h5', 'keras'] as const)
      expectSameOutputs(
        format,
        m,
        await tg.keras.loadModel(await tg.keras.saveModel(m, null, { format })),
        x,
      );
  });

  it('.h5: a nested model lists its trainable weights, then its non-trainable ones (as Keras writes and reads by position)', async () => {
    const inner = tg.sequential({
      name: 'inner',
      layers: [
        tg.layers.dense({ units: 4, inputShape: [3], name: 'id' }),
        tg.layers.batchNormalization({ name: 'ibn' }),
        tg.layers.dense({ units: 3, name: 'id2' }),
      ],
    });
    const xi = tg.input({ shape: [3], name: 'x' });
    const y = tg.layers.dense({ units: 2, name: 'out' }).apply(inner.apply(xi)) as tg.SymbolicTensor;
    const m = tg.model({ inputs: xi, outputs: y, name: 'outer' });
    const f = await tg.openHdf5(await tg.keras.saveModel(m, null, { format: 'h5' }));
    // Keras 2's save_weights_to_hdf5_group: weight_names = layer.trainable_weights + layer.non_trainable_weights
    expect(f.attrStrings('/model_weights/inner', 'weight_names')).toEqual([
      'id/kernel:0',
      'id/bias:0',
      'ibn/gamma:0',
      'ibn/beta:0',
      'id2/kernel:0',
      'id2/bias:0',
      'ibn/moving_mean:0',
      'ibn/moving_variance:0',
    ]);
  });

  it('a model nested in two places (also inside another nested model): .h5/.keras keep it, TF.js is refused by name', async () => {
    const ii = tg.input({ shape: [3], name: 'in_in' });
    const inner = tg.model({
      inputs: ii,
      outputs: tg.layers.dense({ units: 3, name: 'in_d' }).apply(ii) as tg.SymbolicTensor,
      name: 'inner',
    });
    const mi = tg.input({ shape: [3], name: 'mid_in' });
    const md = tg.layers.dense({ units: 3, name: 'mid_d' }).apply(inner.apply(mi)) as tg.SymbolicTensor;
    const mid = tg.model({ inputs: mi, outputs: md, name: 'mid' });
    const xi = tg.input({ shape: [3], name: 'x' });
    const m = tg.model({
      inputs: xi,
      outputs: mid.apply(inner.apply(xi)) as tg.SymbolicTensor,
      name: 'outer',
    });
    for (const format of ['h5', 'keras'] as const)
      expectSameOutputs(
        format,
        m,
        await tg.keras.loadModel(await tg.keras.saveModel(m, null, { format })),
        x,
      );
    // tfjs-layers cannot load such a file, not even one it saved itself (checked: "Duplicate weight name: in_d/kernel")
    throwsA(KerasImportError, () => tg.keras.toTfjsArtifacts(m), [
      "layer 'in_d' (Dense) is held by more than one model of the file",
      'Duplicate weight name',
    ]);
  });
});
