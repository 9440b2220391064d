// OrthogonalRegularizer in Keras files: a Keras 3 config (class_name 'OrthogonalRegularizer', module
// keras.regularizers) and a tf.keras 2 one (no module) are applied to the imported layer (penalty checked against a
// naive loop of Keras's formula, keras/src/regularizers/regularizers.py), a malformed one is refused by field, and the
// writers keep it: .keras with Keras 3's module, h5 with the class as tf.keras ≥ 2.10 writes it, TF.js refused (it
// has no such class).
import { afterAll, describe, expect, it } from 'vitest';
import { unzipSync, strFromU8 } from 'fflate';
import * as tg from '../../../src/index.js';

afterAll(() => tg.closeHdf5Worker());

/** Keras's penalty as a loop: factor · mean over pairs i≠j of |cos(v_i, v_j)| (rows or columns of an r×c matrix). */
function naive(d: ArrayLike<number>, r: number, c: number, factor: number, mode: string): number {
  const s = mode === 'rows' ? r : c;
  const n = mode === 'rows' ? c : r;
  const at = (i: number, k: number) => (mode === 'rows' ? d[i * c + k] : d[k * c + i]);
  let total = 0;
  for (let i = 0; i < s; i++)
    for (let j = 0; j < s; j++) {
      if (i === j) continue;
      let dot = 0;
      let qi = 0;
      let qj = 0;
      for (let k = 0; k < n; k++) {
        dot += at(i, k) * at(j, k);
        qi += at(i, k) ** 2;
        qj += at(j, k) ** 2;
      }
      total += Math.abs(dot * Math.min(1 / Math.sqrt(qi), 1e7) * Math.min(1 / Math.sqrt(qj), 1e7));
    }
  return (factor * 0.5 * total) / ((s * (s - 1)) / 2);
}

const model = (reg: unknown, version: string) => ({
  class_name: 'Sequential',
  keras_version: version,
  config: {
    name: 's',
    layers: [
      {
        class_name: 'Dense',
        config: { name: 'd', units: 3, batch_input_shape: [null, 4], kernel_regularizer: reg },
      },
    ],
  },
});
const K3 = {
  module: 'keras.regularizers',
  class_name: 'OrthogonalRegularizer',
  config: { factor: 0.05, mode: 'columns' },
  registered_name: null,
};

describe('OrthogonalRegularizer in Keras configs', () => {
  it('Keras 3 and tf.keras 2 configs are applied: model.losses is the penalty of the kernel', () => {
    for (const [reg, version, factor, mode] of [
      [K3, '3.3.3', 0.05, 'columns'],
      [{ class_name: 'OrthogonalRegularizer', config: { factor: 0.2, mode: 'rows' } }, '2.12.0', 0.2, 'rows'],
      [{ class_name: 'OrthogonalRegularizer', config: {} }, '2.12.0', 0.01, 'rows'], // Keras's defaults
    ] as const) {
      const m = tg.keras.modelFromJson(model(reg, version));
      tg.setSeed(21);
      m.setWeights([tg.randn([4, 3]), tg.zeros([3])]);
      const losses = m.losses.map((t) => t.item());
      expect(losses).toHaveLength(1);
      expect(losses[0]).toBeCloseTo(naive(m.getWeights()[0].data, 4, 3, factor, mode), 6);
    }
  });
  it('a bad mode, factor or key is refused naming the layer and field', () => {
    const bad = (config: object) =>
      tg.keras.modelFromJson(model({ class_name: 'OrthogonalRegularizer', config }, '3.3.3'));
    expect(() => bad({ mode: 'diag' })).toThrow(
      /layer 'd' \(Dense\): field 'kernel_regularizer': OrthogonalRegularizer mode must be 'rows' or 'columns', got "diag"/,
    );
    expect(() => bad({ factor: -0.1 })).toThrow(/OrthogonalRegularizer factor must be a non-negative number/);
    expect(() => bad({ l2: 0.1 })).toThrow(
      /OrthogonalRegularizer has no argument 'l2' \(known: factor, mode\)/,
    );
  });
});

describe('writers keep OrthogonalRegularizer', () => {
  const build = () => {
    tg.resetLayerNames();
    const m = tg.sequential({
      layers: [
        tg.layers.dense({
          units: 3,
          inputShape: [4],
          kernelRegularizer: tg.regularizers.orthogonalRegularizer({ factor: 0.3, mode: 'columns' }),
        }),
      ],
    });
    tg.setSeed(22);
    m.setWeights(m.getWeights().map((w) => tg.randn(w.shape)));
    return m;
  };
  it('.keras writes Keras 3 class and module; h5 the tf.keras class; both re-import with the same penalty', async () => {
    const m = build();
    const parts = unzipSync(await tg.keras.saveModel(m, null, { format: 'keras' }));
    const cfg = JSON.parse(strFromU8(parts['config.json']));
    const dense = cfg.config.layers.find((l: { class_name: string }) => l.class_name === 'Dense');
    expect(dense.config.kernel_regularizer).toEqual({
      module: 'keras.regularizers',
      class_name: 'OrthogonalRegularizer',
      config: { factor: 0.3, mode: 'columns' },
      registered_name: null,
    });
    const pen = naive(m.getWeights()[0].data, 4, 3, 0.3, 'columns');
    for (const format of ['keras', 'h5'] as const) {
      const back = await tg.keras.loadModel(await tg.keras.saveModel(m, null, { format }));
      expect(back.losses.map((t) => t.item())[0]).toBeCloseTo(pen, 6);
    }
  });
  it('TF.js has no OrthogonalRegularizer: the TF.js writer refuses it by name', () => {
    expect(() => tg.keras.toTfjsArtifacts(build())).toThrow(
      /has kernel_regularizer .*OrthogonalRegularizer.*; TF.js knows only the L1L2 regularizer/,
    );
  });
});
