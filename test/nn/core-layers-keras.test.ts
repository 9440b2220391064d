// Core Keras layers (Dense, Activation + every activation, Dropout, Flatten, Reshape, Permute, RepeatVector, Conv1D,
// Conv2D, pooling 1D/2D, global pooling) against every keras-js Keras 2 fixture case, built from the case's config.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { type FixCase, expectKeras, fixTensor, loadCases } from '../support/layers.js';

type KerasConfig = Record<string, unknown>;

/** Keras 2 activation names → our spec. NOTE: Keras 2's hard_sigmoid is clip(0.2x + 0.5, 0, 1), not Keras 3's. */
function activationFromKeras(name: unknown): tg.ActivationSpec {
  if (name === undefined || name === null) return 'linear';
  if (name === 'hard_sigmoid') return (x: tg.Tensor) => tg.hardSigmoid(x, true);
  return String(name);
}
const fmtFromKeras = (v: unknown): 'channelsLast' | 'channelsFirst' | undefined =>
  v === undefined ? undefined : v === 'channels_first' ? 'channelsFirst' : 'channelsLast';
const intOrPair = (v: unknown): number | [number, number] | undefined =>
  v === undefined || v === null
    ? undefined
    : Array.isArray(v)
      ? v.length === 1
        ? v[0]
        : [v[0], v[1]]
      : (v as number);

/** Build one of our layers from a Keras class name and its (snake_case) Keras config. */
function layerFromKeras(className: string, c: KerasConfig): tg.Layer {
  const L = tg.layers;
  switch (className) {
    case 'Dense':
      return L.dense({
        units: c.units as number,
        activation: activationFromKeras(c.activation),
        useBias: c.use_bias as boolean | undefined,
      });
    case 'Activation':
      return L.activation({ activation: activationFromKeras(c.activation) });
    case 'Dropout':
      return L.dropout({ rate: c.rate as number });
    case 'Flatten':
      return L.flatten();
    case 'Reshape':
      return L.reshape({ targetShape: c.target_shape as number[] });
    case 'Permute':
      return L.permute({ dims: c.dims as number[] });
    case 'RepeatVector':
      return L.repeatVector({ n: c.n as number });
    case 'Conv1D':
    case 'Conv2D': {
      const args = {
        filters: c.filters as number,
        kernelSize: intOrPair(c.kernel_size)!,
        strides: intOrPair(c.strides),
        padding: c.padding as 'valid' | 'same',
        dilationRate: intOrPair(c.dilation_rate),
        dataFormat: fmtFromKeras(c.data_format),
        activation: activationFromKeras(c.activation),
        useBias: c.use_bias as boolean | undefined,
      };
      return className === 'Conv1D' ? L.conv1d(args) : L.conv2d(args);
    }
    case 'MaxPooling1D':
    case 'AveragePooling1D':
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const args = {
        poolSize: intOrPair(c.pool_size),
        strides: intOrPair(c.strides),
        padding: c.padding as 'valid' | 'same',
        dataFormat: fmtFromKeras(c.data_format),
      };
      const f = {
        MaxPooling1D: L.maxPooling1d,
        AveragePooling1D: L.averagePooling1d,
        MaxPooling2D: L.maxPooling2d,
        AveragePooling2D: L.averagePooling2d,
      }[className];
      return f(args);
    }
    case 'GlobalMaxPooling1D':
      return L.globalMaxPooling1d({ dataFormat: fmtFromKeras(c.data_format) });
    case 'GlobalAveragePooling1D':
      return L.globalAveragePooling1d({ dataFormat: fmtFromKeras(c.data_format) });
    case 'GlobalMaxPooling2D':
      return L.globalMaxPooling2d({ dataFormat: fmtFromKeras(c.data_format) });
    case 'GlobalAveragePooling2D':
      return L.globalAveragePooling2d({ dataFormat: fmtFromKeras(c.data_format) });
    default:
      throw new Error(`layerFromKeras: no translation for ${className}`);
  }
}

/** Parse the keyword part of a notebook heading, e.g. `strides=(2, 1), padding='same', strides=None`. */
function parseKwargs(desc: string): KerasConfig {
  const out: KerasConfig = {};
  for (const m of desc.matchAll(/(\w+)=(\([^)]*\)|'[^']*'|[^,\s]+)/g)) {
    const v = m[2];
    out[m[1]] =
      v === 'None'
        ? null
        : v === 'True'
          ? true
          : v === 'False'
            ? false
            : v.startsWith("'")
              ? v.slice(1, -1)
              : v.startsWith('(')
                ? v.slice(1, -1).split(',').map(Number)
                : Number(v);
  }
  return out;
}

const CASES_JSON = fileURLToPath(
  new URL('../../../shared/keras-fixtures/kerasjs-layers-k2/cases.json', import.meta.url),
);
const descriptions = (): Record<string, { description: string | null }> => {
  try {
    return JSON.parse(readFileSync(CASES_JSON, 'utf8'));
  } catch {
    throw new Error(
      `Keras fixture index kerasjs-layers-k2/cases.json is missing (see ../shared/keras-fixtures/README.md next to the repository)`,
    );
  }
};

/** Config of a conv/pool case from its heading: "4 3x3 filters on 5x5x2 input, strides=(1,1), ...". */
function configFromHeading(className: string, desc: string): KerasConfig {
  const kw = parseKwargs(desc);
  if (className.startsWith('Conv')) {
    const m = desc.match(/^(\d+) (?:length (\d+)|(\d+)x(\d+)) filters/);
    if (!m) throw new Error(`cannot read filters from '${desc}'`);
    kw.filters = Number(m[1]);
    kw.kernel_size = m[2] ? Number(m[2]) : [Number(m[3]), Number(m[4])];
  }
  return kw;
}

/** Run one case: `layers` in order on the fixture input; fixture weights (Keras order) go to the first layer. */
function runCase(id: string, c: FixCase, layers: tg.Layer[]): tg.Tensor {
  let y = fixTensor(c.input!);
  if (c.weights?.length) {
    layers[0].apply(y);
    expect(
      layers[0].getWeights().map((w) => w.shape),
      `${id}: weight shapes`,
    ).toEqual(c.weights.map((w) => w.shape));
    layers[0].setWeights(c.weights.map((w) => fixTensor(w, false)));
  }
  for (const l of layers) y = l.apply(y) as tg.Tensor;
  return y;
}

describe('core layers vs Keras 2 fixtures (layers/core)', () => {
  // Headings of the core notebooks (cases.json) name the configuration in words; these are its Keras configs.
  const core: Record<string, [string, KerasConfig][]> = {
    'core.Dense.0': [['Dense', { units: 2 }]],
    'core.Dense.1': [['Dense', { units: 2, activation: 'sigmoid' }]],
    'core.Dense.2': [['Dense', { units: 2, activation: 'softplus', use_bias: false }]],
    'core.Dense.3': [['Dense', { units: 2 }]],
    'core.Dense.4': [['Dense', { units: 2, activation: 'sigmoid' }]],
    'core.Dense.5': [['Dense', { units: 2, activation: 'softplus', use_bias: false }]],
    'core.Dropout.0': [
      ['Dense', { units: 2 }],
      ['Dropout', { rate: 0.5 }],
    ],
    'core.Flatten.0': [['Flatten', {}]],
    'core.Flatten.1': [['Flatten', {}]],
    'core.Flatten.2': [['Flatten', {}]],
    'core.Permute.0': [['Permute', { dims: [2, 1] }]],
    'core.Permute.1': [['Permute', { dims: [3, 2, 1] }]],
    'core.Permute.2': [['Permute', { dims: [2, 1, 3] }]],
    'core.Permute.3': [['Permute', { dims: [3, 1, 2, 4] }]],
    'core.RepeatVector.0': [['RepeatVector', { n: 7 }]],
    'core.Reshape.0': [['Reshape', { target_shape: [2, 3] }]],
    'core.Reshape.1': [['Reshape', { target_shape: [6] }]],
    'core.Reshape.2': [['Reshape', { target_shape: [4, 3] }]],
  };
  // keras-js's Activation notebook: Dense(2) then Activation(name), names in this order.
  const actNames = [
    'softmax',
    'elu',
    'selu',
    'softplus',
    'softsign',
    'relu',
    'tanh',
    'sigmoid',
    'hard_sigmoid',
    'linear',
  ];
  actNames.forEach(
    (a, i) =>
      (core[`core.Activation.${i}`] = [
        ['Dense', { units: 2 }],
        ['Activation', { activation: a }],
      ]),
  );

  const files = ['Dense', 'Activation', 'Dropout', 'Flatten', 'Permute', 'RepeatVector', 'Reshape'];
  const all = Object.fromEntries(files.flatMap((f) => Object.entries(loadCases(`layers/core/${f}.json`))));

  it('has a configuration for every core case in the fixture files (and no extra)', () => {
    expect(Object.keys(all).sort()).toEqual(Object.keys(core).sort());
    expect(Object.keys(all)).toHaveLength(28);
  });
  for (const [id, spec] of Object.entries(core))
    it(`${id}: ${spec.map(([k, c]) => `${k}(${JSON.stringify(c)})`).join(' → ')}`, () => {
      const c = all[id];
      expect(c, `${id} in the fixtures`).toBeDefined();
      expectKeras(
        runCase(
          id,
          c,
          spec.map(([k, cfg]) => layerFromKeras(k, cfg)),
        ),
        c.expected,
        id,
      );
    });
});

describe('activation functions vs Keras 2 fixtures (activations.json), through the Activation layer', () => {
  const cases = loadCases('activations.json');
  // keras-js's activations notebook: relu.3 used max_value=0.5, relu.4 alpha=0.3, elu.3 alpha=0.5.
  const special: Record<string, tg.ActivationSpec> = {
    'activations.relu.3': (x) => tg.reluAdvanced(x, { maxValue: 0.5 }),
    'activations.relu.4': (x) => tg.reluAdvanced(x, { negativeSlope: 0.3 }),
    'activations.elu.3': (x) => tg.elu(x, 0.5),
  };
  it('covers all ten activation names (33 cases)', () => {
    const names = new Set(Object.keys(cases).map((k) => k.split('.')[1]));
    expect([...names].sort()).toEqual([
      'elu',
      'hard_sigmoid',
      'linear',
      'relu',
      'selu',
      'sigmoid',
      'softmax',
      'softplus',
      'softsign',
      'tanh',
    ]);
    expect(Object.keys(cases)).toHaveLength(33);
  });
  for (const [id, c] of Object.entries(cases))
    it(id, () => {
      const name = id.split('.')[1];
      const layer = tg.layers.activation({ activation: special[id] ?? activationFromKeras(name) });
      // NOTE: the fixture tensors have no batch axis; a batch of one keeps softmax on the last axis as Keras did.
      expectKeras(layer.apply(fixTensor(c.input!)) as tg.Tensor, c.expected, id);
    });

  it("our 'hardSigmoid' name is Keras 3's relu6(x + 3)/6; Keras 2 / TF.js hard_sigmoid needs hardSigmoid(x, true)", () => {
    const x = tg.tensor([-4, -1, 0, 0.5, 2, 4]);
    const k3 = tg.layers.activation({ activation: 'hardSigmoid' }).apply(tg.reshape(x, [1, 6])) as tg.Tensor;
    expect(Array.from(k3.data).map((v) => +v.toFixed(6))).toEqual(
      [0, 2 / 6, 0.5, 3.5 / 6, 5 / 6, 1].map((v) => +v.toFixed(6)),
    );
    const k2 = tg.hardSigmoid(x, true);
    expect(Array.from(k2.data).map((v) => +v.toFixed(6))).toEqual([0, 0.3, 0.5, 0.6, 0.9, 1]);
  });
});

describe('Conv1D / Conv2D / pooling vs Keras 2 fixtures, configs read from the notebook headings', () => {
  const desc = descriptions();
  const groups: [string, string][] = [
    ['Conv1D', 'convolutional'],
    ['Conv2D', 'convolutional'],
    ['MaxPooling1D', 'pooling'],
    ['AveragePooling1D', 'pooling'],
    ['MaxPooling2D', 'pooling'],
    ['AveragePooling2D', 'pooling'],
    ['GlobalMaxPooling1D', 'pooling'],
    ['GlobalAveragePooling1D', 'pooling'],
    ['GlobalMaxPooling2D', 'pooling'],
    ['GlobalAveragePooling2D', 'pooling'],
  ];
  const counts: Record<string, number> = {};
  for (const [cls, dir] of groups) {
    const cases = loadCases(`layers/${dir}/${cls}.json`);
    counts[cls] = Object.keys(cases).length;
    for (const [id, c] of Object.entries(cases)) {
      const d = desc[id]?.description;
      it(`${id}: ${d}`, () => {
        expect(d, `${id}: heading in cases.json`).toBeTruthy();
        const cfg = configFromHeading(cls, d!);
        const layer = layerFromKeras(cls, cfg);
        expectKeras(runCase(id, c, [layer]), c.expected, id);
      });
    }
  }
  it('reads every case of each file (5 Conv1D, 12 Conv2D, 9+9 pool1D, 13+13 pool2D, 3 per global pool)', () => {
    expect(counts).toEqual({
      Conv1D: 5,
      Conv2D: 12,
      MaxPooling1D: 9,
      AveragePooling1D: 9,
      MaxPooling2D: 13,
      AveragePooling2D: 13,
      GlobalMaxPooling1D: 3,
      GlobalAveragePooling1D: 3,
      GlobalMaxPooling2D: 3,
      GlobalAveragePooling2D: 3,
    });
  });
  it('parses a heading into a Keras config', () => {
    expect(
      configFromHeading(
        'Conv2D',
        "5 4x4 filters on 7x7x3 input, strides=(2,1), padding='valid', data_format='channels_last', dilation_rate=(1,1), activation='relu', use_bias=True",
      ),
    ).toEqual({
      filters: 5,
      kernel_size: [4, 4],
      strides: [2, 1],
      padding: 'valid',
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      activation: 'relu',
      use_bias: true,
    });
    expect(configFromHeading('MaxPooling1D', "input 6x6, pool_size=2, strides=None, padding='same'")).toEqual(
      { pool_size: 2, strides: null, padding: 'same' },
    );
  });
});
