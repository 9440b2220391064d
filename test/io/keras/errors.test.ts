// Bad input to the Keras importer: unknown and Lambda layers (with user registrations and the skeleton printer),
// unsupported options, hostile JSON keys, weight mismatches (all listed at once), and files that are not models.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { KerasImportError, UnknownLayerError, WeightMismatchError } from '../../../src/io/keras/api.js';
import { fixture } from './fixtures.js';

const seq = (layers: unknown[], version = '2.2.4') => ({
  class_name: 'Sequential',
  keras_version: version,
  config: { name: 's', layers },
});
const dense = (name: string, units: number, extra: Record<string, unknown> = {}) => ({
  class_name: 'Dense',
  config: { name, units, ...extra },
});

afterEach(() => tg.keras.clearRegisteredLayers());
afterAll(() => tg.closeHdf5Worker());

describe('unknown layers', () => {
  const cfg = seq([
    dense('d1', 3, { batch_input_shape: [null, 4] }),
    { class_name: 'MyScale', config: { name: 'scale_1', factor: 2, trainable: true } },
    { class_name: 'MyGate', config: { name: 'gate_1' } },
  ]);
  it('lists every unknown layer at once with its class and config keys', () => {
    let err: unknown;
    try {
      tg.keras.modelFromJson(cfg);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnknownLayerError);
    const u = err as UnknownLayerError;
    expect(u.layers.map((l) => [l.layerName, l.className])).toEqual([
      ['scale_1', 'MyScale'],
      ['gate_1', 'MyGate'],
    ]);
    expect(u.layers[0].configKeys).toEqual(['name', 'factor', 'trainable']);
    expect(u.message).toMatch(/layer 'scale_1': class 'MyScale'; config keys: name, factor, trainable/);
    expect(u.message).toMatch(/registerLayer/);
  });
  it('a registered plain function (by class name) implements the layer, with its config', () => {
    tg.keras.registerLayer('MyScale', (x, _w, config) => tg.mul(x as tg.Tensor, config.factor as number));
    tg.keras.registerLayer('MyGate', (x) => tg.sigmoid(x as tg.Tensor));
    const m = tg.keras.modelFromJson(cfg);
    const [k, b] = m.getWeights();
    const x = tg.tensor([[1, 2, 3, 4]]);
    const y = m.predict(x) as tg.Tensor;
    for (let j = 0; j < 3; j++) {
      let s = b.data[j];
      for (let i = 0; i < 4; i++) s += x.data[i] * k.data[i * 3 + j];
      expect(y.data[j]).toBeCloseTo(1 / (1 + Math.exp(-2 * s)), 5);
    }
  });
  it('the skeleton printer writes registerLayer code with the stored weight shapes', () => {
    const text = tg.keras.layerSkeleton({
      layerName: 'attn_1',
      className: 'MyAttention',
      configKeys: ['units', 'heads'],
      weights: [
        { name: 'attn_1/kernel:0', shape: [8, 4] },
        { name: 'attn_1/bias:0', shape: [4] },
      ],
    });
    expect(text).toMatch(/tg\.keras\.registerLayer\('MyAttention'/);
    expect(text).toMatch(/\{ name: 'kernel', shape: \[8, 4\] \}/);
    expect(text).toMatch(/const \[kernel, bias\] = weights;/);
    expect(text).toMatch(/config keys: units, heads/);
  });
});

describe('Lambda layers', () => {
  // a Lambda as Keras 2 serialises it: marshalled Python bytecode (base64), never executed
  const lam = seq([
    dense('d1', 2, { batch_input_shape: [null, 3] }),
    {
      class_name: 'Lambda',
      config: {
        name: 'lambda_1',
        function: [
          '4wEAAAAAAAAAAQAAAAIAAABDAAAAcwgAAAB8AGQBFABTACkCTukCAAAAqQCpAdoBeHIDAAAAcgMAAAD6HjxpcHl0aG9uLWlucHV0LTItN2Q4N2Q5ZmYwYjFjPtoIPGxhbWJkYT4BAAAA8wAAAAA=',
          null,
          null,
        ],
        function_type: 'lambda',
        output_shape: null,
        arguments: {},
      },
    },
  ]);
  it('are refused, naming the layer, and never run', () => {
    let err: any;
    try {
      tg.keras.modelFromJson(lam);
    } catch (e) {
      err = e;
    }
    expect(err?.message).toMatch(
      /layer 'lambda_1': class 'Lambda' \(holds Python code, which tapegrad never runs: register it by layer name\)/,
    );
    expect(err.layers.map((u: any) => [u.layerName, u.className])).toEqual([['lambda_1', 'Lambda']]);
    expect(tg.keras.layerSkeleton(err.layers[0])).toContain('lambda_1');
  });
  it('can be implemented by layer name', () => {
    tg.keras.registerLayer('lambda_1', (x) => tg.mul(x as tg.Tensor, 2));
    const m = tg.keras.modelFromJson(lam);
    const x = tg.tensor([[1, -1, 0.5]]);
    const d = m.layers[0].apply(x) as tg.Tensor;
    const y = m.predict(x) as tg.Tensor;
    expect(Array.from(y.data)).toEqual(Array.from(d.data).map((v) => v * 2));
  });
});

describe('configs', () => {
  it('unsupported options name the file, layer and field', () => {
    const bad = seq([
      {
        class_name: 'Conv2D',
        config: {
          name: 'c1',
          filters: 2,
          kernel_size: [3, 3],
          padding: 'reflect',
          batch_input_shape: [null, 5, 5, 1],
        },
      },
    ]);
    expect(() => tg.keras.modelFromJson(bad, { source: 'net.json' })).toThrow(
      /net\.json: layer 'c1' \(Conv2D\): field 'padding': "reflect" is not supported \(supported: 'valid', 'same'\)/,
    );
    const k1 = {
      class_name: 'Sequential',
      keras_version: '1.2.2',
      config: [
        { class_name: 'BatchNormalization', config: { name: 'bn', mode: 3, batch_input_shape: [null, 4] } },
      ],
    };
    // modes 1 and 2 are implemented (keras1-layers.test.ts); other values are not Keras 1 modes
    expect(() => tg.keras.modelFromJson(k1)).toThrow(
      /layer 'bn' \(BatchNormalization, Keras 1\): field 'mode': mode 3 is not a Keras 1 BatchNormalization mode/,
    );
    expect(() => tg.keras.modelFromJson(seq([dense('d', -3, { batch_input_shape: [null, 2] })]))).toThrow(
      /layer 'd' \(Dense\): field 'units': must be at least 1/,
    );
    expect(() =>
      tg.keras.modelFromJson(seq([dense('d', 3, { activation: 'wiggle', batch_input_shape: [null, 2] })])),
    ).toThrow(/field 'activation': unknown activation 'wiggle'/);
  });
  it('__proto__ and constructor keys change nothing', () => {
    const text = JSON.stringify(seq([dense('d1', 2, { batch_input_shape: [null, 3] })])).replace(
      '"units":2',
      '"units":2,"__proto__":{"polluted":true,"units":99},"constructor":{"prototype":{"polluted":true}}',
    );
    const m = tg.keras.modelFromJson(text);
    expect(m.countParams()).toBe(3 * 2 + 2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });
  it('broken graphs are clear errors', () => {
    const f = {
      class_name: 'Model',
      config: {
        name: 'm',
        layers: [
          {
            name: 'in',
            class_name: 'InputLayer',
            config: { batch_input_shape: [null, 3] },
            inbound_nodes: [],
          },
          { name: 'd', class_name: 'Dense', config: { units: 2 }, inbound_nodes: [[['nowhere', 0, 0, {}]]] },
        ],
        input_layers: [['in', 0, 0]],
        output_layers: [['d', 0, 0]],
      },
    };
    expect(() => tg.keras.modelFromJson(f)).toThrow(
      /cannot connect layer 'd'.*nowhere\[0\]\[0\] is never produced/,
    );
    expect(() => tg.keras.modelFromJson({ class_name: 'Sequential', config: 'nope' })).toThrow(
      KerasImportError,
    );
    expect(() => tg.keras.modelFromJson('{"class_name": "Sequential", "config": [')).toThrow(
      /not valid JSON/,
    );
  });
});

describe('weights that do not fit', () => {
  const d = 'dl4j-mnist-mlp/mnist_mlp_tf_keras_2';
  const wrongArch = () => {
    const c = JSON.parse(readFileSync(fixture(`${d}_config.json`), 'utf8'));
    const layers = Array.isArray(c.config) ? c.config : c.config.layers;
    layers[0].config.units = 256; // dense_1 512 → 256: kernel and bias of dense_1 and the kernel of dense_2 no longer fit
    return c;
  };
  it('strict loading lists every problem at once', async () => {
    let err: unknown;
    try {
      await tg.keras.loadModel({ config: wrongArch(), weights: fixture(`${d}_weights.h5`) });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WeightMismatchError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/3 problems/);
    expect(msg).toMatch(
      /layer 'dense_1' \(Dense\): weight 'kernel' expects shape \(784, 256\) but the stored 'dense_1\/kernel:0' has shape \(784, 512\)/,
    );
    expect(msg).toMatch(/weight 'bias' expects shape \(256,\)/);
    expect(msg).toMatch(/layer 'dense_2' \(Dense\): weight 'kernel' expects shape \(256, 512\)/);
  });
  it('lenient loading reports matched / shape mismatch per weight and loads the rest', async () => {
    const m = await tg.keras.loadModel(
      { config: wrongArch(), weights: fixture(`${d}_weights.h5`) },
      { strict: false },
    );
    const r = m.loadReport;
    expect(r.ok).toBe(false);
    const statuses = r.layers.flatMap((l) =>
      l.weights.map((w) => `${l.layer}.${w.expected?.name}:${w.status}`),
    );
    expect(statuses).toEqual([
      'dense_1.kernel:shape mismatch',
      'dense_1.bias:shape mismatch',
      'dense_2.kernel:shape mismatch',
      'dense_2.bias:matched',
      'dense_3.kernel:matched',
      'dense_3.bias:matched',
    ]);
    expect(String(r)).toMatch(/3 problems/);
  });
  it('missing and unexpected weights and layers are reported', async () => {
    const c = JSON.parse(readFileSync(fixture(`${d}_config.json`), 'utf8'));
    const layers = Array.isArray(c.config) ? c.config : c.config.layers;
    layers[0].config.use_bias = false; // the file has a bias the model lacks
    layers[0].config.name = 'renamed'; // positional pairing still finds it
    const m = await tg.keras.loadModel({ config: c, weights: fixture(`${d}_weights.h5`) }, { strict: false });
    const row = m.loadReport.layers.find((l) => l.layer === 'renamed')!;
    expect(row.matchedBy).toBe('position');
    expect(row.weights.map((w) => w.status)).toEqual(['matched', 'unexpected']);
  });
});

describe('files that are not Keras models', () => {
  it('weights-only files need an architecture', async () => {
    await expect(
      tg.keras.loadModel(fixture('dl4j-mnist-mlp/mnist_mlp_tf_keras_2_weights.h5')),
    ).rejects.toThrow(/weights-only file.*keras\.loadModel\(\{ config:/);
  });
  it('HDF5 without Keras attributes, truncated and corrupt files, other file types', async () => {
    await expect(tg.keras.loadModel(fixture('dl4j-activations/ELU_0_inputs_and_outputs.h5'))).rejects.toThrow(
      /ELU_0_inputs_and_outputs\.h5: HDF5 file is not a Keras model/,
    );
    const bytes = readFileSync(fixture('dl4j-cnn-batchnorm/cnn_batch_norm.h5'));
    await expect(tg.keras.loadModel(bytes.subarray(0, 5000))).rejects.toThrow(tg.FormatError);
    const flipped = Uint8Array.from(bytes);
    for (let i = 4000; i < flipped.length; i += 97) flipped[i] ^= 0xff;
    await expect(tg.keras.loadModel(flipped)).rejects.toThrow(tg.FormatError);
    await expect(tg.keras.loadModel(fixture('dl4j-cnn-batchnorm/input.npy'))).rejects.toThrow(
      /input\.npy: not a Keras file/,
    );
    await expect(tg.keras.loadModel(new Uint8Array(0))).rejects.toThrow(/not a Keras file/);
  });
});
