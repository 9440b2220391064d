// TF.js layers-model export (tg.keras.toTfjsArtifacts, saveModel to model.json), checked against real
// @tensorflow/tfjs-layers: it must load what tapegrad writes (strictly, every weight by name) and predict the same.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { TFJS_ACTIVATIONS, TFJS_CLASSES } from '../../../src/io/keras/save-tfjs.js';
import { compare } from './fixtures.js';
import {
  expectSamePredictions,
  randomInput,
  randomizeWeights,
  tfjsLoad,
  tfjsRegisteredClasses,
  uniform,
  useCpu,
} from './tfjs-reference.js';

const dirs: string[] = [];
beforeAll(useCpu);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  tg.closeHdf5Worker();
});

const x = randomInput;

/** Export in memory, load in TF.js, compare; then write files, read them back with tapegrad and TF.js, compare. */
async function check(what: string, m: tg.Model, xs: tg.Tensor[], readBack = true): Promise<void> {
  const a = tg.keras.toTfjsArtifacts(m);
  expectSamePredictions(`${what} (TF.js, in memory)`, m, await tfjsLoad(a), xs);
  const dir = mkdtempSync(join(tmpdir(), 'tg-tfjs-'));
  dirs.push(dir);
  const path = join(dir, 'model.json');
  const bytes = await tg.keras.saveModel(m, path);
  expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
  const json = JSON.parse(readFileSync(path, 'utf8'));
  expect(json.weightsManifest).toHaveLength(1);
  expect(json.weightsManifest[0].paths).toEqual(['group1-shard1of1.bin']);
  const shard = readFileSync(join(dir, 'group1-shard1of1.bin'));
  // the files as TF.js's own file loader hands them over
  const fromFiles = {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest[0].weights,
    weightData: shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength),
  };
  expectSamePredictions(`${what} (TF.js, from the files)`, m, await tfjsLoad(fromFiles), xs);
  if (!readBack) return;
  const back = await tg.keras.loadModel(path);
  expect(back.loadReport.ok).toBe(true);
  const y0 = m.predict(xs.length === 1 ? xs[0] : xs);
  const y1 = back.predict(xs.length === 1 ? xs[0] : xs);
  const a0 = Array.isArray(y0) ? y0 : [y0];
  const a1 = Array.isArray(y1) ? y1 : [y1];
  a0.forEach((t, i) => {
    const c = compare(a1[i].data as ArrayLike<number>, t.data as ArrayLike<number>, 1e-6, 1e-7);
    if (!c.ok) throw new Error(`${what}: tapegrad's read-back output ${i} differs: ${c.worst}`);
  });
}

describe('TF.js export against real tfjs-layers', () => {
  it('every class and activation the writer allows is one tfjs-layers registers', () => {
    const reg = tfjsRegisteredClasses();
    const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    expect([...TFJS_CLASSES].filter((c) => !reg.has(c))).toEqual([]);
    expect([...TFJS_ACTIVATIONS].filter((a) => !reg.has(camel(a)) && !reg.has(a))).toEqual([]);
  });

  it('Conv2D (same/valid, strides, dilation), pooling, BatchNormalization, Dropout, Flatten, Dense', async () => {
    const m = tg.sequential({
      name: 'cnn',
      layers: [
        tg.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', inputShape: [11, 10, 3] }),
        tg.layers.batchNormalization(),
        tg.layers.conv2d({
          filters: 5,
          kernelSize: [3, 2],
          dilationRate: 2,
          padding: 'valid',
          activation: 'relu',
        }),
        tg.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same' }),
        tg.layers.averagePooling2d({ poolSize: 2 }),
        tg.layers.dropout({ rate: 0.3 }),
        tg.layers.flatten(),
        tg.layers.dense({ units: 6, activation: 'softmax' }),
      ],
    });
    randomizeWeights(m, 1);
    await check('cnn', m, [x([2, 11, 10, 3], 2)]);
  });

  it('Conv1D (same/valid, strides, dilation), 1-D pooling, GlobalAveragePooling1D', async () => {
    const m = tg.sequential({
      layers: [
        tg.layers.conv1d({ filters: 4, kernelSize: 3, padding: 'same', strides: 2, inputShape: [17, 3] }),
        tg.layers.conv1d({ filters: 3, kernelSize: 2, dilationRate: 2, padding: 'same', activation: 'tanh' }),
        tg.layers.maxPooling1d({ poolSize: 2 }),
        tg.layers.conv1d({ filters: 3, kernelSize: 2, padding: 'valid', activation: 'elu' }),
        tg.layers.averagePooling1d({ poolSize: 2, strides: 1 }),
        tg.layers.globalAveragePooling1d(),
      ],
    });
    randomizeWeights(m, 3);
    await check('conv1d', m, [x([3, 17, 3], 4)]);
  });

  it('Embedding, LSTM and GRU (returnSequences), SimpleRNN, Reshape', async () => {
    const m = tg.sequential({
      layers: [
        tg.layers.embedding({ inputDim: 12, outputDim: 4, inputLength: 6, inputShape: [6] } as never),
        tg.layers.lstm({ units: 5, returnSequences: true }),
        tg.layers.gru({ units: 4, returnSequences: true, resetAfter: false } as never),
        tg.layers.simpleRNN({ units: 6 }),
        tg.layers.reshape({ targetShape: [2, 3] }),
      ],
    });
    randomizeWeights(m, 5);
    const ids = tg.tensor(
      Int32Array.from(uniform(12, 6, 0, 12), (v) => Math.floor(v)),
      [2, 6],
      {
        dtype: 'int32',
      },
    );
    await check('recurrent', m, [ids]);
  });

  it('functional: Add, Concatenate, Bidirectional, TimeDistributed, GlobalMaxPooling2D, two inputs and outputs', async () => {
    const seq = tg.input({ shape: [5, 3], name: 'seq' });
    const img = tg.input({ shape: [6, 6, 2], name: 'img' });
    const bi = tg.layers
      .bidirectional({ layer: tg.layers.lstm({ units: 4, returnSequences: true }) as never, name: 'bi' })
      .apply(seq) as tg.SymbolicTensor;
    const td = tg.layers
      .timeDistributed({ layer: tg.layers.dense({ units: 8 }), name: 'td' })
      .apply(bi) as tg.SymbolicTensor;
    const summed = tg.layers.add({ name: 'sum' }).apply([bi, td]) as tg.SymbolicTensor;
    const rnn = tg.layers.simpleRNN({ units: 3, name: 'rnn' }).apply(summed) as tg.SymbolicTensor;
    const conv = tg.layers
      .conv2d({ filters: 3, kernelSize: 3, activation: 'relu', name: 'conv' })
      .apply(img) as tg.SymbolicTensor;
    const pooled = tg.layers.globalMaxPooling2d({ name: 'gmp' }).apply(conv) as tg.SymbolicTensor;
    const cat = tg.layers.concatenate({ name: 'cat' }).apply([rnn, pooled]) as tg.SymbolicTensor;
    const out = tg.layers
      .dense({ units: 4, activation: 'sigmoid', name: 'out' })
      .apply(cat) as tg.SymbolicTensor;
    const m = tg.model({ inputs: [seq, img], outputs: [out, pooled], name: 'two_towers' });
    randomizeWeights(m, 7);
    await check('functional', m, [x([2, 5, 3], 8), x([2, 6, 6, 2], 9)]);
  });

  it('a nested Sequential (called after a Dense, its output also a model output) loads and predicts in TF.js', async () => {
    const a = tg.input({ shape: [3], name: 'a' });
    const d = tg.layers.dense({ units: 6, activation: 'tanh', name: 'd' }).apply(a) as tg.SymbolicTensor;
    const head = tg.sequential({
      name: 'head',
      layers: [
        tg.layers.dense({ units: 4, inputShape: [6], name: 'head_dense' }),
        tg.layers.batchNormalization({ name: 'head_bn' }),
      ],
    });
    const m = tg.model({ inputs: a, outputs: [head.apply(d) as tg.SymbolicTensor, d], name: 'outer' });
    randomizeWeights(m, 13);
    const names = tg.keras.toTfjsArtifacts(m).weightSpecs.map((w) => w.name);
    expect(names).toEqual([
      'd/kernel',
      'd/bias',
      'head_dense/kernel',
      'head_dense/bias',
      'head_bn/gamma',
      'head_bn/beta',
      'head_bn/moving_mean',
      'head_bn/moving_variance',
    ]);
    // TF.js (and Keras 2) count the nested model's own input node first: calls are nodes 1, 2, ... (nested-nodes.ts)
    await check('nested', m, [x([4, 3], 14)]);
  });

  it('Dense activations that TF.js names the same compute the same', async () => {
    for (const activation of [
      'selu',
      'softplus',
      'softsign',
      'relu6',
      'gelu',
      'mish',
      'swish',
      'log_softmax',
    ]) {
      const m = tg.sequential({
        layers: [tg.layers.dense({ units: 5, activation: activation as never, inputShape: [4] })],
      });
      randomizeWeights(m, 11);
      await check(`dense ${activation}`, m, [x([3, 4], 12)]);
    }
  });

  it('refuses by name what TF.js cannot load or would compute differently, and writes no file', async () => {
    const p = tg.input({ shape: [3], name: 'p' });
    const q = tg.input({ shape: [3], name: 'q' });
    const diff = tg.layers.subtract({ name: 'diff' }).apply([p, q]) as tg.SymbolicTensor;
    const sub = tg.model({ inputs: [p, q], outputs: diff });
    const dir = mkdtempSync(join(tmpdir(), 'tg-tfjs-'));
    dirs.push(dir);
    await expect(tg.keras.saveModel(sub, join(dir, 'model.json'))).rejects.toThrow(
      /layer 'diff' \(Subtract\) has no TF\.js layers class/,
    );
    expect(existsSync(join(dir, 'model.json')) || existsSync(join(dir, 'group1-shard1of1.bin'))).toBe(false);
    // TF.js's GRUCell throws on reset_after=true (tapegrad's default, as Keras 2.3+/3)
    const gru = tg.sequential({ layers: [tg.layers.gru({ units: 2, inputShape: [4, 3], name: 'g' })] });
    expect(() => tg.keras.toTfjsArtifacts(gru)).toThrow(/layer 'g' \(GRU\) has reset_after=true/);
    // tg.layers' hard_sigmoid is Keras 3's relu6(x+3)/6; TF.js would compute clip(0.2x+0.5, 0, 1)
    const hs = tg.sequential({
      layers: [
        tg.layers.dense({ units: 2, activation: 'hardSigmoid' as never, inputShape: [3], name: 'hs' }),
      ],
    });
    expect(() => tg.keras.toTfjsArtifacts(hs)).toThrow(/layer 'hs' \(Dense\) uses hard_sigmoid/);
    // TF.js loads a causal Conv1D but throws NotImplementedError when it runs
    const causal = tg.sequential({
      layers: [
        tg.layers.conv1d({ filters: 2, kernelSize: 2, padding: 'causal', inputShape: [5, 1], name: 'c' }),
      ],
    });
    expect(() => tg.keras.toTfjsArtifacts(causal)).toThrow(/layer 'c' \(Conv1D\) has padding 'causal'/);
  });
});
