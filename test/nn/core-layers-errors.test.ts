// Bad input to the core layers and models: each error names the layer, the expected and the actual shape, and
// suggests the likely cause (batch axis, channel position, flatten size); unbuilt models; duplicate layer names.
import { beforeEach, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectThrowsWith } from '../support/layers.js';

/** The error thrown by `fn` (fails when nothing is thrown), checked to be of class `cls`. */
function errorOf(fn: () => unknown, cls: new (...a: any[]) => Error): Error {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(cls);
    return e as Error;
  }
  return expect.fail('expected an error');
}
const BATCH = 'is the batch axis missing';

beforeEach(() => tg.resetLayerNames());

describe('Dense', () => {
  const dense = () => {
    const d = tg.layers.dense({ units: 3, name: 'fc' });
    d.apply(tg.zeros([2, 4]));
    return d;
  };
  it('a sample without its batch axis: names the layer, the expected [batch, 4] and the actual shape, and says batch', () => {
    expectThrowsWith(() => dense().apply(tg.zeros([4])), ['fc (Dense)', '[batch, 4]', 'got [4]', BATCH]);
    expectThrowsWith(
      () => tg.layers.dense({ units: 3, name: 'fresh' }).apply(tg.zeros([4])),
      ['fresh (Dense)', '[batch, features]', '[4]', BATCH],
    );
  });
  it('a conv feature map: suggests a Flatten layer', () => {
    expectThrowsWith(
      () => dense().apply(tg.zeros([2, 1, 2, 2])),
      ['fc (Dense)', '[batch, 4]', '[2,1,2,2]', 'add a Flatten layer'],
    );
    expectThrowsWith(() => dense().apply(tg.zeros([2, 3, 3, 2])), ['fc (Dense)', '[2,3,3,2]', 'flatten']);
  });
  it('after a Flatten whose size changed with the image size: names both sizes and the flatten', () => {
    const m = tg.sequential({
      layers: [
        tg.layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [8, 8, 3], name: 'c1' }),
        tg.layers.flatten({ name: 'fl' }),
        tg.layers.dense({ units: 2, name: 'out' }),
      ],
    });
    m.apply(tg.zeros([1, 8, 8, 3]));
    // 6·6·4 = 144 features when built; a 10x10 image gives 8·8·4 = 256.
    const e = errorOf(() => m.apply(tg.zeros([1, 10, 10, 3])), tg.ShapeError);
    for (const f of ['out (Dense)', '[batch, 144]', '[1,256]', 'Flatten', '256', 'input size'])
      expect(e.message).toContain(f);
  });
  it('rejects bad units and wrong weights in setWeights, naming the weight and both shapes', () => {
    expectThrowsWith(() => tg.layers.dense({ units: 0 }), ['Dense', 'units', 'positive integer']);
    const d = dense();
    expectThrowsWith(
      () => d.setWeights([tg.zeros([4, 2]), tg.zeros([3])]),
      ['fc', 'kernel', '[4,3]', '[4,2]'],
    );
    expectThrowsWith(
      () => d.setWeights([tg.zeros([4, 3])]),
      ['fc', 'expected 2 arrays', 'kernel, bias', 'got 1'],
    );
  });
});

describe('Conv1D / Conv2D', () => {
  it('a missing batch axis (or channel axis): names the layer, the expected layout and the actual shape', () => {
    const c = tg.layers.conv2d({ filters: 2, kernelSize: 3, name: 'c' });
    c.apply(tg.zeros([1, 8, 8, 3]));
    expectThrowsWith(
      () => c.apply(tg.zeros([8, 8, 3])),
      ['c (Conv2D)', 'rank 4', '[batch, height, width, channels]', '[8,8,3]', BATCH],
    );
    // A grayscale [n, 28, 28] batch into a fresh Conv2D: the channel axis is missing.
    expectThrowsWith(
      () => tg.layers.conv2d({ filters: 2, kernelSize: 3, name: 'g' }).apply(tg.zeros([5, 28, 28])),
      ['g (Conv2D)', '[5,28,28]', 'channel axis', '[5,28,28,1]'],
    );
    const k = tg.layers.conv1d({ filters: 2, kernelSize: 3, name: 'k', dataFormat: 'channelsFirst' });
    expectThrowsWith(
      () => k.apply(tg.zeros([4, 10])),
      ['k (Conv1D)', 'rank 3', '[batch, channels, steps]', '[4,10]', BATCH],
    );
  });
  it('channels-first data into a channels-last layer (and back): says so and gives the transposed shape', () => {
    const c = tg.layers.conv2d({ filters: 4, kernelSize: 3, name: 'cl' });
    c.apply(tg.zeros([1, 8, 8, 3]));
    expectThrowsWith(
      () => c.apply(tg.zeros([2, 3, 8, 8])),
      [
        'cl (Conv2D)',
        'has 8 channels',
        'expects 3',
        '[2,3,8,8]',
        'channels-first',
        '[2,8,8,3]',
        "dataFormat: 'channelsFirst'",
      ],
    );
    const f = tg.layers.conv2d({ filters: 4, kernelSize: 3, name: 'cf', dataFormat: 'channelsFirst' });
    f.apply(tg.zeros([1, 3, 8, 8]));
    expectThrowsWith(
      () => f.apply(tg.zeros([2, 8, 8, 3])),
      [
        'cf (Conv2D)',
        'has 8 channels',
        'expects 3',
        'channels-last',
        '[2,3,8,8]',
        "dataFormat: 'channelsLast'",
      ],
    );
    const k = tg.layers.conv1d({ filters: 2, kernelSize: 3, name: 'k1' });
    k.apply(tg.zeros([1, 10, 4]));
    expectThrowsWith(
      () => k.apply(tg.zeros([1, 4, 10])),
      ['k1 (Conv1D)', 'has 10 channels', 'expects 4', 'channels-first', '[1,10,4]'],
    );
    // Neither end matches: a plain "check the channel axis".
    expectThrowsWith(
      () => c.apply(tg.zeros([1, 5, 8, 8])),
      ['cl (Conv2D)', 'has 8 channels', 'expects 3', 'channel axis'],
    );
  });
  it('a window larger than the input, bad filters, causal padding on Conv2D', () => {
    expectThrowsWith(
      () => tg.layers.conv2d({ filters: 1, kernelSize: 5, name: 'big' }).apply(tg.zeros([1, 3, 3, 1])),
      ['big (Conv2D)', '5x5', '3x3'],
    );
    expectThrowsWith(() => tg.layers.conv2d({ filters: 0, kernelSize: 3 }), ['Conv2D', 'filters']);
    expectThrowsWith(
      () => tg.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'causal' }),
      ['Conv2D', 'causal', 'Conv1D'],
    );
    expectThrowsWith(
      () =>
        tg.layers.conv2d({ filters: 2, kernelSize: 3, groups: 2, name: 'gr' }).apply(tg.zeros([1, 5, 5, 3])),
      ['gr (Conv2D)', '3 input channels', 'groups=2'],
    );
  });
});

describe('pooling and the reshaping core layers', () => {
  it('pools: a missing batch axis, an extra axis, a window that does not fit', () => {
    expectThrowsWith(
      () => tg.layers.maxPooling2d({ name: 'mp' }).apply(tg.zeros([4, 4, 3])),
      ['mp (MaxPooling2D)', 'rank 4', '[batch, height, width, channels]', '[4,4,3]', BATCH],
    );
    expectThrowsWith(
      () =>
        tg.layers.averagePooling1d({ name: 'ap', dataFormat: 'channelsFirst' }).apply(tg.zeros([1, 4, 4, 3])),
      ['ap (AveragePooling1D)', 'rank 3', '[batch, channels, steps]', '[1,4,4,3]'],
    );
    expectThrowsWith(
      () => tg.layers.globalAveragePooling2d({ name: 'gp' }).apply(tg.zeros([4, 3])),
      ['gp (GlobalAveragePooling2D)', 'rank 4', '[4,3]'],
    );
    expectThrowsWith(
      () => tg.layers.maxPooling2d({ poolSize: 3, name: 'mps' }).apply(tg.zeros([1, 2, 2, 3])),
      ['mps (MaxPooling2D)', '3x3', '2x2'],
    );
  });
  it('Flatten, Reshape, Permute, RepeatVector name themselves and the shapes', () => {
    expectThrowsWith(
      () => tg.layers.flatten({ name: 'f' }).apply(tg.zeros([4])),
      ['f (Flatten)', 'batch axis', '[4]'],
    );
    expectThrowsWith(
      () => tg.layers.reshape({ targetShape: [4, 4], name: 'rs' }).apply(tg.zeros([2, 3, 5])),
      ['rs (Reshape)', '[2,3,5]', '15 values per sample', '[4,4]'],
    );
    expectThrowsWith(
      () => tg.layers.reshape({ targetShape: [-1, 4], name: 'rs2' }).apply(tg.zeros([2, 3, 5])),
      ['rs2 (Reshape)', '[2,3,5]', '[-1,4]'],
    );
    expectThrowsWith(
      () => tg.layers.permute({ dims: [2, 1], name: 'pm' }).apply(tg.zeros([2, 3, 4, 5])),
      ['pm (Permute)', '[2,1]', '[2,3,4,5]'],
    );
    expectThrowsWith(() => tg.layers.permute({ dims: [0, 1] }), ['Permute', '[0,1]', '1-based']);
    expectThrowsWith(
      () => tg.layers.repeatVector({ n: 2, name: 'rv' }).apply(tg.zeros([2, 3, 4])),
      ['rv (RepeatVector)', 'rank 2', '[batch, features]', '[2,3,4]', 'Flatten'],
    );
    expectThrowsWith(
      () => tg.layers.repeatVector({ n: 2, name: 'rv2' }).apply(tg.zeros([3])),
      ['rv2 (RepeatVector)', '[3]', BATCH],
    );
    expectThrowsWith(() => tg.layers.dropout({ rate: 1 }), ['Dropout', 'rate', '[0, 1)']);
  });
  it('inside a Sequential, the message names the model and the layer that failed', () => {
    const m = tg.sequential({
      name: 'net',
      layers: [tg.layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [8, 8, 3], name: 'c1' })],
    });
    expectThrowsWith(
      () => m.apply(tg.zeros([8, 8, 3])),
      ['net (Sequential)', 'c1 (Conv2D)', '[8,8,3]', BATCH],
    );
    expectThrowsWith(() => m.predict(tg.zeros([2, 3, 8, 8])), ['c1 (Conv2D)', 'channels-first', '[2,8,8,3]']);
  });
  it('a functional model names its input, the expected shape and the actual one', () => {
    const inp = tg.input({ shape: [4], name: 'feats' });
    const m = tg.model({
      inputs: inp,
      outputs: tg.layers.dense({ units: 2 }).apply(inp) as tg.SymbolicTensor,
      name: 'fm',
    });
    expectThrowsWith(() => m.apply(tg.zeros([2, 5])), ['fm', "'feats'", '[-1,4]', '[2,5]']);
    expectThrowsWith(() => m.apply(tg.zeros([4])), ['fm', "'feats'", '[-1,4]', '[4]', BATCH]);
    expectThrowsWith(() => m.apply([tg.zeros([2, 4]), tg.zeros([2, 4])]), ['fm', 'expected 1 inputs, got 2']);
  });
});

describe('unbuilt models', () => {
  const unbuilt = () => tg.sequential({ name: 'u', layers: [tg.layers.dense({ units: 2 })] });
  it('summary, compile, countParams, namedParameters and setWeights say the model is not built and how to build it', () => {
    const uses: ((m: tg.Sequential) => unknown)[] = [
      (m) => m.summary({ print: false }),
      (m) => m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' }),
      (m) => m.countParams(),
      (m) => m.namedParameters(),
      (m) => m.setWeights([tg.zeros([3, 2]), tg.zeros([2])]),
    ];
    for (const f of uses)
      expectThrowsWith(() => f(unbuilt()), ['u', 'not built', 'build(inputShape)', 'inputShape']);
    expectThrowsWith(
      () => tg.layers.dense({ units: 2, name: 'lonely' }).setWeights([tg.zeros([3, 2])]),
      ['lonely', 'layer is not built'],
    );
  });
  it('fit before compile and a model with no layers are clear errors', async () => {
    const m = tg.sequential({ name: 'nc', layers: [tg.layers.dense({ units: 2, inputShape: [3] })] });
    await expect(m.fit(tg.zeros([2, 3]), tg.zeros([2, 2]))).rejects.toThrow(
      /nc\.fit: call compile\(\{optimizer, loss\}\) first/,
    );
    expect(() => m.evaluate(tg.zeros([2, 3]), tg.zeros([2, 2]))).toThrow(/nc\.evaluate: call compile/);
    expectThrowsWith(() => tg.sequential({ name: 'empty' }).apply(tg.zeros([1, 2])), ['empty', 'no layers']);
  });
  it('an unbuilt model builds from the first layer inputShape, from build(), or from its first input', () => {
    const a = tg.sequential({ layers: [tg.layers.dense({ units: 2, inputShape: [3] })] });
    expect(a.countParams()).toBe(8);
    const b = unbuilt().buildModel([null, 5]);
    expect(b.countParams()).toBe(12);
    const c = unbuilt();
    c.predict(tg.zeros([1, 7]));
    expect(c.countParams()).toBe(16);
    expect(c.summary({ print: false })).toContain('Total params: 16');
  });
  it('fit/evaluate reject data whose batch sizes differ, naming every shape', async () => {
    const m = tg.sequential({ name: 'bs', layers: [tg.layers.dense({ units: 1, inputShape: [3] })] });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await expect(m.fit(tg.zeros([4, 3]), tg.zeros([5, 1]), { verbose: 0 })).rejects.toThrow(
      /bs\.fit.*same batch size.*\[4,3\].*\[5,1\]/,
    );
    await expect(
      m.fit(tg.zeros([4, 3]), tg.zeros([4, 1]), { verbose: 0, validationSplit: 0.9 }),
    ).rejects.toThrow(/validationSplit 0\.9.*4 samples/);
  });
});

describe('duplicate layer names', () => {
  it('a Sequential refuses a second layer with the same name (constructor and add) or the same layer twice', () => {
    expectThrowsWith(
      () =>
        tg.sequential({
          name: 's',
          layers: [tg.layers.dense({ units: 2, name: 'dup' }), tg.layers.dense({ units: 2, name: 'dup' })],
        }),
      ['s.add', "'dup'", 'already'],
    );
    const s = tg.sequential({ name: 's2' });
    const d = tg.layers.dense({ units: 2 });
    s.add(d);
    expectThrowsWith(() => s.add(d), ['s2.add', `'${d.name}'`, 'already']);
    expectThrowsWith(() => s.add({} as tg.Layer), ['s2.add', 'expected a layer']);
  });
  it('default names never collide: dense, dense_1, ... (and reset with resetLayerNames)', () => {
    const s = tg.sequential({
      layers: [
        tg.layers.dense({ units: 2 }),
        tg.layers.dense({ units: 2 }),
        tg.layers.conv2d({ filters: 1, kernelSize: 1 }),
      ],
    });
    expect(s.layers.map((l) => l.name)).toEqual(['dense', 'dense_1', 'conv2d']);
  });
  it('a functional model refuses two different layers with the same name', () => {
    const inp = tg.input({ shape: [3] });
    const h = tg.layers.dense({ units: 2, name: 'same' }).apply(inp) as tg.SymbolicTensor;
    const o = tg.layers.dense({ units: 2, name: 'same' }).apply(h) as tg.SymbolicTensor;
    expectThrowsWith(() => tg.model({ inputs: inp, outputs: o, name: 'f' }), ['f', "'same'", 'unique']);
  });
});
