// LeakyReLU, PReLU, ELU, ReLU, ThresholdedReLU, Softmax layers: keras-js fixtures, DL4J Keras 2.3.1 models
// (the Dense output fed through our activation layer vs Keras's prediction), naive formulas, gradchecks, errors.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose } from '../support/check.js';
import {
  expectKeras,
  expectThrowsWith,
  fixTensor,
  getCase,
  gradcheckLayer,
  loadCases,
  randTensor,
} from '../support/layers.js';

describe('keras-js advanced activation cases', () => {
  const cases = loadCases('layers/advanced_activations.json');
  const made: [string, () => tg.Layer][] = [
    ['advanced_activations.LeakyReLU.0', () => new tg.LeakyReLU({ alpha: 0.4 })],
    ['advanced_activations.ELU.0', () => new tg.ELU({ alpha: 1.1 })],
    ['advanced_activations.ThresholdedReLU.0', () => new tg.ThresholdedReLU({ theta: 0.9 })],
    ['advanced_activations.PReLU.0', () => new tg.PReLU()],
  ];
  for (const [id, make] of made)
    it(id, () => {
      const c = getCase(cases, id);
      const layer = make();
      const x = fixTensor(c.input!);
      if (c.weights) {
        layer.build(x.shape);
        layer.built = true;
        layer.setWeights(c.weights.map((w) => fixTensor(w, false)));
      }
      expectKeras(layer.apply(x) as tg.Tensor, c.expected, id);
    });
});

describe('DL4J Keras 2.3.1 activation-layer models', () => {
  afterAll(() => tg.closeHdf5Worker());
  const dir = new URL('../../../shared/keras-fixtures/dl4j-activations/', import.meta.url);
  /** Our layer from the Keras config of the model's second layer (snake_case keys → our options). */
  const fromConfig = (cls: string, c: Record<string, number | null>): tg.Layer => {
    switch (cls) {
      case 'ELU':
        return new tg.ELU({ alpha: c.alpha! });
      case 'LeakyReLU':
        return new tg.LeakyReLU({ alpha: c.alpha! });
      case 'ReLU':
        return new tg.ReLU({
          maxValue: c.max_value,
          negativeSlope: c.negative_slope ?? 0,
          threshold: c.threshold ?? 0,
        });
      case 'Softmax':
        return new tg.Softmax({ axis: c.axis! });
      case 'ThresholdedReLU':
        return new tg.ThresholdedReLU({ theta: c.theta! });
      default:
        throw new Error(`unexpected layer class ${cls}`);
    }
  };
  for (const name of [
    'ELU_0',
    'LeakyReLU_0',
    'ReLU_0',
    'ReLU_1',
    'ReLU_2',
    'ReLU_3',
    'Softmax_0',
    'ThresholdReLU_0',
  ])
    it(name, async () => {
      const cfg = JSON.parse(readFileSync(fileURLToPath(new URL(`${name}_config.json`, dir)), 'utf8'));
      const act = cfg.config.layers[1];
      const io = await tg.readHdf5Datasets(fileURLToPath(new URL(`${name}_inputs_and_outputs.h5`, dir)));
      const get = (p: string) => {
        const a = io.get(p);
        if (!a) throw new Error(`${name}: dataset ${p} missing (have ${[...io.keys()].join(', ')})`);
        return a;
      };
      const dense = get('/activations/dense');
      const want = get(`/predictions/${act.config.name}`);
      const y = fromConfig(act.class_name, act.config).apply(tg.tensor(dense.data, dense.shape)) as tg.Tensor;
      expect(y.shape).toEqual(want.shape);
      expectClose(y.data, want.data, { rtol: 1e-5, atol: 1e-6 }, name);
      // the case must exercise the option: some inputs on each side of the kink
      expect(Array.from(dense.data).some((v) => v < 0) && Array.from(dense.data).some((v) => v > 0.7)).toBe(
        true,
      );
    });
});

describe('activation layers against naive formulas', () => {
  const x = randTensor([3, 8], 61, -3, 3);
  const xs = Array.from(x.data);
  const check = (layer: tg.Layer, f: (v: number) => number) =>
    expectClose((layer.apply(x) as tg.Tensor).data, xs.map(f), { rtol: 1e-12, atol: 1e-12 }, layer.className);

  it('ReLU options, LeakyReLU default slope 0.3, ELU, ThresholdedReLU', () => {
    check(new tg.ReLU(), (v) => Math.max(v, 0));
    check(new tg.ReLU({ maxValue: 1.5 }), (v) => Math.min(Math.max(v, 0), 1.5));
    check(new tg.ReLU({ maxValue: 2, negativeSlope: 0.1, threshold: 0.5 }), (v) =>
      v > 0.5 ? Math.min(v, 2) : 0.1 * (v - 0.5),
    );
    check(new tg.LeakyReLU(), (v) => (v > 0 ? v : 0.3 * v));
    check(new tg.LeakyReLU({ negativeSlope: 0.05 }), (v) => (v > 0 ? v : 0.05 * v));
    check(new tg.ELU({ alpha: 0.5 }), (v) => (v > 0 ? v : 0.5 * Math.expm1(v)));
    check(new tg.ThresholdedReLU(), (v) => (v > 1 ? v : 0));
  });

  it('Softmax along axis 1 of a rank-3 input', () => {
    const t = randTensor([2, 3, 2], 62, -2, 2);
    const y = new tg.Softmax({ axis: 1 }).apply(t) as tg.Tensor;
    const want = new Array<number>(12);
    for (let b = 0; b < 2; b++)
      for (let j = 0; j < 2; j++) {
        const e = [0, 1, 2].map((i) => Math.exp(t.data[(b * 3 + i) * 2 + j]));
        const s = e.reduce((p, q) => p + q, 0);
        e.forEach((v, i) => (want[(b * 3 + i) * 2 + j] = v / s));
      }
    expectClose(y.data, want, { rtol: 1e-12, atol: 1e-14 });
    expectThrowsWith(
      () => new tg.Softmax({ axis: 0, name: 'sm' }).apply(t),
      ['sm', 'Softmax', 'axis 0', '[2,3,2]'],
    );
  });

  it('PReLU with sharedAxes: one slope per channel of an image; naive formula; gradcheck', () => {
    const layer = new tg.PReLU({
      sharedAxes: [1, 2],
      dtype: 'float64',
      alphaInitializer: { className: 'Constant', config: { value: 0.25 } },
    });
    const img = randTensor([2, 3, 3, 2], 63);
    const y = layer.apply(img) as tg.Tensor;
    expect(layer.alpha.shape).toEqual([1, 1, 2]);
    layer.setWeights([tg.tensor([0.1, 0.7], [1, 1, 2], { dtype: 'float64' })]);
    const y2 = layer.apply(img) as tg.Tensor;
    expectClose(
      y2.data,
      Array.from(img.data, (v, i) => (v > 0 ? v : [0.1, 0.7][i % 2] * v)),
      { rtol: 1e-12, atol: 1e-14 },
    );
    expectClose(
      y.data,
      Array.from(img.data, (v) => (v > 0 ? v : 0.25 * v)),
      { rtol: 1e-12, atol: 1e-14 },
    );
    gradcheckLayer(layer, randTensor([1, 2, 2, 2], 64));
    expect(layer.paramFormula()).toBe('1·1·2 = 2');
    expect(layer.getConfig()).toMatchObject({ shared_axes: [1, 2] });
    expectThrowsWith(
      () => layer.apply(tg.zeros([1, 2, 2, 3], { dtype: 'float64' })),
      [layer.name, 'PReLU', '[1,2,2,3]', '[1,1,2]'],
    );
  });

  it('PReLU without shared axes counts one slope per feature in a summary', () => {
    tg.resetLayerNames();
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 5, inputShape: [4] }), tg.layers.prelu()] });
    expect(m.summary({ print: false })).toMatch(/p_re_lu \(PReLU\)\s+\(None, 5\)\s+5/);
    expectThrowsWith(
      () => new tg.PReLU({ sharedAxes: [0], name: 'pr' }).apply(tg.zeros([2, 3])),
      ['pr', 'sharedAxes', '[2,3]'],
    );
  });

  it('configs use Keras keys', () => {
    expect(new tg.LeakyReLU({ alpha: 0.2 }).getConfig()).toMatchObject({ negative_slope: 0.2 });
    expect(new tg.ReLU({ maxValue: 6 }).getConfig()).toMatchObject({
      max_value: 6,
      negative_slope: 0,
      threshold: 0,
    });
    expect(new tg.ELU().getConfig()).toMatchObject({ alpha: 1 });
    expect(new tg.ThresholdedReLU({ theta: 0.5 }).getConfig()).toMatchObject({ theta: 0.5 });
    expect(new tg.Softmax().getConfig()).toMatchObject({ axis: -1 });
    expectThrowsWith(
      () => new tg.LeakyReLU({ alpha: 0.1, negativeSlope: 0.2 }),
      ['LeakyReLU', 'alpha', 'negativeSlope'],
    );
  });
});
