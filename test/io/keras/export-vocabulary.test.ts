// Exported configs use the target's own vocabulary: every layer config key of a `.keras` file is a keyword of that
// class's Keras 3 constructor (test/fixtures/keras-constructor-args.json), of a `.h5` file one of Keras 2's; and the
// exports still load back with the same predictions.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { isJsonObject, type JsonValue } from '../../../src/io/safe-json.js';
import { fixture } from './fixtures.js';

const args = JSON.parse(
  readFileSync(new URL('../../fixtures/keras-constructor-args.json', import.meta.url), 'utf8'),
) as Record<'keras3' | 'keras2', { base: string[]; classes: Record<string, string[]> }>;

/** Every (class, config) of a model config, nested models and wrapped layers included. */
function layerConfigs(entry: JsonValue, out: [string, Record<string, JsonValue>][] = []) {
  if (!isJsonObject(entry) || !isJsonObject(entry.config)) return out;
  const cls = String(entry.class_name);
  const cfg = entry.config;
  if (Array.isArray(cfg.layers)) {
    for (const l of cfg.layers) layerConfigs(l, out);
    return out;
  }
  out.push([cls, cfg]);
  for (const k of ['layer', 'backward_layer']) if (isJsonObject(cfg[k])) layerConfigs(cfg[k], out);
  return out;
}

/** Keys of each layer config that the target version's constructor would not take. */
async function unknownKeys(m: tg.Model, format: 'keras' | 'h5'): Promise<string[]> {
  const bytes = await tg.keras.saveModel(m, null, { format });
  const file = await tg.readKerasFile(bytes);
  const v = args[format === 'keras' ? 'keras3' : 'keras2'];
  const bad: string[] = [];
  for (const [cls, cfg] of layerConfigs(file.modelConfig!)) {
    const known = v.classes[cls];
    if (!known) {
      bad.push(`${cls}: class not in the ${format} list`);
      continue;
    }
    for (const k of Object.keys(cfg)) if (!known.includes(k) && !v.base.includes(k)) bad.push(`${cls}.${k}`);
  }
  return bad;
}

function codeModels(): tg.Model[] {
  tg.resetLayerNames();
  const cnn = tg.sequential({
    layers: [
      tg.layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [12, 12, 2], activation: 'relu' }),
      tg.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }),
      tg.layers.separableConv2d({ filters: 3, kernelSize: 3 }),
      tg.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 2 }),
      tg.layers.batchNormalization({}),
      tg.layers.maxPooling2d({ poolSize: 2 }),
      tg.layers.zeroPadding2d({ padding: 1 }),
      tg.layers.upSampling2d({ size: 2 }),
      tg.layers.globalAveragePooling2d({}),
      tg.layers.dense({ units: 5 }),
      tg.layers.leakyReLU({ alpha: 0.2 }),
      tg.layers.dropout({ rate: 0.1 }),
      tg.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  const rnn = tg.sequential({
    layers: [
      tg.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 6 }),
      tg.layers.bidirectional({ layer: tg.layers.lstm({ units: 3, returnSequences: true }) }),
      tg.layers.gru({ units: 2, returnSequences: true }),
      tg.layers.timeDistributed({ layer: tg.layers.dense({ units: 2 }) }),
      tg.layers.simpleRNN({ units: 2 }),
    ],
  });
  const a = tg.input({ shape: [6] });
  const b = tg.input({ shape: [6] });
  const ya = tg.layers.dense({ units: 4 }).apply(a) as tg.SymbolicTensor;
  const yb = tg.layers.reLU({ maxValue: 6 }).apply(b) as tg.SymbolicTensor;
  const cat = tg.layers
    .concatenate({})
    .apply([ya, tg.layers.dense({ units: 4 }).apply(yb) as tg.SymbolicTensor]);
  const fn = tg.model({
    inputs: [a, b],
    outputs: tg.layers.layerNormalization({}).apply(cat) as tg.SymbolicTensor,
  });
  return [cnn, rnn, fn];
}

describe('exported configs use the target version vocabulary', () => {
  it('the constructor lists cover the classes the exports use', () => {
    expect(Object.keys(args.keras3.classes).length).toBeGreaterThan(50);
    expect(args.keras3.base).not.toContain('batch_input_shape');
    expect(args.keras2.base).toContain('batch_input_shape');
  });
  for (const format of ['keras', 'h5'] as const)
    it(`models built in code, as .${format}`, async () => {
      for (const m of codeModels()) expect(await unknownKeys(m, format), m.name).toEqual([]);
    });
  it('.keras: InputLayer carries batch_shape, no layer carries batch_input_shape, no groups on DepthwiseConv2D', async () => {
    const [cnn] = codeModels();
    const file = await tg.readKerasFile(await tg.keras.saveModel(cnn, null, { format: 'keras' }));
    const cfgs = layerConfigs(file.modelConfig!);
    expect(cfgs[0][0]).toBe('InputLayer');
    expect(cfgs[0][1].batch_shape).toEqual([null, 12, 12, 2]);
    expect(cfgs.filter(([, c]) => 'batch_input_shape' in c)).toEqual([]);
    expect(cfgs.find(([c]) => c === 'DepthwiseConv2D')![1]).not.toHaveProperty('groups');
    expect(cfgs.find(([c]) => c === 'LeakyReLU')![1].negative_slope).toBeCloseTo(0.2);
    // .h5: Keras 2 words (alpha, batch_input_shape on the first layer)
    const h5 = await tg.readKerasFile(await tg.keras.saveModel(cnn, null, { format: 'h5' }));
    const h5cfgs = layerConfigs(h5.modelConfig!);
    expect(h5cfgs[0][1].batch_input_shape).toEqual([null, 12, 12, 2]);
    expect(h5cfgs.find(([c]) => c === 'LeakyReLU')![1].alpha).toBeCloseTo(0.2);
  });
  it('round trip: both exports load back with the same predictions', async () => {
    const [cnn, rnn, fn] = codeModels();
    // integer word indices in [0, 10) for the Embedding model, normal noise for the others
    const words = tg.tensor(
      Array.from({ length: 12 }, (_, j) => (j * 7) % 10),
      [2, 6],
    );
    const inputs = new Map<tg.Model, tg.Tensor[]>([
      [cnn, [tg.randn([2, 12, 12, 2], { rng: new tg.Rng(1) })]],
      [rnn, [words]],
      [fn, [tg.randn([2, 6], { rng: new tg.Rng(2) }), tg.randn([2, 6], { rng: new tg.Rng(3) })]],
    ]);
    for (const [m, xs] of inputs)
      for (const format of ['keras', 'h5'] as const) {
        const back = await tg.keras.loadModel(await tg.keras.saveModel(m, null, { format }));
        const x = xs.length === 1 ? xs[0] : xs;
        const y0 = m.predict(x) as tg.Tensor;
        const y1 = back.predict(x) as tg.Tensor;
        expect(Array.from(y1.data), `${m.name} .${format}`).toEqual(Array.from(y0.data));
      }
  });
  it('imported fixtures (Keras 1 and 2 files) export in each target vocabulary', async () => {
    // NOTE: rnn_134 uses Keras 2's hard_sigmoid, which the .keras writer refuses (Keras 3 defines it differently).
    const files: [string, ('keras' | 'h5')[]][] = [
      ['dl4j-tfkeras-sample/cnn2d_64.h5', ['keras', 'h5']],
      ['dl4j-tfkeras-sample/misc_0.h5', ['keras', 'h5']],
      ['dl4j-tfkeras-sample/rnn_134.h5', ['h5']],
      ['dl4j-cnn-batchnorm/cnn_batch_norm.h5', ['keras', 'h5']],
      ['dl4j-tiny-models/conv2d_tensorflow_1.h5', ['keras', 'h5']],
      ['dl4j-tiny-models/dense_theano_1.h5', ['keras', 'h5']],
    ];
    if (!existsSync(fixture('README.md'))) return;
    for (const [f, formats] of files) {
      const m = await tg.keras.loadModel(fixture(f));
      for (const format of formats) expect(await unknownKeys(m, format), `${f} .${format}`).toEqual([]);
    }
  });
  it('refuses to write a Keras 1/2 Lambda or a groups>1 Conv2DTranspose-free class into .keras', async () => {
    tg.keras.registerLayer('lam', (x) => x);
    try {
      const cfg = {
        class_name: 'Sequential',
        config: [
          {
            class_name: 'Lambda',
            config: {
              name: 'lam',
              function: [
                '4wEAAAAAAAAAAQAAAAEAAABDAAAAcwQAAAB8AFMAKQFOqQCpAdoBeHIBAAAAcgEAAAD6AS8=',
                null,
                null,
              ],
              function_type: 'lambda',
              batch_input_shape: [null, 3],
            },
          },
        ],
        keras_version: '2.1.6',
      };
      const m = tg.keras.modelFromJson(cfg);
      await expect(tg.keras.saveModel(m, null, { format: 'keras' })).rejects.toThrow(
        /layer 'lam' \(Lambda\) holds a Keras 1\/2 Lambda \(marshalled Python bytecode\)/,
      );
    } finally {
      tg.keras.registerLayer('lam', null);
    }
    const t = tg.sequential({ layers: [tg.layers.thresholdedReLU({ theta: 0.5, inputShape: [3] })] });
    await expect(tg.keras.saveModel(t, null, { format: 'keras' })).rejects.toThrow(
      /ThresholdedReLU, a class Keras 3 removed/,
    );
  });
});
